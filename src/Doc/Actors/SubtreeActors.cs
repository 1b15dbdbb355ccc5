using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;

namespace Caiman.Doc.Actors;

/// <summary>
/// One <c>/persistent</c> subtree: applies mutations one message at a time, event-sourced.
/// Changes apply to the state at once (so pipelined commands see each other) and persist
/// asynchronously; every reply, queries included, is deferred until the writes before it are
/// durable, so nothing acknowledged or read can be lost by a crash.
/// </summary>
internal sealed class PersistentSubtreeActor : ReceivePersistentActor, IWithTimers
{
    /// <summary>Sent to self when writes have paused; local only.</summary>
    private sealed record SnapshotWhenQuiet : INoSerializationVerificationNeeded
    {
        public static readonly SnapshotWhenQuiet Instance = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DocSettings _settings;
    private readonly Fence _fence;
    private SubtreeState _state;
    private int _pending;
    private long _sinceSnapshot;
    private long _lastWrite;
    private bool _draining;

    public PersistentSubtreeActor(string runId, string root, string mount, DocSettings settings, ImmutableHashSet<Writer> fenced)
    {
        _settings = settings;
        _fence = new Fence(fenced);
        _state = new SubtreeState(root, mount);
        PersistenceId = $"doc-{runId}-{_state.MountPath}";

        Recover<SnapshotOffer>(offer => _state = SubtreeState.FromSnapshot((SubtreeSnapshot)offer.Snapshot));
        Recover<IDocEvent>(evt => { _state.Apply(evt); _sinceSnapshot++; });

        Active();
    }

    private void Active()
    {
        Command<Mutate>(Handle);
        Command<RevertWriters>(Handle);
        Command<FenceWriters>(command => Sender.Tell(_fence.Apply(command)));
        Command<Find>(query => Reply(_state.Find(query)));
        Command<FindWrites>(query => Reply(_state.WrittenBy(query)));
        Command<Blame>(query => Reply(_state.Blamed(query)));
        Command<EvaluateStage>(stage => Reply(_state.EvaluateStage(stage)));
        Command<SnapshotWhenQuiet>(_ => OnQuietCheck());
        SnapshotReplies();
    }

    /// <summary>
    /// A forced snapshot waits for the writes in flight: new requests are stashed until the
    /// state equals the journal, so a full pipeline cannot put snapshots off for ever.
    /// </summary>
    private void Draining()
    {
        Command<SnapshotWhenQuiet>(_ => { });
        SnapshotReplies();
        CommandAny(_ => Stash.Stash());
    }

    private void SnapshotReplies()
    {
        Command<SaveSnapshotSuccess>(saved => DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(failed => _log.Warning(failed.Cause, "snapshot of {0} failed; recovery replays more events", PersistenceId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning(failed.Cause, "old snapshots of {0} were not deleted", PersistenceId));
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string runId, string root, string mount, DocSettings settings, ImmutableHashSet<Writer> fenced) =>
        Akka.Actor.Props.Create(() => new PersistentSubtreeActor(runId, root, mount, settings, fenced));

    private void Handle(Mutate command)
    {
        if (_fence.Refuses(command) is { } refused)
        {
            Reply(refused);
            return;
        }
        var events = new List<IDocEvent>();
        var inserted = new List<NodeId>();
        var error = _state.Decide(command, events, inserted);
        var result = error is not null ? MutationResult.Failed(error) : inserted.Count == 0 ? MutationResult.Done : new MutationResult([.. inserted], null);
        Persist(events, result);
    }

    private void Handle(RevertWriters command)
    {
        var error = _state.Revert(command.Reverted, command.Cascade, command.DryRun, out var reverted, out var undone);
        var result = error is null ? new RevertResult(reverted, null) : RevertResult.Failed(error);
        var events = error is null && undone > 0 && !command.DryRun ? new List<IDocEvent> { new WritersReverted(command.Writer, reverted) } : [];
        Persist(events, result);
    }

    private void Persist(List<IDocEvent> events, object reply)
    {
        if (events.Count == 0)
        {
            Reply(reply);
            return;
        }
        var sender = Sender;
        var remaining = events.Count;
        _pending += events.Count;
        PersistAllAsync(events, _ =>
        {
            _pending--;
            _sinceSnapshot++;
            if (--remaining == 0) sender.Tell(reply);
            _lastWrite = Environment.TickCount64;
            if (!SnapshotDue) return;
            // Writing a snapshot competes with the journal for the database, so wait for a pause
            // in writes; a long burst without one drains its writes in flight and takes one.
            if (_sinceSnapshot < 10L * SnapshotInterval)
            {
                if (!Timers.IsTimerActive(SnapshotWhenQuiet.Instance)) ArmSnapshotTimer();
            }
            else if (_pending == 0)
            {
                SnapshotIfDue(force: true);
                if (_draining)
                {
                    _draining = false;
                    Become(Active);
                    Stash.UnstashAll();
                }
            }
            else if (!_draining)
            {
                _draining = true;
                Become(Draining);
            }
        });
    }

    private void ArmSnapshotTimer() =>
        Timers.StartSingleTimer(SnapshotWhenQuiet.Instance, SnapshotWhenQuiet.Instance, _settings.SnapshotQuietPeriod);

    private void OnQuietCheck()
    {
        var quietFor = TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastWrite);
        if (quietFor >= _settings.SnapshotQuietPeriod && _pending == 0) SnapshotIfDue(force: false);
        else if (SnapshotDue) ArmSnapshotTimer();
    }

    /// <summary>A snapshot costs the whole subtree: spacing them by its size keeps that cost per change bounded.</summary>
    private long SnapshotInterval => Math.Max(_settings.SnapshotEvery, _state.NodeCount / 2);

    private bool SnapshotDue => _sinceSnapshot >= SnapshotInterval;

    private void SnapshotIfDue(bool force)
    {
        // Only when nothing is in flight does the state equal the journal, so only then may it be snapshotted.
        if (_pending != 0 || !(force || SnapshotDue)) return;
        Timers.Cancel(SnapshotWhenQuiet.Instance);
        SaveSnapshot(_state.ToSnapshot());
        _sinceSnapshot = 0;
    }

    private void Reply(object reply)
    {
        var sender = Sender;
        DeferAsync(reply, r => sender.Tell(r));
    }
}

/// <summary>One <c>/volatile</c> subtree: the same domain, in memory only.</summary>
internal sealed class VolatileSubtreeActor : ReceiveActor
{
    private readonly SubtreeState _state;
    private readonly Fence _fence;
    private readonly List<IDocEvent> _events = [];
    private readonly List<NodeId> _inserted = [];

    public VolatileSubtreeActor(string root, string mount, ImmutableHashSet<Writer> fenced)
    {
        _state = new SubtreeState(root, mount);
        _fence = new Fence(fenced);
        Receive<Mutate>(Handle);
        Receive<FenceWriters>(command => Sender.Tell(_fence.Apply(command)));
        Receive<RevertWriters>(command =>
        {
            var error = _state.Revert(command.Reverted, command.Cascade, command.DryRun, out var reverted);
            Sender.Tell(error is null ? new RevertResult(reverted, null) : RevertResult.Failed(error));
        });
        Receive<Find>(query => Sender.Tell(_state.Find(query)));
        Receive<FindWrites>(query => Sender.Tell(_state.WrittenBy(query)));
        Receive<Blame>(query => Sender.Tell(_state.Blamed(query)));
        Receive<EvaluateStage>(stage => Sender.Tell(_state.EvaluateStage(stage)));
    }

    public static Props Props(string root, string mount, ImmutableHashSet<Writer> fenced) => Akka.Actor.Props.Create(() => new VolatileSubtreeActor(root, mount, fenced));

    private void Handle(Mutate command)
    {
        if (_fence.Refuses(command) is { } refused)
        {
            Sender.Tell(refused);
            return;
        }
        // In memory the events are not kept: one pair of lists serves every command.
        _events.Clear();
        _inserted.Clear();
        var error = _state.Decide(command, _events, _inserted);
        Sender.Tell(error is not null ? MutationResult.Failed(error) : _inserted.Count == 0 ? MutationResult.Done : new MutationResult([.. _inserted], null));
    }
}

/// <summary>
/// The writers a subtree refuses (<see cref="FenceWriters"/>): clients write to subtrees
/// directly, so each subtree holds the fence itself. In memory, like the DOC actor's own set.
/// </summary>
internal sealed class Fence(ImmutableHashSet<Writer> fenced)
{
    private ImmutableHashSet<Writer> _fenced = fenced;

    public WritersFenced Apply(FenceWriters command)
    {
        _fenced = _fenced.Union(command.Writers);
        return new WritersFenced(command.Writers);
    }

    public MutationResult? Refuses(Mutate command) =>
        _fenced.Count > 0 && _fenced.Contains(command.Writer) ? MutationResult.Failed(new DocError.WriterFenced(command.Writer)) : null;
}
