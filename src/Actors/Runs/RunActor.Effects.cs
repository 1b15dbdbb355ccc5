using System.Collections.Immutable;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints.Pipelines;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;

namespace Caiman.Actors.Runs;

internal sealed partial class RunActor
{
    private void Perform(RunEffect effect)
    {
        switch (effect)
        {
            case RunEffect.Reply reply:
                reply.To.Tell(reply.Message);
                break;
            case RunEffect.Publish publish:
                Publish(publish.Checkpoint);
                break;
            case RunEffect.NotifyStopped:
                var status = _state.Status(Now);
                foreach (var subscriber in _subscribers) subscriber.Tell(status);
                break;
            case RunEffect.Place place:
                Place(place);
                break;
            case RunEffect.Cancel cancel:
                cancel.AttemptActor.Tell(new CancelAttempt(cancel.Reason));
                StartGrace(cancel.Checkpoint, cancel.Attempt);
                break;
            case RunEffect.StartTimeout timeout:
                Timers.StartSingleTimer(TimeoutKey(timeout.Checkpoint), new AttemptTimedOut(timeout.Checkpoint, timeout.Attempt), timeout.After);
                break;
            case RunEffect.StartGrace grace:
                StartGrace(grace.Checkpoint, grace.Attempt);
                break;
            case RunEffect.Abandon abandon:
                (abandon.Host ?? _engine.Placement).Tell(new AbandonAttempt(RunId, abandon.Checkpoint, abandon.Attempt));
                break;
            case RunEffect.CancelTimers cancel:
                Timers.Cancel(TimeoutKey(cancel.Checkpoint));
                Timers.Cancel(GraceKey(cancel.Checkpoint));
                break;
            case RunEffect.End end:
                var (name, attempt, failure) = (end.Checkpoint, end.Attempt, end.Failure);
                RevertAsync([new Writer(RunId, name, attempt)], end.Launches).PipeTo(Self, success: r => new AttemptReverted(name, attempt, failure, r));
                break;
            case RunEffect.CheckCompletion check:
                var (checkpoint, number) = (check.Checkpoint, check.Attempt);
                _docClient.FindWritesAsync(new Writer(RunId, checkpoint, number))
                    .PipeTo(Self, success: nodes => new CompletionChecked(checkpoint, number, nodes), failure: _ => new CompletionChecked(checkpoint, number, []));
                break;
            case RunEffect.CheckRaces races:
                _docClient.FindWritesAsync([.. races.Attempts])
                    .PipeTo(Self, success: nodes => new RacesFound(nodes), failure: _ => new RacesFound([]));
                break;
            case RunEffect.RebuildWrites rebuild:
                _docClient.FindWritesAsync([.. rebuild.Writers]).PipeTo(Self, success: nodes => new WritesRebuilt(nodes), failure: _ => new WritesRebuilt([]));
                break;
            case RunEffect.RevertForResume resume:
                var (resumed, replyTo) = (resume.Resumed, resume.ReplyTo);
                RevertAsync(resume.Writers).PipeTo(Self, success: r => new ResumeReverted(resumed, r, replyTo));
                break;
            case RunEffect.FindGhosts find:
                FindGhosts(find);
                break;
            case RunEffect.RevertInterrupted interrupted:
                var attempts = interrupted.Attempts;
                RevertAsync(attempts, interrupted.Launches).PipeTo(Self, success: r => new InterruptedReverted(attempts, r));
                break;
            case RunEffect.ScheduleRetry retry:
                Timers.StartSingleTimer(RetryDue.Instance, RetryDue.Instance, retry.Delay);
                break;
            case RunEffect.StartSuspendDeadline deadline:
                Timers.StartSingleTimer(SuspendDeadline.Instance, SuspendDeadline.Instance, deadline.Delay);
                break;
            case RunEffect.Continue:
                Self.Tell(Continue.Instance);
                break;
            case RunEffect.Unstash:
                Stash.UnstashAll();
                break;
            case RunEffect.StopActor:
                Context.Stop(Self);
                break;
            case RunEffect.Log log:
                Write(log.Level, log.Checkpoint, log.Message);
                break;
            default:
                throw new InvalidOperationException($"no way to carry out {effect.GetType().Name}");
        }
    }

    private void SelfMessages()
    {
        Command<AttemptTimedOut>(timedOut => Step(_state.OnTimedOut(timedOut.Checkpoint, timedOut.Attempt)));
        Command<GraceExpired>(expired => Step(_state.OnGraceExpired(expired.Checkpoint, expired.Attempt, _engine.Settings.CancelGracePeriod)));
        Command<AttemptReverted>(reverted => Step(_state.OnAttemptReverted(reverted.Checkpoint, reverted.Attempt, reverted.Failure, reverted.Result, Now)));
        Command<RacesFound>(found => Step(_state.OnRacesFound(found.Nodes, Now)));
        Command<CompletionChecked>(checkedWrites => Step(_state.OnCompletionChecked(checkedWrites.Checkpoint, checkedWrites.Attempt, checkedWrites.Nodes, Now)));
        Command<WritesRebuilt>(rebuilt => _state.OnWritesRebuilt(rebuilt.Nodes));
        Command<RetryDue>(_ => Step(_state.OnSettle(Now)));
        Command<Continue>(_ => Step(_state.OnContinue(Now)));
        Command<SuspendDeadline>(_ => Step(_state.OnSuspendDeadline(Now)));
        Command<ResumeReverted>(done => Step(_state.OnResumeReverted(done.Resumed, done.Result, done.ReplyTo, Now)));
        Command<GhostsFound>(found => Step(_state.OnGhostsFound(found.Interrupted, found.Ghosts, found.Launches)));
        Command<InterruptedReverted>(reverted => Step(_state.OnInterruptedReverted(reverted.Attempts, reverted.Result, Now)));
    }

    /// <summary>Sends the attempt to the placement, with everything a worker anywhere needs to run it.</summary>
    private void Place(RunEffect.Place place)
    {
        var record = _state[place.Checkpoint];
        var spec = new AttemptSpec(RunId, record.Definition, place.Attempt, new Writer(RunId, place.Checkpoint, place.Attempt), _state.DryRun,
            _state.Pipeline!.BaseDirectory, _doc, Self, _log, place.Timeout,
            _engine.Settings.ProcessKillGracePeriod, _engine.Settings.AskTimeout, place.Isolation);
        // In process there is nothing to choose: the engine's own worker takes it without a hop through the placement.
        if (place.Isolation == CheckpointIsolation.InProcess) _engine.LocalWorker.Tell(new StartAttempt(spec, _engine.LocalWorker));
        else _engine.Placement.Tell(new StartAttempt(spec, ActorRefs.Nobody));
    }

    private void StartGrace(string checkpoint, int attempt) =>
        Timers.StartSingleTimer(GraceKey(checkpoint), new GraceExpired(checkpoint, attempt), _engine.Settings.CancelGracePeriod);

    private static string TimeoutKey(string checkpoint) => "timeout:" + checkpoint;

    private static string GraceKey(string checkpoint) => "grace:" + checkpoint;

    private void Publish(string? checkpoint)
    {
        if (_subscribers.Count == 0) return;
        var record = checkpoint is null ? null : _state[checkpoint];
        var progress = new RunProgress(RunId, _state.Phase, _state.ComputePercent(), _state.TimeLeft(Now),
            record?.Name, record?.State, record?.Percent ?? 0, record?.Message);
        foreach (var subscriber in _subscribers) subscriber.Tell(progress);
    }

    /// <summary>
    /// Kills what the launches left (through the node's process supervisor, waiting until it is
    /// gone), fences the writers (late writes from their attempts are refused from now on) and
    /// reverts their changes, newest first. A change by another writer on top of theirs is a
    /// conflict: it is reverted too (cascade), and reported as a race.
    /// </summary>
    private Task<RevertOutcome> RevertAsync(ImmutableArray<Writer> writers, ImmutableArray<ProcessLaunch> launches = default)
    {
        var doc = _docClient;
        var processes = ProcessHost.For(Context.System);
        var runId = RunId;
        return Revert();

        async Task<RevertOutcome> Revert()
        {
            if (!launches.IsDefaultOrEmpty) await processes.ReapAsync(launches, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            if (writers.IsEmpty) return RevertOutcome.Clean;
            try
            {
                await doc.FenceAsync([.. writers]).ConfigureAwait(false);
                try
                {
                    await doc.RevertAsync(writers).ConfigureAwait(false);
                    return RevertOutcome.Clean;
                }
                catch (DocException e) when (e.Error is DocError.RevertConflict conflict)
                {
                    var all = await doc.RevertAsync(writers, cascade: true).ConfigureAwait(false);
                    return new RevertOutcome([.. all.Except(writers).Where(w => w.Run == runId)], conflict, null);
                }
            }
            catch (Exception e)
            {
                return new RevertOutcome([], null, e is DocException refused ? refused.Error.Message : $"{e.GetType().Name}: {e.Message}");
            }
        }
    }

    private void FindGhosts(RunEffect.FindGhosts find)
    {
        var doc = _docClient;
        var (interrupted, candidates, launches) = (find.Interrupted, find.Candidates, find.Launches);
        Find().PipeTo(Self, success: ghosts => new GhostsFound(interrupted, ghosts, launches), failure: _ => new GhostsFound(interrupted, [], launches));

        async Task<ImmutableArray<Writer>> Find() =>
            candidates.IsEmpty ? [] : [.. (await doc.FindWritesAsync([.. candidates]).ConfigureAwait(false)).Select(w => w.Writer).Distinct()];
    }

    // ---- Messages to self: local only ------------------------------------------------------------------

    private sealed record AttemptTimedOut(string Checkpoint, int Attempt) : INoSerializationVerificationNeeded;

    private sealed record GraceExpired(string Checkpoint, int Attempt) : INoSerializationVerificationNeeded;

    private sealed record AttemptReverted(string Checkpoint, int Attempt, AttemptFailure? Failure, RevertOutcome Result) : INoSerializationVerificationNeeded;

    private sealed record RacesFound(ImmutableArray<WrittenNode> Nodes) : INoSerializationVerificationNeeded;

    private sealed record CompletionChecked(string Checkpoint, int Attempt, ImmutableArray<WrittenNode> Nodes) : INoSerializationVerificationNeeded;

    private sealed record WritesRebuilt(ImmutableArray<WrittenNode> Nodes) : INoSerializationVerificationNeeded;

    private sealed record ResumeReverted(RunResumed Resumed, RevertOutcome Result, IActorRef ReplyTo) : INoSerializationVerificationNeeded;

    private sealed record GhostsFound(ImmutableArray<Writer> Interrupted, ImmutableArray<Writer> Ghosts, ImmutableArray<ProcessLaunch> Launches) : INoSerializationVerificationNeeded;

    private sealed record InterruptedReverted(ImmutableArray<Writer> Attempts, RevertOutcome Result) : INoSerializationVerificationNeeded;

    private sealed record RetryDue : INoSerializationVerificationNeeded
    {
        public static readonly RetryDue Instance = new();
    }

    private sealed record Continue : INoSerializationVerificationNeeded
    {
        public static readonly Continue Instance = new();
    }

    private sealed record SuspendDeadline : INoSerializationVerificationNeeded
    {
        public static readonly SuspendDeadline Instance = new();
    }
}
