using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Caiman.Actors.Logging;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Runs;

/// <summary>What every run of an engine shares.</summary>
internal sealed record EngineServices(EngineSettings Settings, CheckpointTypes Types, ILoggerFactory Loggers, Akka.Configuration.Config Config, IActorRef Placement, IActorRef LocalWorker);

/// <summary>
/// One run (persistence id <c>run-&lt;id&gt;</c>): owns the run's DOC (child <c>doc</c>) and its log
/// (child <c>log</c>), and keeps in its journal everything needed to go on after a crash. Every
/// decision is <see cref="RunState"/>'s; this actor hands it each message, persists the events it
/// applied (one journal write per step) and carries out its effects: attempts sent to the
/// placement, timers, the DOC's reverts, replies once durable. Split by concern: this file the
/// wiring, <c>RunActor.Effects.cs</c> the effects.
/// </summary>
internal sealed partial class RunActor : ReceivePersistentActor, IWithTimers
{
    private readonly EngineServices _engine;
    private readonly RunState _state;
    private readonly HashSet<IActorRef> _subscribers = [];
    private IActorRef _doc = ActorRefs.Nobody;
    private IActorRef _log = ActorRefs.Nobody;
    private DocClient _docClient = null!;

    // Replies wait for the writes before them: writes issued and done, and what waits for which.
    private long _writesIssued;
    private long _writesDone;
    private readonly Queue<(long AfterWrite, List<RunEffect> Effects)> _deferred = new();

    public RunActor(string runId, EngineServices engine)
    {
        _engine = engine;
        _state = new RunState(runId, RunRules.From(engine.Settings, EstimateOf));
        PersistenceId = "run-" + runId;

        Recover<IRunEvent>(_state.Apply);
        Recover<RecoveryCompleted>(_ => Step(_state.OnRecovered()));

        CommandWhenSettled<StartRun>(start => Step(_state.OnStart(start, Sender, _engine.Types, Now)));
        CommandWhenSettled<PauseRun>(_ => Step(_state.OnPause(Sender, Now)));
        CommandWhenSettled<ResumeRun>(resume => Step(_state.OnResume(resume, Sender, Now)));
        CommandWhenSettled<CancelRun>(_ => Step(_state.OnCancel(Sender, Now)));
        CommandWhenSettled<GetRunStatus>(_ => Step(_state.OnStatus(Sender, Now)));
        CommandWhenSettled<GetErrors>(query => Step(_state.OnErrors(query, Sender)));
        CommandWhenSettled<GetDoc>(_ => GiveDoc());
        CommandWhenSettled<SubscribeProgress>(Subscribe);
        CommandWhenSettled<SuspendRun>(suspend => Step(_state.OnSuspend(suspend.FinishWithin, Sender, Now)));
        Command<UnsubscribeProgress>(u =>
        {
            _subscribers.Remove(u.Subscriber);
            Context.Unwatch(u.Subscriber);
        });

        Command<AttemptAccepted>(accepted => Step(_state.OnAccepted(accepted)));
        Command<AttemptRefused>(refused => Step(_state.OnRefused(refused, Now)));
        Command<AttemptProgressed>(progress => Step(_state.OnProgress(progress)));
        Command<AttemptErrorReported>(reported => Step(_state.OnErrorReported(reported)));
        Command<RecordProcessLaunch>(record => Step(_state.OnRecordLaunch(record, Sender)));
        Command<AttemptFinished>(finished => Step(_state.OnFinished(finished, Now)));
        Command<AttemptLost>(lost => Step(_state.OnLost(lost, Now)));
        Command<AttemptAbandoned>(abandoned => Step(_state.OnAbandoned(abandoned, Now)));
        Command<Terminated>(terminated => _subscribers.Remove(terminated.ActorRef));
        SelfMessages();
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    private string RunId => _state.RunId;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    public static Props Props(string runId, EngineServices engine) => Akka.Actor.Props.Create(() => new RunActor(runId, engine));

    protected override void PreStart()
    {
        _doc = Context.ActorOf(DocClient.Props(RunId, _engine.Config), "doc");
        _log = Context.ActorOf(RunLogActor.Props(RunId, _engine.Settings.DataDirectory, _engine.Loggers), "log");
        _docClient = new DocClient(_doc, Writer.User(RunId), _engine.Settings.AskTimeout);
        base.PreStart();
    }

    /// <summary>A command from outside: while the run reverts (a resume, a recovery) it waits its turn.</summary>
    private void CommandWhenSettled<T>(Action<T> handle) => Command<T>(command =>
    {
        if (_state.IsReverting) Stash.Stash();
        else handle(command);
    });

    private TimeSpan EstimateOf(CheckpointDefinition definition)
    {
        try
        {
            return _engine.Types.TryGet(definition.Type, out var type) ? type.Create(definition.Args).Estimate : TimeSpan.FromSeconds(1);
        }
        catch (Exception e)
        {
            Write(LogLevel.Warning, "-", $"no estimate for '{definition.Name}' ({e.Message}); counting one second");
            return TimeSpan.FromSeconds(1);
        }
    }

    private void GiveDoc()
    {
        var exists = _state.Phase != RunPhase.New;
        Sender.Tell(new DocAddress(RunId, _doc, exists ? null : new RunError.UnknownRun(RunId)));
        if (!exists) Context.Stop(Self);
    }

    private void Subscribe(SubscribeProgress subscribe)
    {
        if (_state.Phase != RunPhase.New)
        {
            _subscribers.Add(subscribe.Subscriber);
            Context.Watch(subscribe.Subscriber);
        }
        Step(_state.OnStatus(Sender, Now));
    }

    // ---- One step: apply (already done by the state), persist in one write, carry out the effects ----

    private void Step(Decision decision)
    {
        List<RunEffect>? deferred = null;
        foreach (var effect in decision.Effects)
        {
            if (effect.AfterDurable) (deferred ??= []).Add(effect);
            else Perform(effect);
        }
        if (decision.Events.Count > 0)
        {
            var write = ++_writesIssued;
            if (deferred is not null) _deferred.Enqueue((write, deferred));
            var last = decision.Events[^1];
            PersistAllAsync(decision.Events, e =>
            {
                if (!ReferenceEquals(e, last)) return;
                _writesDone = write;
                while (_deferred.Count > 0 && _deferred.Peek().AfterWrite <= _writesDone)
                    foreach (var waiting in _deferred.Dequeue().Effects) Perform(waiting);
            });
        }
        else if (deferred is not null)
        {
            // Nothing to write: durable once the writes before it are.
            if (_writesDone == _writesIssued) deferred.ForEach(Perform);
            else _deferred.Enqueue((_writesIssued, deferred));
        }
    }

    private void Write(LogLevel level, string checkpoint, string message) =>
        _log.Tell(new AppendLog(checkpoint, 0, level, message, Now));
}
