using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Testing;

namespace Caiman.Checkpoints.Testing;

/// <summary>
/// Runs a checkpoint the way the engine runs an attempt, against a real (in-memory) DOC, and
/// records what it did: outcome, progress, errors, log, DOC changes and process launches.
/// Every <c>RunAsync</c> is a new attempt of its own (attempt numbers count from 1 across the
/// kit's runs), so several runs in one kit have distinct writers and their changes can be told apart.
/// </summary>
/// <remarks>
/// As in the engine, once an attempt has ended its writer is fenced: DOC writes it makes later are
/// refused. Unlike the engine, the kit waits for a checkpoint that ignores its token, and it neither
/// retries nor reverts. Build the DOC a checkpoint expects with <see cref="Doc"/> before running it.
/// </remarks>
public sealed class CheckpointTestKit : IAsyncDisposable
{
    /// <summary>The checkpoint name of attempts run with <see cref="RunAsync(ICheckpoint, CheckpointArgs?, bool, CancellationToken)"/>.</summary>
    public const string UnderTest = "under-test";

    private static readonly Config KitConfig = ConfigurationFactory.ParseString("akka.loglevel = WARNING")
        .WithFallback(VerifiedMessages.InMemory)
        .WithFallback(CheckpointsConfig.Default());

    private readonly bool _ownsSystem;
    private int _attempts;

    /// <summary>
    /// A kit with the DOC of run <paramref name="runId"/>. Without a <paramref name="system"/> the kit
    /// creates its own (in-memory persistence, every message serialized) and terminates it when disposed;
    /// with one, the DOC is started in it (as <c>doc-&lt;runId&gt;</c>, so one kit per run id) and stopped on dispose.
    /// </summary>
    public CheckpointTestKit(string runId = "test-run", ActorSystem? system = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        RunId = runId;
        _ownsSystem = system is null;
        System = system ?? ActorSystem.Create("checkpoint-test-kit", KitConfig);
        Doc = DocClient.Start(System, runId);
    }

    /// <summary>The run id every attempt belongs to.</summary>
    public string RunId { get; }

    /// <summary>The actor system the DOC lives in.</summary>
    public ActorSystem System { get; }

    /// <summary>The run's DOC, writing as the user (<c>Writer.User(runId)</c>): for building the DOC a test starts from.</summary>
    public DocClient Doc { get; }

    /// <summary>The types <see cref="RunAsync(string, CheckpointArgs, bool, CancellationToken)"/> knows; the built-in ones by default. Add your own.</summary>
    public CheckpointTypes Types { get; } = CheckpointTypes.BuiltIn();

    /// <summary>The context's base directory (where relative paths in args resolve); the current directory by default.</summary>
    public string BaseDirectory { get; set; } = Directory.GetCurrentDirectory();

    /// <summary>The context's grace period between the polite signal and the kill for external processes; 2 s by default.</summary>
    public TimeSpan KillGracePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Runs one attempt of <paramref name="checkpoint"/> under the checkpoint name <see cref="UnderTest"/>.</summary>
    /// <param name="checkpoint">The checkpoint to run.</param>
    /// <param name="args">The args in its context; none when null.</param>
    /// <param name="dryRun">The context's dry-run flag.</param>
    /// <param name="cancellationToken">Given to <c>ExecuteAsync</c>; cancel it to test cancellation.</param>
    public Task<CheckpointTestResult> RunAsync(ICheckpoint checkpoint, CheckpointArgs? args = null, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return RunAttemptAsync(UnderTest, checkpoint, args ?? CheckpointArgs.Empty, dryRun, cancellationToken);
    }

    /// <summary>
    /// Validates <paramref name="args"/> with the type named <paramref name="type"/> from <see cref="Types"/>,
    /// creates a checkpoint and runs one attempt of it under the type's name.
    /// </summary>
    /// <exception cref="ArgumentException">The type is unknown, or the args are not valid (every problem is listed).</exception>
    public Task<CheckpointTestResult> RunAsync(string type, CheckpointArgs args, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (!Types.TryGet(type, out var checkpointType))
            throw new ArgumentException($"unknown checkpoint type '{type}'; known: {string.Join(", ", Types.Names)}", nameof(type));
        var problems = checkpointType.Validate(args);
        if (problems.Count > 0)
            throw new ArgumentException($"args of a '{type}' checkpoint are not valid:\n  " + string.Join("\n  ", problems), nameof(args));
        return RunAttemptAsync(checkpointType.Name, checkpointType.Create(args), args, dryRun, cancellationToken);
    }

    /// <summary>
    /// Args as a pipeline file would give them: from an anonymous object (or dictionary, or any
    /// object that serializes to a JSON object) or from JSON text, with every number and boolean
    /// leaf turned into a string as HOCON leaves are. Use JSON text for keys that are not C# names
    /// (<c>"{ \"stop-on-error\": true }"</c>).
    /// </summary>
    public CheckpointArgs Args(object values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var node = values is string json ? JsonNode.Parse(json) : JsonSerializer.SerializeToNode(values, values.GetType());
        return CheckpointArgs.FromJson(LeavesAsStrings(node)?.ToJsonString() ?? "null");
    }

    /// <summary>Exactly one DOC node (a path matching none or several throws <see cref="DocException"/>).</summary>
    public Task<DocNode> GetAsync(string path) => Doc.GetAsync(path);

    /// <summary>The DOC node at the path, or null when there is none.</summary>
    public Task<DocNode?> TryGetAsync(string path) => Doc.TryGetAsync(path);

    /// <summary>Terminates the kit's own actor system, or stops the DOC in a system it was given.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownsSystem) await System.Terminate().ConfigureAwait(false);
        else await Doc.Actor.GracefulStop(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    private async Task<CheckpointTestResult> RunAttemptAsync(string name, ICheckpoint checkpoint, CheckpointArgs args, bool dryRun, CancellationToken cancellationToken)
    {
        var writer = new Writer(RunId, name, Interlocked.Increment(ref _attempts));
        var progress = new ProgressRecorder();
        var errors = new ErrorRecorder(writer);
        var log = new RecordingLogger();
        var launches = new LaunchRecorder();
        var context = new CheckpointContext
        {
            Writer = writer,
            Doc = Doc.As(writer),
            Args = args,
            DryRun = dryRun,
            Logger = log,
            Progress = progress,
            Errors = errors,
            BaseDirectory = BaseDirectory,
            Launches = launches,
            ProcessHost = ProcessHost.For(System),
            KillGracePeriod = KillGracePeriod,
        };

        CheckpointOutcome outcome;
        Exception? thrown = null;
        try
        {
            // Off the caller's thread, as the engine runs it: a checkpoint that blocks does not block the test's context.
            await Task.Run(() => checkpoint.ExecuteAsync(context, cancellationToken), CancellationToken.None).ConfigureAwait(false);
            outcome = errors.HasError ? CheckpointOutcome.Failed : CheckpointOutcome.Completed;
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            thrown = e;
            outcome = CheckpointOutcome.Cancelled;
        }
        catch (Exception e)
        {
            thrown = e;
            outcome = CheckpointOutcome.Failed;
            errors.Add(CheckpointError.From(writer.Checkpoint, writer.Attempt, e));
        }

        // As the engine does once an attempt has ended: a write it makes later (from work it left running) is refused.
        await Doc.FenceAsync(writer).ConfigureAwait(false);
        var changes = await Doc.FindWritesAsync(writer).ConfigureAwait(false);
        return new CheckpointTestResult(writer, outcome, thrown, progress.Snapshot(), errors.Snapshot(), log.Snapshot(), changes, launches.Snapshot());
    }

    private static JsonNode? LeavesAsStrings(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, LeavesAsStrings(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(LeavesAsStrings)]),
        JsonValue value when value.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => JsonValue.Create(value.ToJsonString()),
        JsonValue value => value.DeepClone(),
        null => null,
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };
}
