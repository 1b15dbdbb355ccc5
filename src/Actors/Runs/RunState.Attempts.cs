using System.Collections.Immutable;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Runs;

/// <summary>The run's decisions on what its attempts report, and on ending them.</summary>
internal sealed partial class RunState
{
    public Decision OnAccepted(AttemptAccepted accepted)
    {
        var decision = new Decision();
        if (Current(accepted.Checkpoint, accepted.Attempt) is not { Finished: false } live)
        {
            // Superseded or abandoned before it was accepted: end it where it runs.
            decision.Effects.Add(new RunEffect.Abandon(accepted.Checkpoint, accepted.Attempt, accepted.Host));
            return decision;
        }
        live.Actor = accepted.AttemptActor;
        live.Host = accepted.Host;
        live.Node = accepted.Node;
        if (live.Stopping is { } reason) decision.Effects.Add(new RunEffect.Cancel(live.Name, live.Attempt, accepted.AttemptActor, reason));
        else if (this[live.Name].Definition.Timeout is { } timeout) decision.Effects.Add(new RunEffect.StartTimeout(live.Name, live.Attempt, timeout));
        return decision;
    }

    public Decision OnRefused(AttemptRefused refused, DateTimeOffset now) =>
        Lost(refused.Checkpoint, refused.Attempt, $"could not be started: {refused.Reason}", now);

    public Decision OnLost(AttemptLost lost, DateTimeOffset now) => Lost(lost.Checkpoint, lost.Attempt, lost.Reason, now);

    public Decision OnProgress(AttemptProgressed progress)
    {
        var decision = new Decision();
        if (Current(progress.Checkpoint, progress.Attempt) is not { Finished: false }) return decision;
        var record = this[progress.Checkpoint];
        // A checkpoint's own progress only goes forward too; the overall figure is kept monotonic by ComputePercent.
        record.Percent = Math.Max(record.Percent, progress.Percent);
        record.Message = progress.Message ?? record.Message;
        decision.Effects.Add(new RunEffect.Publish(record.Name));
        return decision;
    }

    public Decision OnErrorReported(AttemptErrorReported reported)
    {
        var decision = new Decision();
        var error = reported.Error;
        if (!Has(error.Checkpoint)) return decision;
        if (Current(error.Checkpoint, error.Attempt) is { } live && error.Kind == CheckpointErrorKind.Error) live.ReportedError = true;
        Log(decision, error.Kind == CheckpointErrorKind.Error ? LogLevel.Error : LogLevel.Warning, $"'{error.Checkpoint}' reported {error.Kind}: {error.Message}");
        Emit(decision, new ErrorRecorded(error));
        return decision;
    }

    public Decision OnRecordLaunch(RecordProcessLaunch record, IActorRef sender)
    {
        var decision = new Decision();
        if (Current(record.Checkpoint, record.Attempt) is not { Finished: false, Stopping: null })
        {
            // A superseded or stopping attempt may not start anything new; its runner kills the process.
            decision.Effects.Add(new RunEffect.Reply(sender, new Status.Failure(new InvalidOperationException($"attempt {record.Attempt} of '{record.Checkpoint}' is no longer running"))));
            return decision;
        }
        Emit(decision, new ProcessLaunched(record.Checkpoint, record.Attempt, record.Launch));
        decision.Effects.Add(new RunEffect.Reply(sender, new ProcessLaunchRecorded(record.Launch.Pid)));
        return decision;
    }

    public Decision OnTimedOut(string checkpoint, int attempt)
    {
        var decision = new Decision();
        if (Current(checkpoint, attempt) is not { Finished: false, Stopping: null } live) return decision;
        decision.Effects.Add(new RunEffect.Log(LogLevel.Warning, RunWide, $"'{live.Name}' attempt {live.Attempt} timed out after {this[live.Name].Definition.Timeout}"));
        StopAttempt(decision, live, StopReason.Timeout);
        return decision;
    }

    /// <summary>The stopped attempt ignored its token for the grace period: it is abandoned, through its host.</summary>
    public Decision OnGraceExpired(string checkpoint, int attempt, TimeSpan grace)
    {
        var decision = new Decision();
        if (Current(checkpoint, attempt) is not { Finished: false } live) return decision;
        decision.Effects.Add(new RunEffect.Log(LogLevel.Warning, RunWide, $"'{live.Name}' attempt {live.Attempt} ignored its cancellation for {grace}: abandoning it"));
        live.Finished = true;
        decision.Effects.Add(new RunEffect.Abandon(live.Name, live.Attempt, live.Host));
        return decision;
    }

    /// <summary>The abandoned attempt is gone from its worker (its worker process too, when it had one): end it.</summary>
    public Decision OnAbandoned(AttemptAbandoned abandoned, DateTimeOffset now)
    {
        var decision = new Decision();
        if (Current(abandoned.Checkpoint, abandoned.Attempt) is not { Finished: true, Ending: false } live) return decision;
        End(decision, live, live.Stopping == StopReason.Timeout ? TimedOut(live, now) : null);
        return decision;
    }

    public Decision OnFinished(AttemptFinished finished, DateTimeOffset now)
    {
        var decision = new Decision();
        if (Current(finished.Checkpoint, finished.Attempt) is not { Finished: false, Ending: false } live) return decision;
        live.Finished = true;
        decision.Effects.Add(new RunEffect.CancelTimers(live.Name));
        if (live.Stopping is { } reason)
        {
            End(decision, live, reason == StopReason.Timeout ? TimedOut(live, now) : null);
            return decision;
        }
        if (finished.Outcome == AttemptOutcome.Completed && !live.ReportedError)
        {
            if (Rules.RaceDetection == RaceDetection.Error)
            {
                // A race must stop the run before anything depending on this checkpoint starts.
                decision.Effects.Add(new RunEffect.CheckCompletion(live.Name, live.Attempt));
                return decision;
            }
            _live.Remove(live.Name);
            Log(decision, LogLevel.Information, $"'{live.Name}' attempt {live.Attempt} completed");
            // Queued before the completion is committed, which must not stop the run while the check is out.
            _raceQueue.Add(live.Writer(RunId));
            AskRaces(decision);
            Emit(decision, new AttemptCompleted(live.Name, live.Attempt, now));
            decision.Effects.Add(new RunEffect.Publish(live.Name));
            return Settle(decision, now);
        }
        var error = finished.Error ?? (finished.Outcome == AttemptOutcome.Cancelled
            ? new CheckpointError(live.Name, live.Attempt, CheckpointErrorKind.Error, typeof(OperationCanceledException).FullName, "cancelled itself", ImmutableSortedDictionary<string, string>.Empty, now)
            : null);
        End(decision, live, new AttemptFailure(error?.Message ?? "reported an error", error));
        return decision;
    }

    /// <summary>A race check done before recording a completion (race-detection = error).</summary>
    public Decision OnCompletionChecked(string checkpoint, int attempt, ImmutableArray<Caiman.Doc.Protocol.WrittenNode> nodes, DateTimeOffset now)
    {
        var decision = new Decision();
        if (Current(checkpoint, attempt) is not { } live) return decision;
        _live.Remove(live.Name);
        Log(decision, LogLevel.Information, $"'{live.Name}' attempt {live.Attempt} completed");
        Emit(decision, new AttemptCompleted(live.Name, live.Attempt, now));
        foreach (var race in RacesOf(live.Name, live.Attempt, nodes, now)) EmitRace(decision, race);
        decision.Effects.Add(new RunEffect.Publish(live.Name));
        return Settle(decision, now);
    }

    /// <summary>An ended attempt's processes are killed and its changes reverted: record how it ended, and a retry if its policy allows one.</summary>
    public Decision OnAttemptReverted(string checkpoint, int attempt, AttemptFailure? failure, RevertOutcome outcome, DateTimeOffset now)
    {
        var decision = new Decision();
        if (Current(checkpoint, attempt) is not { } live) return decision;
        _live.Remove(live.Name);
        RaceErrors(decision, outcome, now);
        var record = this[live.Name];
        if (failure is null && live.Stopping == StopReason.Shutdown)
        {
            Log(decision, LogLevel.Warning, $"'{live.Name}' attempt {live.Attempt} interrupted by a shutdown; its changes are reverted and it runs again later");
            Emit(decision, new AttemptInterrupted(live.Name, live.Attempt, now));
        }
        else if (failure is null)
        {
            Log(decision, LogLevel.Warning, $"'{live.Name}' attempt {live.Attempt} cancelled; its changes are reverted");
            Emit(decision, new AttemptCancelled(live.Name, live.Attempt, now));
        }
        else
        {
            if (failure.Error is { } error) Emit(decision, new ErrorRecorded(error));
            var retries = record.Definition.Retries;
            // Retrying from a DOC the revert could not clean would break the promise of a clean start.
            var retry = outcome.Failure is null && record.Failures + 1 <= retries.Count
                ? now + retries.DelayBefore(record.Failures + 1)
                : (DateTimeOffset?)null;
            Log(decision, LogLevel.Error, $"'{live.Name}' attempt {live.Attempt} failed: {failure.Reason}{(retry is null ? "" : $"; retry {record.Failures + 1} of {retries.Count} at {retry:HH:mm:ss.fff}")}");
            Emit(decision, new AttemptFailed(live.Name, live.Attempt, failure.Reason, now, retry));
        }
        if (outcome.Failure is { } revertFailure)
            Emit(decision, new ErrorRecorded(new CheckpointError(live.Name, live.Attempt, CheckpointErrorKind.CleanupError, null,
                $"reverting attempt {live.Attempt} failed: {revertFailure}", ImmutableSortedDictionary<string, string>.Empty, now)));
        Interrupted(decision, outcome, now);
        decision.Effects.Add(new RunEffect.Publish(live.Name));
        return Settle(decision, now);
    }

    // ---- Helpers ---------------------------------------------------------------------------------------

    /// <summary>Fires the attempt's token, and abandons it if it has not ended when the grace period is over.</summary>
    private static void StopAttempt(Decision decision, LiveAttempt live, StopReason reason)
    {
        live.Stopping = reason;
        // Not accepted yet: the acceptance finds it stopping and cancels it; the grace period runs from now.
        decision.Effects.Add(live.Actor is { } actor
            ? new RunEffect.Cancel(live.Name, live.Attempt, actor, reason)
            : new RunEffect.StartGrace(live.Name, live.Attempt));
    }

    /// <summary>The attempt ended without its code saying how (its worker died, it could not start): a failure, unless it was being stopped.</summary>
    private Decision Lost(string checkpoint, int attempt, string reason, DateTimeOffset now)
    {
        var decision = new Decision();
        // Its code already returned (its end is under way), or it is already ending: nothing was lost.
        if (Current(checkpoint, attempt) is not { Ending: false } live || live.Finished && live.Stopping is null) return decision;
        live.Finished = true;
        decision.Effects.Add(new RunEffect.CancelTimers(live.Name));
        if (live.Stopping is { } stopping)
        {
            // Being cancelled, timed out or interrupted anyway: the worker's death only ends it sooner.
            End(decision, live, stopping == StopReason.Timeout ? TimedOut(live, now) : null);
            return decision;
        }
        decision.Effects.Add(new RunEffect.Log(LogLevel.Error, RunWide, $"'{live.Name}' attempt {live.Attempt}: {reason}"));
        End(decision, live, new AttemptFailure(reason, new CheckpointError(live.Name, live.Attempt, CheckpointErrorKind.Error, null, reason,
            live.Node is null ? ImmutableSortedDictionary<string, string>.Empty : ImmutableSortedDictionary<string, string>.Empty.Add("node", live.Node), now)));
        return decision;
    }

    /// <summary>Reaps, fences and reverts, once: whichever of its code's end, its abandonment or its worker's death comes first.</summary>
    private void End(Decision decision, LiveAttempt live, AttemptFailure? failure)
    {
        live.Ending = true;
        decision.Effects.Add(new RunEffect.End(live.Name, live.Attempt, failure, [.. this[live.Name].Launches]));
    }

    private AttemptFailure TimedOut(LiveAttempt live, DateTimeOffset now)
    {
        var message = $"timed out after {this[live.Name].Definition.Timeout}";
        return new AttemptFailure(message, new CheckpointError(live.Name, live.Attempt, CheckpointErrorKind.Error, typeof(TimeoutException).FullName, message,
            ImmutableSortedDictionary<string, string>.Empty, now));
    }
}
