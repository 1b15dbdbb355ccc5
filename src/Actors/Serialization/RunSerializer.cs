using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Caiman.Actors.Protocol;

namespace Caiman.Actors.Serialization;

/// <summary>
/// Serializes every <see cref="IRunMessage"/> as System.Text.Json under a stable string manifest,
/// so the run journal never depends on CLR type names. Actor references travel as their paths.
/// </summary>
public sealed class RunSerializer : SerializerWithStringManifest
{
    public const int Id = 1202;

    // Written out by hand on purpose: a manifest, once persisted, is never renamed or reused.
    private static readonly (Type Type, string Manifest)[] Table =
    [
        // Commands
        (typeof(StartRun), "run.StartRun"),
        (typeof(PauseRun), "run.PauseRun"),
        (typeof(ResumeRun), "run.ResumeRun"),
        (typeof(CancelRun), "run.CancelRun"),
        (typeof(GetRunStatus), "run.GetRunStatus"),
        (typeof(GetErrors), "run.GetErrors"),
        (typeof(GetDoc), "run.GetDoc"),
        (typeof(SubscribeProgress), "run.SubscribeProgress"),
        (typeof(UnsubscribeProgress), "run.UnsubscribeProgress"),
        (typeof(SuspendRun), "run.SuspendRun"),
        (typeof(ListRuns), "run.ListRuns"),
        (typeof(RunList), "run.RunList"),
        // Replies and notifications
        (typeof(RunReply), "run.RunReply"),
        (typeof(RunStatus), "run.RunStatus"),
        (typeof(ErrorsResult), "run.ErrorsResult"),
        (typeof(DocAddress), "run.DocAddress"),
        (typeof(RunProgress), "run.RunProgress"),
        (typeof(ForgetRun), "run.ForgetRun"),
        // Between a run and its attempts, wherever they run
        (typeof(AttemptSpec), "run.AttemptSpec"),
        (typeof(StartAttempt), "run.StartAttempt"),
        (typeof(AttemptAccepted), "run.AttemptAccepted"),
        (typeof(AttemptRefused), "run.AttemptRefused"),
        (typeof(AttemptProgressed), "run.AttemptProgressed"),
        (typeof(AttemptErrorReported), "run.AttemptErrorReported"),
        (typeof(RecordProcessLaunch), "run.RecordProcessLaunch"),
        (typeof(ProcessLaunchRecorded), "run.ProcessLaunchRecorded"),
        (typeof(CancelAttempt), "run.CancelAttempt"),
        (typeof(AbandonAttempt), "run.AbandonAttempt"),
        (typeof(AttemptAbandoned), "run.AttemptAbandoned"),
        (typeof(AttemptFinished), "run.AttemptFinished"),
        (typeof(AttemptLost), "run.AttemptLost"),
        (typeof(AppendLog), "run.AppendLog"),
        // Between the engine and its worker processes
        (typeof(WorkerReady), "run.WorkerReady"),
        (typeof(AttemptEnded), "run.AttemptEnded"),
        (typeof(StopWorker), "run.StopWorker"),
        // Events (persisted)
        (typeof(RunStarted), "run.RunStarted"),
        (typeof(AttemptStarted), "run.AttemptStarted"),
        (typeof(ProcessLaunched), "run.ProcessLaunched"),
        (typeof(AttemptCompleted), "run.AttemptCompleted"),
        (typeof(AttemptFailed), "run.AttemptFailed"),
        (typeof(AttemptCancelled), "run.AttemptCancelled"),
        (typeof(AttemptInterrupted), "run.AttemptInterrupted"),
        (typeof(ErrorRecorded), "run.ErrorRecorded"),
        (typeof(PauseRequested), "run.PauseRequested"),
        (typeof(CancelRequested), "run.CancelRequested"),
        (typeof(RunResumed), "run.RunResumed"),
        (typeof(RunStopped), "run.RunStopped"),
        (typeof(RunRegistered), "run.RunRegistered"),
        (typeof(RunForgotten), "run.RunForgotten"),
    ];

    private static readonly FrozenDictionary<Type, string> ByType = Table.ToFrozenDictionary(t => t.Type, t => t.Manifest);
    private static readonly FrozenDictionary<string, Type> ByManifest = Table.ToFrozenDictionary(t => t.Manifest, t => t.Type, StringComparer.Ordinal);

    private readonly JsonSerializerOptions _options;

    public RunSerializer(ExtendedActorSystem system) : base(system)
    {
        _options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new ActorRefConverter(system) },
        };
        _options.MakeReadOnly(populateMissingResolver: true);
    }

    public override int Identifier => Id;

    /// <summary>Every serializable type with its manifest.</summary>
    public static IReadOnlyDictionary<Type, string> Manifests => ByType;

    public override string Manifest(object o) =>
        ByType.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"RunSerializer: no manifest for {o.GetType().FullName}; add it to RunSerializer's table");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!ByManifest.TryGetValue(manifest, out var type))
            throw new SerializationException($"RunSerializer: unknown manifest '{manifest}'");
        try
        {
            return JsonSerializer.Deserialize(bytes, type, _options) ?? throw new SerializationException($"RunSerializer: '{manifest}' payload is JSON null");
        }
        catch (JsonException e)
        {
            throw new SerializationException($"RunSerializer: cannot read '{manifest}' as {type.Name}: {e.Message}", e);
        }
    }

    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override bool CanConvert(Type typeToConvert) => typeof(IActorRef).IsAssignableFrom(typeToConvert);

        public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            system.Provider.ResolveActorRef(reader.GetString() ?? throw new JsonException("an actor path is required"));

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }
}
