using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Remote;
using Caiman.Actors.Logging;
using Caiman.Actors.Protocol;
using Caiman.Actors.Runs;
using Caiman.Actors.Serialization;
using Caiman.Actors.Workers;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;
using Caiman.Doc.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Caiman.Actors;

/// <summary>A run refused a request; <see cref="Error"/> says why.</summary>
public sealed class RunException(RunError error) : Exception(error.Message)
{
    public RunError Error { get; } = error;
}

/// <summary>
/// The engine, and the service every entry point uses (the CLI in process, the daemon's control
/// API): start runs of pipelines, pause, resume, cancel, watch and inspect them. Every call is a
/// message to the runs' actor; this class only asks and unwraps. It starts, in its actor system,
/// the runs' actor (<c>/user/runs</c>), the node's worker for attempts that run in process
/// (<c>/user/caiman-worker</c>) and the placement that sends isolated ones to worker processes
/// (<c>/user/caiman-placement</c>).
/// </summary>
public sealed class CaimanEngine : ICaimanService
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly ActorSystem _system;
    private readonly TimeSpan _timeout;
    private readonly List<IAsyncDisposable> _owned = [];

    private CaimanEngine(ActorSystem system, IActorRef runs, EngineSettings settings, CheckpointTypes types)
    {
        _system = system;
        Runs = runs;
        Settings = settings;
        Types = types;
        _timeout = settings.AskTimeout;
    }

    /// <summary>
    /// Starts the engine in the system (its config must fall back to <see cref="EngineConfig.Default"/>,
    /// or be built with the Akka.Hosting extension <c>AddCaiman</c>). Runs are recovered on first use;
    /// <paramref name="types"/> defaults to the built-in ones.
    /// </summary>
    /// <exception cref="InvalidOperationException">The system does not serialize the engine's messages with its own serializers.</exception>
    public static CaimanEngine Start(ActorSystem system, CheckpointTypes? types = null, ILoggerFactory? loggers = null, string name = "runs")
    {
        ArgumentNullException.ThrowIfNull(system);
        EnsureSerializers(system);
        var config = system.Settings.Config.WithFallback(EngineConfig.Default());
        var settings = EngineSettings.Create(config);
        types ??= CheckpointTypes.BuiltIn();
        loggers ??= NullLoggerFactory.Instance;
        var worker = system.ActorOf(WorkerActor.Props(types), WorkerActor.Name);
        var placement = system.ActorOf(AttemptPlacement.Props(settings.Workers, WorkerLaunchFor(system, settings), worker, loggers), AttemptPlacement.Name);
        var services = new EngineServices(settings, types, loggers, config, placement, worker);
        var runs = system.ActorOf(RunsActor.Props(services), name);
        // Before the system goes, its workers exit by themselves (an engine killed outright takes them with it by their lifelines).
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceStop, "caiman-stop-workers",
            () => placement.Ask<Akka.Done>(StopWorkers.Instance, TimeSpan.FromSeconds(5)).ContinueWith(_ => Akka.Done.Instance, TaskScheduler.Default));
        return new CaimanEngine(system, runs, settings, types);
    }

    /// <summary>
    /// A bare actor system would persist the engine's events with Akka's default Newtonsoft
    /// serializer, under CLR type names: refuse to start on one rather than write such a journal.
    /// </summary>
    private static void EnsureSerializers(ActorSystem system)
    {
        if (system.Serialization.FindSerializerForType(typeof(RunStarted)) is not RunSerializer
            || system.Serialization.FindSerializerForType(typeof(ChildrenInserted)) is not DocSerializer)
            throw new InvalidOperationException("the actor system does not bind the engine's serializers: build its config on EngineConfig.Default(), or use the Akka.Hosting extension AddCaiman");
    }

    /// <summary>Worker processes need remoting (they join the engine over 127.0.0.1) and a command to start them.</summary>
    private static WorkerLaunch? WorkerLaunchFor(ActorSystem system, EngineSettings settings)
    {
        var address = ((ExtendedActorSystem)system).Provider.DefaultAddress;
        if (system is not ExtendedActorSystem { Provider: IRemoteActorRefProvider } || !address.HasGlobalScope || settings.Workers.Command.Count == 0) return null;
        return new WorkerLaunch(settings.Workers.Command, address.ToString(), settings.Workers.Certificate, settings.DataDirectory);
    }

    /// <summary>The actor that routes <see cref="IRunCommand"/>s to runs.</summary>
    public IActorRef Runs { get; }

    public EngineSettings Settings { get; }

    public CheckpointTypes Types { get; }

    public string Where => "in this process";

    /// <summary>Something disposed with the engine (the host's actor system and data directory lock).</summary>
    public void Owns(IAsyncDisposable owned) => _owned.Add(owned);

    public Task<RunStatus> StartAsync(string runId, PipelineDefinition pipeline, IReadOnlyList<string> pauseBefore, bool dryRun) =>
        AskAsync(new StartRun(runId, pipeline, [.. pauseBefore], dryRun));

    public Task<RunStatus> StartAsync(string runId, PipelineDefinition pipeline, IEnumerable<string>? pauseBefore = null, bool dryRun = false) =>
        StartAsync(runId, pipeline, [.. pauseBefore ?? []], dryRun);

    public Task<RunStatus> PauseAsync(string runId) => AskAsync(new PauseRun(runId));

    public Task<RunStatus> ResumeAsync(string runId, string? from, IReadOnlyList<string> pauseBefore) =>
        AskAsync(new ResumeRun(runId, from, [.. pauseBefore]));

    public Task<RunStatus> ResumeAsync(string runId, string? from = null, IEnumerable<string>? pauseBefore = null) =>
        ResumeAsync(runId, from, [.. pauseBefore ?? []]);

    public Task<RunStatus> CancelAsync(string runId) => AskAsync(new CancelRun(runId));

    /// <summary>The run's status; asking also recovers a run after a restart, and lets it go on.</summary>
    public Task<RunStatus> StatusAsync(string runId) => AskAsync(new GetRunStatus(runId));

    public async Task<IReadOnlyList<RunStatus>> ListAsync()
    {
        var statuses = new List<RunStatus>();
        foreach (var runId in await ListRunsAsync().ConfigureAwait(false))
            if (await ReadRunAsync(runId).ConfigureAwait(false) is { } status) statuses.Add(status);
        return statuses;
    }

    /// <summary>
    /// One run's status for a listing: a run the index knows but whose journal never started is
    /// forgotten (it never was a run); one that cannot be read is shown damaged.
    /// </summary>
    private async Task<RunStatus?> ReadRunAsync(string runId)
    {
        try
        {
            return await StatusAsync(runId).ConfigureAwait(false);
        }
        catch (RunException refused) when (refused.Error is RunError.UnknownRun)
        {
            Runs.Tell(new ForgetRun(runId));
            return null;
        }
        catch (RunException refused)
        {
            return RunStatus.Damaged(runId, refused.Error.Message);
        }
        catch (AskTimeoutException)
        {
            return RunStatus.Damaged(runId, $"it did not answer within {_timeout} (its journal may be unreadable); see the engine's log, and `caiman status {runId}`");
        }
    }

    public async Task<IReadOnlyList<CheckpointError>> ErrorsAsync(string runId, string? checkpoint = null, CheckpointErrorKind? kind = null)
    {
        var result = await Runs.Ask<ErrorsResult>(new GetErrors(runId, checkpoint, kind), _timeout).ConfigureAwait(false);
        return result.Error is null ? result.Errors : throw new RunException(result.Error);
    }

    /// <summary>The run's DOC at its current state (writes through it are a user's edits).</summary>
    public async Task<DocClient> DocAsync(string runId)
    {
        var address = await Runs.Ask<DocAddress>(new GetDoc(runId), _timeout).ConfigureAwait(false);
        return address.Error is null ? new DocClient(address.Doc, Writer.User(runId), _timeout) : throw new RunException(address.Error);
    }

    public async Task<string> DocGetAsync(string runId, string path)
    {
        var doc = await DocAsync(runId).ConfigureAwait(false);
        if (!DocPathParser.TryParse(path, out var parsed, out var syntax))
            throw new DocException(new DocError.InvalidPath(syntax.Path, syntax.Position, syntax.Reason));
        var json = parsed.Property is not null
            ? new JsonArray([.. (await doc.FindValuesAsync(path).ConfigureAwait(false)).Select(v => v.ToJson())])
            : new JsonArray([.. (await doc.FindAsync(path, QueryShape.Subtree).ConfigureAwait(false)).Select(n => (JsonNode)DocClient.ToJson(n))]);
        return json.ToJsonString(Indented);
    }

    public async Task<string> DocExportAsync(string runId) =>
        (await (await DocAsync(runId).ConfigureAwait(false)).ExportAsync().ConfigureAwait(false)).ToJsonString(Indented);

    public async Task<IReadOnlyList<NodeBlame>> DocBlameAsync(string runId, string path) =>
        await (await DocAsync(runId).ConfigureAwait(false)).BlameAsync(path).ConfigureAwait(false);

    public async IAsyncEnumerable<string> LogAsync(string runId, string? checkpoint, bool follow, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var status = await StatusAsync(runId).ConfigureAwait(false); // an unknown run is refused here
        if (checkpoint is not null && !status.Checkpoints.Any(c => c.Name == checkpoint))
            throw new RunException(new RunError.UnknownCheckpoint(runId, checkpoint, [.. status.Checkpoints.Select(c => c.Name)]));
        if (Settings.DataDirectory.Length == 0) yield break;
        var file = RunFiles.Log(Settings.DataDirectory, runId);
        var stopped = follow ? WaitStoppedAsync(runId, cancellationToken) : Task.FromResult(status);
        await foreach (var line in LogFile.ReadAsync(file, follow && !status.IsStopped, stopped, cancellationToken).ConfigureAwait(false))
            if (checkpoint is null || LogFile.IsOf(line, checkpoint))
                yield return line;
    }

    private async Task<RunStatus> WaitStoppedAsync(string runId, CancellationToken cancellationToken)
    {
        try
        {
            return await WaitAsync(runId, _ => { }, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return await StatusAsync(runId).ConfigureAwait(false);
        }
    }

    /// <summary>Every run this engine's journal knows, oldest first.</summary>
    public async Task<ImmutableArray<string>> ListRunsAsync() =>
        (await Runs.Ask<RunList>(ListRuns.Instance, _timeout).ConfigureAwait(false)).RunIds;

    /// <summary>
    /// Recovers every run that has not finished; those that were running go on by themselves
    /// (unless <c>continue-after-recovery</c> is off). Returns their statuses after recovery; a run
    /// that cannot be recovered is returned damaged, and the others still go on.
    /// </summary>
    public async Task<ImmutableArray<RunStatus>> RecoverAllAsync() => [.. await ListAsync().ConfigureAwait(false)];

    /// <summary>
    /// For a shutdown: every run starts nothing new, running attempts get <paramref name="finishWithin"/>
    /// to end and are then interrupted (processes killed, changes reverted). Runs keep their phase,
    /// so an engine started later on the same journal goes on with them.
    /// </summary>
    public async Task SuspendAllAsync(TimeSpan finishWithin)
    {
        var runs = await ListRunsAsync().ConfigureAwait(false);
        var wait = finishWithin + Settings.CancelGracePeriod + _timeout;
        await Task.WhenAll(runs.Select(async id =>
        {
            var status = await Runs.Ask<RunReply>(new GetRunStatus(id), _timeout).ConfigureAwait(false);
            if (status.Status is { IsStopped: false })
                await Runs.Ask<RunReply>(new SuspendRun(id, finishWithin), wait).ConfigureAwait(false);
        })).ConfigureAwait(false);
    }

    /// <summary>Subscribes an actor to the run's <see cref="RunProgress"/> and final <see cref="RunStatus"/>.</summary>
    public Task<RunStatus> SubscribeAsync(string runId, IActorRef subscriber) => AskAsync(new SubscribeProgress(runId, subscriber));

    /// <summary>
    /// Completes when the run stops (completed, failed, paused or cancelled) with its status;
    /// <paramref name="progress"/> sees every progress message on the way.
    /// </summary>
    public async Task<RunStatus> WaitAsync(string runId, Action<RunProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var stopped = new TaskCompletionSource<RunStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = _system.ActorOf(Props.Create(() => new RunWatcher(stopped, progress)));
        try
        {
            var now = await SubscribeAsync(runId, watcher).ConfigureAwait(false);
            if (now.IsStopped) return now;
            await using var registration = cancellationToken.Register(() => stopped.TrySetCanceled(cancellationToken)).ConfigureAwait(false);
            return await stopped.Task.ConfigureAwait(false);
        }
        finally
        {
            _system.Stop(watcher);
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync().ConfigureAwait(false);
        _owned.Clear();
    }

    private async Task<RunStatus> AskAsync(IRunCommand command)
    {
        var reply = await Runs.Ask<RunReply>(command, _timeout).ConfigureAwait(false);
        return reply.Error is null ? reply.Status! : throw new RunException(reply.Error);
    }

    private sealed class RunWatcher : ReceiveActor
    {
        public RunWatcher(TaskCompletionSource<RunStatus> stopped, Action<RunProgress>? progress)
        {
            Receive<RunProgress>(p => progress?.Invoke(p));
            Receive<RunStatus>(status =>
            {
                if (status.IsStopped) stopped.TrySetResult(status);
            });
        }
    }
}
