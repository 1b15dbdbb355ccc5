using System.Collections.Immutable;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Actors.Runs;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Caiman.Actors;

/// <summary>A run refused a request; <see cref="Error"/> says why.</summary>
public sealed class RunException(RunError error) : Exception(error.Message)
{
    public RunError Error { get; } = error;
}

/// <summary>
/// The engine as a library: start runs of pipelines, pause, resume, cancel, and watch them.
/// Every call is a message to the run's actor; this class only asks and unwraps.
/// </summary>
public sealed class CaimanEngine
{
    private readonly ActorSystem _system;
    private readonly TimeSpan _timeout;

    private CaimanEngine(ActorSystem system, IActorRef runs, EngineSettings settings, CheckpointTypes types)
    {
        _system = system;
        Runs = runs;
        Settings = settings;
        Types = types;
        _timeout = settings.AskTimeout;
    }

    /// <summary>
    /// Starts the engine in the system (its config should fall back to <see cref="EngineConfig.Default"/>).
    /// Runs are recovered on first use; <paramref name="types"/> defaults to the built-in ones.
    /// </summary>
    public static CaimanEngine Start(ActorSystem system, CheckpointTypes? types = null, ILoggerFactory? loggers = null, string name = "runs")
    {
        var config = system.Settings.Config.WithFallback(EngineConfig.Default());
        var settings = EngineSettings.Create(config);
        types ??= CheckpointTypes.BuiltIn();
        var services = new EngineServices(settings, types, loggers ?? NullLoggerFactory.Instance, config);
        var runs = system.ActorOf(RunsActor.Props(services), name);
        return new CaimanEngine(system, runs, settings, types);
    }

    /// <summary>The actor that routes <see cref="IRunCommand"/>s to runs.</summary>
    public IActorRef Runs { get; }

    public EngineSettings Settings { get; }

    public CheckpointTypes Types { get; }

    public Task<RunStatus> StartAsync(string runId, PipelineDefinition pipeline, IEnumerable<string>? pauseBefore = null, bool dryRun = false) =>
        AskAsync(new StartRun(runId, pipeline, [.. pauseBefore ?? []], dryRun));

    public Task<RunStatus> PauseAsync(string runId) => AskAsync(new PauseRun(runId));

    public Task<RunStatus> ResumeAsync(string runId, string? from = null, IEnumerable<string>? pauseBefore = null) =>
        AskAsync(new ResumeRun(runId, from, [.. pauseBefore ?? []]));

    public Task<RunStatus> CancelAsync(string runId) => AskAsync(new CancelRun(runId));

    /// <summary>The run's status; asking also recovers a run after a restart, and lets it go on.</summary>
    public Task<RunStatus> StatusAsync(string runId) => AskAsync(new GetRunStatus(runId));

    public async Task<ImmutableArray<CheckpointError>> ErrorsAsync(string runId, string? checkpoint = null, CheckpointErrorKind? kind = null)
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

    /// <summary>Every run this engine's journal knows, oldest first.</summary>
    public async Task<ImmutableArray<string>> ListRunsAsync() =>
        (await Runs.Ask<RunList>(ListRuns.Instance, _timeout).ConfigureAwait(false)).RunIds;

    /// <summary>
    /// Recovers every run that has not finished; those that were running go on by themselves
    /// (unless <c>continue-after-recovery</c> is off). Returns their statuses after recovery.
    /// </summary>
    public async Task<ImmutableArray<RunStatus>> RecoverAllAsync()
    {
        var statuses = new List<RunStatus>();
        foreach (var runId in await ListRunsAsync().ConfigureAwait(false))
            statuses.Add(await StatusAsync(runId).ConfigureAwait(false));
        return [.. statuses];
    }

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
        var watcher = _system.ActorOf(Akka.Actor.Props.Create(() => new RunWatcher(stopped, progress)));
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
