using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Caiman.Actors.Logging;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Runs;

/// <summary>What every run of an engine shares.</summary>
internal sealed record EngineServices(EngineSettings Settings, CheckpointTypes Types, ILoggerFactory Loggers, Akka.Configuration.Config Config);

/// <summary>
/// One run (persistence id <c>run-&lt;id&gt;</c>): owns the run's DOC, supervises one child per
/// running attempt, and keeps in its journal everything needed to go on after a crash. The
/// state lives in <see cref="RunState"/>; this actor wires commands, attempts, the DOC and timers.
/// Split by concern: this file the lifecycle and commands, <c>RunActor.Attempts.cs</c> the attempts,
/// <c>RunActor.Reverts.cs</c> reverting, recovery and races.
/// </summary>
internal sealed partial class RunActor : ReceivePersistentActor, IWithTimers
{
    private readonly EngineServices _engine;
    private readonly RunState _state;
    private readonly Dictionary<string, LiveAttempt> _live = new(StringComparer.Ordinal);
    private readonly HashSet<IActorRef> _subscribers = [];
    private readonly List<IActorRef> _suspendedBy = [];
    private IActorRef _doc = ActorRefs.Nobody;
    private DocClient _docClient = null!;
    private RunLog? _runLog;
    private ILogger _log = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public RunActor(string runId, EngineServices engine)
    {
        _engine = engine;
        _state = new RunState(runId) { TypeEstimate = EstimateOf };
        PersistenceId = "run-" + runId;

        Recover<IRunEvent>(_state.Apply);
        Recover<RecoveryCompleted>(_ => Recovered());
        Active();
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    private string RunId => _state.RunId;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    public static Props Props(string runId, EngineServices engine) => Akka.Actor.Props.Create(() => new RunActor(runId, engine));

    protected override void PreStart()
    {
        _doc = Context.ActorOf(DocClient.Props(RunId, _engine.Config), "doc");
        _docClient = new DocClient(_doc, Writer.User(RunId), _engine.Settings.AskTimeout);
        _runLog = new RunLog(RunId, _engine.Settings.DataDirectory, _engine.Loggers);
        _log = _runLog.For(null);
        base.PreStart();
    }

    protected override void PostStop()
    {
        _runLog?.Dispose();
        base.PostStop();
    }

    private TimeSpan EstimateOf(Caiman.Checkpoints.Pipelines.CheckpointDefinition definition)
    {
        try
        {
            return _engine.Types.TryGet(definition.Type, out var type) ? type.Create(definition.Args).Estimate : TimeSpan.FromSeconds(1);
        }
        catch (Exception e)
        {
            _log.LogWarning("no estimate for '{Checkpoint}' ({Message}); counting one second", definition.Name, e.Message);
            return TimeSpan.FromSeconds(1);
        }
    }

    private int Parallelism => _state.Pipeline?.Parallelism ?? _engine.Settings.Parallelism;

    // ---- Behaviours --------------------------------------------------------------------------

    private void Active()
    {
        Command<StartRun>(Start);
        Command<PauseRun>(Pause);
        Command<ResumeRun>(Resume);
        Command<CancelRun>(Cancel);
        Command<GetRunStatus>(_ => ReplyStatus());
        Command<GetErrors>(Errors);
        Command<GetDoc>(_ => Sender.Tell(new DocAddress(RunId, _doc, _state.Phase == RunPhase.New ? new RunError.UnknownRun(RunId) : null)));
        Command<SubscribeProgress>(Subscribe);
        Command<SuspendRun>(Suspend);
        Command<SuspendDeadline>(_ =>
        {
            foreach (var live in _live.Values.Where(l => !l.Finished && l.Stopping is null)) StopAttempt(live, StopReason.Shutdown);
        });
        Command<UnsubscribeProgress>(u => { _subscribers.Remove(u.Subscriber); Context.Unwatch(u.Subscriber); });
        AttemptMessages();
        Command<Terminated>(Terminated);
    }

    /// <summary>While the DOC reverts for a resume or a recovery: requests wait, attempts still report.</summary>
    private void Reverting()
    {
        AttemptMessages();
        Command<Terminated>(Terminated);
        Command<ResumeReverted>(OnResumeReverted);
        Command<InterruptedReverted>(OnInterruptedReverted);
        Command<GhostsFound>(OnGhostsFound);
        CommandAny(_ => Stash.Stash());
    }

    // ---- Commands ------------------------------------------------------------------------------

    private void Start(StartRun command)
    {
        if (_state.Phase != RunPhase.New)
        {
            Sender.Tell(RunReply.Refused(new RunError.RunExists(RunId, _state.Phase)));
            return;
        }
        if (UnknownCheckpoint(command.Pipeline.Checkpoints.Select(c => c.Name), command.PauseBefore) is { } unknown)
        {
            Sender.Tell(RunReply.Refused(unknown));
            return;
        }
        var sender = Sender;
        _log.LogInformation("run of pipeline '{Pipeline}' started{DryRun}", command.Pipeline.Name, command.DryRun ? " (dry run)" : "");
        Commit([new RunStarted(RunId, command.Pipeline, command.PauseBefore, command.DryRun, Now)], () => sender.Tell(RunReply.Of(Status())));
    }

    private void Pause(PauseRun _)
    {
        switch (_state.Phase)
        {
            case RunPhase.Running:
                var sender = Sender;
                Commit([new PauseRequested(Now)], () => sender.Tell(RunReply.Of(Status())));
                break;
            case RunPhase.Pausing or RunPhase.Paused:
                ReplyStatus();
                break;
            default:
                Refuse("only a running run can be paused");
                break;
        }
    }

    private void Cancel(CancelRun _)
    {
        switch (_state.Phase)
        {
            case RunPhase.Running or RunPhase.Pausing:
                var sender = Sender;
                _log.LogWarning("cancel requested");
                Commit([new CancelRequested(Now)], () => sender.Tell(RunReply.Of(Status())));
                foreach (var live in _live.Values.Where(l => !l.Finished && l.Stopping is null)) StopAttempt(live, StopReason.Cancel);
                break;
            case RunPhase.Cancelling or RunPhase.Cancelled:
                ReplyStatus();
                break;
            default:
                Refuse("only a running or pausing run can be cancelled");
                break;
        }
    }

    private void Resume(ResumeRun command)
    {
        if (_state.Phase == RunPhase.New)
        {
            Sender.Tell(RunReply.Refused(new RunError.UnknownRun(RunId)));
            Context.Stop(Self);
            return;
        }
        if (_state.Phase is RunPhase.Running && command.From is null && command.PauseBefore.IsEmpty)
        {
            // Already going on (e.g. recovered after a crash): resuming it is a no-op.
            ReplyStatus();
            return;
        }
        if (_state.Phase is not (RunPhase.Paused or RunPhase.Failed or RunPhase.Cancelled or RunPhase.Completed))
        {
            Refuse("pause or cancel it before resuming");
            return;
        }
        var names = _state.Checkpoints.Select(c => c.Name).ToList();
        var asked = command.From is null ? command.PauseBefore : command.PauseBefore.Add(command.From);
        if (UnknownCheckpoint(names, asked) is { } unknown)
        {
            Sender.Tell(RunReply.Refused(unknown));
            return;
        }
        var reset = _state.Checkpoints.Where(c => c.State is CheckpointState.Failed or CheckpointState.Cancelled).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var revert = new List<Writer>();
        if (command.From is { } from)
        {
            var record = _state[from];
            if (!_state.IsResumable(record))
            {
                var waiting = record.Definition.After.Where(d => _state[d].State != CheckpointState.Completed).ToImmutableArray();
                Sender.Tell(RunReply.Refused(new RunError.NotResumable(RunId, from, waiting)));
                return;
            }
            foreach (var name in _state.Graph.TransitiveDependents(from).Prepend(from))
            {
                reset.Add(name);
                revert.AddRange(WritersOf(_state[name]));
            }
        }
        else if (_state.Phase == RunPhase.Completed)
        {
            Refuse("the run completed; resume from a checkpoint to run it again");
            return;
        }
        var resumed = new RunResumed(command.From, [.. names.Where(reset.Contains)], command.PauseBefore, Now);
        _log.LogInformation("resume{From}: resetting {Reset}", command.From is null ? "" : $" from '{command.From}'", resumed.Reset.IsEmpty ? "nothing" : string.Join(", ", resumed.Reset));
        foreach (var name in resumed.Reset) ForgetWrites(name);
        var sender = Sender;
        Become(Reverting);
        RevertAsync([.. revert], RunId).PipeTo(Self, success: r => new ResumeReverted(resumed, r, sender));
    }

    private void OnResumeReverted(ResumeReverted done)
    {
        Become(Active);
        var events = new List<IRunEvent>(RaceErrors(done.Result));
        events.Add(done.Resumed);
        Commit(events, () => done.ReplyTo.Tell(RunReply.Of(Status())));
        Stash.UnstashAll();
    }

    private void Suspend(SuspendRun command)
    {
        if (_state.Phase == RunPhase.New)
        {
            Sender.Tell(RunReply.Refused(new RunError.UnknownRun(RunId)));
            Context.Stop(Self);
            return;
        }
        _suspendedBy.Add(Sender);
        _log.LogInformation("suspending for a shutdown: {Running} attempts get {Within} to finish", _live.Count, command.FinishWithin);
        if (_live.Count > 0) Timers.StartSingleTimer(SuspendDeadline.Instance, SuspendDeadline.Instance, command.FinishWithin);
        CheckSuspended();
    }

    /// <summary>Once a suspended run has nothing running, tell whoever suspended it and stop.</summary>
    private void CheckSuspended()
    {
        if (_suspendedBy.Count == 0 || _live.Count > 0) return;
        var status = Status();
        foreach (var waiting in _suspendedBy) waiting.Tell(RunReply.Of(status));
        _suspendedBy.Clear();
        Context.Stop(Self);
    }

    private void Errors(GetErrors query)
    {
        if (_state.Phase == RunPhase.New)
        {
            Sender.Tell(new ErrorsResult(RunId, [], new RunError.UnknownRun(RunId)));
            Context.Stop(Self);
            return;
        }
        Reply(() => new ErrorsResult(RunId,
        [
            .. _state.Errors
                .Where(e => query.Checkpoint is null || e.Checkpoint == query.Checkpoint)
                .Where(e => query.Kind is null || e.Kind == query.Kind),
        ], null));
    }

    private void Subscribe(SubscribeProgress subscribe)
    {
        if (_state.Phase == RunPhase.New)
        {
            Sender.Tell(RunReply.Refused(new RunError.UnknownRun(RunId)));
            Context.Stop(Self);
            return;
        }
        _subscribers.Add(subscribe.Subscriber);
        Context.Watch(subscribe.Subscriber);
        ReplyStatus();
    }

    private void Terminated(Terminated terminated)
    {
        if (_subscribers.Remove(terminated.ActorRef)) return;
        var live = _live.Values.FirstOrDefault(l => terminated.ActorRef.Equals(l.Actor));
        // An attempt actor that died without reporting (it catches everything, so: killed) counts as failed.
        if (live is { Finished: false })
            OnFinished(new AttemptFinished(live.Name, live.Attempt, AttemptOutcome.Failed,
                new CheckpointError(live.Name, live.Attempt, CheckpointErrorKind.Error, null, "the attempt's actor stopped unexpectedly", ImmutableSortedDictionary<string, string>.Empty, Now)));
    }

    private void ReplyStatus()
    {
        if (_state.Phase == RunPhase.New)
        {
            Sender.Tell(RunReply.Refused(new RunError.UnknownRun(RunId)));
            // Asked about a run that does not exist: do not linger as an empty actor.
            Context.Stop(Self);
            return;
        }
        Reply(() => RunReply.Of(Status()));
    }

    /// <summary>
    /// Replies once every event applied so far is durable: state is applied before it is written,
    /// and a caller must never see a phase that a crash could still take back.
    /// </summary>
    private void Reply(Func<object> reply)
    {
        var sender = Sender;
        DeferAsync(reply, r => sender.Tell(r()));
    }

    private void Refuse(string reason) => Sender.Tell(RunReply.Refused(_state.Phase == RunPhase.New
        ? new RunError.UnknownRun(RunId)
        : new RunError.InvalidState(RunId, _state.Phase, reason)));

    private RunError? UnknownCheckpoint(IEnumerable<string> known, IEnumerable<string> asked)
    {
        var names = known.ToImmutableArray();
        var missing = asked.FirstOrDefault(a => !names.Contains(a));
        return missing is null ? null : new RunError.UnknownCheckpoint(RunId, missing, names);
    }

    private RunStatus Status() => _state.Status(Now);

    // ---- Committing events and scheduling --------------------------------------------------------

    /// <summary>
    /// Applies the events, adds the attempts that may start now and the run's stop when nothing is
    /// left to do, and persists all of it as one batch; side effects (spawning attempts, telling
    /// subscribers, <paramref name="then"/>) follow once it is durable. Applying first is safe: a
    /// journal failure stops the actor, and recovery rebuilds the state from what was written.
    /// </summary>
    private void Commit(IReadOnlyList<IRunEvent> events, Action? then = null)
    {
        var batch = new List<IRunEvent>(events.Count + 2);
        foreach (var e in events)
        {
            _state.Apply(e);
            batch.Add(e);
        }
        var now = Now;
        if (_suspendedBy.Count > 0)
        {
            // Suspended: start nothing and never stop the run; it goes on after the restart.
            void Settle()
            {
                then?.Invoke();
                CheckSuspended();
            }
            if (batch.Count == 0) Settle();
            else PersistAllAsync(batch, e => { if (ReferenceEquals(e, batch[^1])) Settle(); });
            return;
        }
        var slots = Parallelism - _live.Count;
        var starting = new List<AttemptStarted>();
        foreach (var record in _state.Ready(now, slots, _live.Keys.ToHashSet(StringComparer.Ordinal)))
        {
            var started = new AttemptStarted(record.Name, record.Attempts + 1, now);
            _state.Apply(started);
            _live[record.Name] = new LiveAttempt(record.Name, started.Attempt);
            batch.Add(started);
            starting.Add(started);
        }
        if (_live.Count == 0 && _raceChecks == 0 && _state.StopPhase(false, now) is { } phase)
        {
            var stopped = new RunStopped(phase, now);
            _state.Apply(stopped);
            batch.Add(stopped);
        }
        else if (_live.Count == 0 && _state.NextRetry() is { } retry)
        {
            Timers.StartSingleTimer(RetryDue.Instance, RetryDue.Instance, retry > now ? retry - now : TimeSpan.Zero);
        }
        if (batch.Count == 0)
        {
            then?.Invoke();
            return;
        }
        var last = batch[^1];
        // Attempts start before their start is durable: waiting would put an fsync between every
        // completion and the next start. That is safe because recovery reverts what an attempt
        // whose start never reached the journal wrote (see Recovered), and a process waits at its
        // gate until its launch is journalled, which comes after the start. Completions arriving
        // while a write is in flight share the next write; callers hear back once it is durable.
        foreach (var started in starting) Spawn(started);
        PersistAllAsync(batch, e =>
        {
            switch (e)
            {
                case AttemptCompleted { Checkpoint: var name }:
                    Publish(_state[name]);
                    break;
                case AttemptFailed { Checkpoint: var name }:
                    Publish(_state[name]);
                    break;
                case AttemptCancelled { Checkpoint: var name }:
                    Publish(_state[name]);
                    break;
                case RunStopped stopped:
                    Stopped(stopped);
                    break;
            }
            if (!ReferenceEquals(e, last)) return;
            then?.Invoke();
            Publish(null);
        });
    }

    private void Stopped(RunStopped stopped)
    {
        _log.LogInformation("run {Phase}", stopped.Phase.ToString().ToLowerInvariant());
        var status = Status();
        foreach (var subscriber in _subscribers) subscriber.Tell(status);
    }

    private void Publish(CheckpointRecord? changed)
    {
        if (_subscribers.Count == 0) return;
        var now = Now;
        var progress = new RunProgress(RunId, _state.Phase, _state.ComputePercent(), _state.TimeLeft(now),
            changed?.Name, changed?.State, changed?.Percent ?? 0, changed?.Message);
        foreach (var subscriber in _subscribers) subscriber.Tell(progress);
    }

    /// <summary>Sent to self when a suspended run's running attempts have had their time; local only.</summary>
    private sealed record SuspendDeadline : INoSerializationVerificationNeeded
    {
        public static readonly SuspendDeadline Instance = new();
    }

    /// <summary>Sent to self when a waiting retry is due; local only.</summary>
    private sealed record RetryDue : INoSerializationVerificationNeeded
    {
        public static readonly RetryDue Instance = new();
    }
}
