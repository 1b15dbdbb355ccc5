using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting.Logging;
using Caiman.Actors;
using Caiman.Actors.Logging;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Client;
using Caiman.Doc.Persistence;
using Caiman.Doc.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Host.Service;

/// <summary>
/// The engine in this process, on the data directory's SQLite journal. One process at a time
/// may own a data directory (<see cref="DataLock"/>): two engines on one journal would each
/// think the other's running attempts were interrupted.
/// </summary>
public sealed class InProcessService : ICaimanService
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly ActorSystem _system;
    private readonly DataLock? _lock;

    private InProcessService(string data, ActorSystem system, CaimanEngine engine, DataLock? dataLock)
    {
        DataDirectory = data;
        _system = system;
        Engine = engine;
        _lock = dataLock;
    }

    /// <summary>
    /// The service over an engine someone else started (the daemon, through Akka.Hosting), which
    /// also owns the system and the data directory's lock: disposing this leaves both alone.
    /// </summary>
    public static InProcessService Over(string data, ActorSystem system, CaimanEngine engine) => new(Path.GetFullPath(data), system, engine, null);

    /// <summary>The engine's config for a data directory: journal, run files, Akka's logs to Microsoft.Extensions.Logging.</summary>
    public static Config ConfigFor(string data, Config? extra = null) =>
        (extra ?? Config.Empty)
            .WithFallback(ConfigurationFactory.ParseString($"""
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                akka.loggers = ["Akka.Hosting.Logging.LoggerFactoryLogger, Akka.Hosting"]
                caiman.engine.data-directory = {Quote(Path.GetFullPath(data))}
                """))
            .WithFallback(SqlitePersistence.Config(Path.Combine(data, "caiman.db")))
            .WithFallback(EngineConfig.Default());

    public string DataDirectory { get; }

    public CaimanEngine Engine { get; }

    public ActorSystem System => _system;

    public string Where => "in this process";

    /// <summary>
    /// Boots the engine on the data directory. <paramref name="loggers"/> receives Akka's own log
    /// events (bridged by Akka.Hosting's logger) and the runs' log entries; the caller owns it.
    /// </summary>
    /// <exception cref="DataDirectoryInUseException">Another process owns the directory.</exception>
    public static InProcessService Start(string data, ILoggerFactory loggers, Config? extra = null, CheckpointTypes? types = null)
    {
        data = Path.GetFullPath(data);
        Directory.CreateDirectory(data);
        var dataLock = DataLock.Acquire(data);
        try
        {
            var setup = BootstrapSetup.Create().WithConfig(ConfigFor(data, extra)).And(new LoggerFactorySetup(loggers));
            var system = ActorSystem.Create("caiman", setup);
            return new InProcessService(data, system, CaimanEngine.Start(system, types ?? CheckpointTypes.BuiltIn(), loggers), dataLock);
        }
        catch
        {
            dataLock.Dispose();
            throw;
        }
    }

    /// <summary>A HOCON string literal.</summary>
    public static string Quote(string text) => JsonSerializer.Serialize(text);

    public Task<RunStatus> StartAsync(string runId, PipelineDefinition pipeline, IReadOnlyList<string> pauseBefore, bool dryRun) =>
        Engine.StartAsync(runId, pipeline, pauseBefore, dryRun);

    public Task<RunStatus> ResumeAsync(string runId, string? from, IReadOnlyList<string> pauseBefore) =>
        Engine.ResumeAsync(runId, from, pauseBefore);

    public Task<RunStatus> PauseAsync(string runId) => Engine.PauseAsync(runId);

    public Task<RunStatus> CancelAsync(string runId) => Engine.CancelAsync(runId);

    public Task<RunStatus> StatusAsync(string runId) => Engine.StatusAsync(runId);

    public async Task<IReadOnlyList<RunStatus>> ListAsync()
    {
        var statuses = new List<RunStatus>();
        foreach (var runId in await Engine.ListRunsAsync()) statuses.Add(await Engine.StatusAsync(runId));
        return statuses;
    }

    public async Task<IReadOnlyList<CheckpointError>> ErrorsAsync(string runId, string? checkpoint, CheckpointErrorKind? kind) =>
        await Engine.ErrorsAsync(runId, checkpoint, kind);

    public Task<RunStatus> WaitAsync(string runId, Action<RunProgress> progress, CancellationToken cancellationToken) =>
        Engine.WaitAsync(runId, progress, cancellationToken);

    public async Task<string> DocGetAsync(string runId, string path)
    {
        var doc = await Engine.DocAsync(runId);
        if (!Caiman.Doc.Paths.DocPathParser.TryParse(path, out var parsed, out var syntax))
            throw new DocException(new DocError.InvalidPath(syntax.Path, syntax.Position, syntax.Reason));
        var json = parsed.Property is not null
            ? new JsonArray([.. (await doc.FindValuesAsync(path)).Select(v => v.ToJson())])
            : new JsonArray([.. (await doc.FindAsync(path, QueryShape.Subtree)).Select(n => (JsonNode)DocClient.ToJson(n))]);
        return json.ToJsonString(Indented);
    }

    public async Task<string> DocExportAsync(string runId) =>
        (await (await Engine.DocAsync(runId)).ExportAsync()).ToJsonString(Indented);

    public async Task<IReadOnlyList<NodeBlame>> DocBlameAsync(string runId, string path) =>
        await (await Engine.DocAsync(runId)).BlameAsync(path);

    public async IAsyncEnumerable<string> LogAsync(string runId, string? checkpoint, bool follow, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var status = await Engine.StatusAsync(runId); // an unknown run is refused here
        var file = RunFiles.Log(DataDirectory, runId);
        var stopped = follow ? WaitStopped(runId, cancellationToken) : Task.FromResult(status);
        await foreach (var line in LogFile.ReadAsync(file, follow && !status.IsStopped, stopped, cancellationToken))
            if (checkpoint is null || LogFile.IsOf(line, checkpoint))
                yield return line;
    }

    private async Task<RunStatus> WaitStopped(string runId, CancellationToken cancellationToken)
    {
        try
        {
            return await Engine.WaitAsync(runId, _ => { }, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return await Engine.StatusAsync(runId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_lock is null) return;
        await _system.Terminate();
        _lock.Dispose();
    }
}
