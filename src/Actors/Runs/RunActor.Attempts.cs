using System.Collections.Immutable;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Runs;

internal sealed partial class RunActor
{
    /// <summary>An attempt from its start until its end is persisted (reverting included).</summary>
    private sealed class LiveAttempt(string name, int attempt)
    {
        public string Name { get; } = name;
        public int Attempt { get; } = attempt;
        public IActorRef? Actor { get; set; }
        public StopReason? Stopping { get; set; }

        /// <summary>The code has ended, or was abandoned; what is left is reverting and recording.</summary>
        public bool Finished { get; set; }

        /// <summary>The code reported an error of kind Error: it fails even if it returns.</summary>
        public bool ReportedError { get; set; }

        public Writer Writer(string runId) => new(runId, Name, Attempt);
    }

    private void AttemptMessages()
    {
        Command<AttemptProgressed>(Progressed);
        Command<AttemptErrorReported>(ErrorReported);
        Command<RecordProcessLaunch>(RecordLaunch);
        Command<AttemptFinished>(OnFinished);
        Command<AttemptTimedOut>(TimedOut);
        Command<GraceExpired>(OnGraceExpired);
        Command<AttemptReverted>(OnAttemptReverted);
        Command<WritesFound>(OnWritesFound);
        Command<CompletionChecked>(OnCompletionChecked);
        Command<WritesRebuilt>(OnWritesRebuilt);
        Command<RetryDue>(_ => Commit([]));
        Command<Continue>(_ => Commit([.. AfterRecovery()]));
    }

    private LiveAttempt? Current(string checkpoint, int attempt) =>
        _live.TryGetValue(checkpoint, out var live) && live.Attempt == attempt ? live : null;

    private void Spawn(AttemptStarted started)
    {
        var record = _state[started.Checkpoint];
        var plan = new AttemptPlan(RunId, record.Definition, started.Attempt, _state.DryRun, _state.Pipeline!.BaseDirectory, _doc, _engine.Settings);
        var logger = _runLog!.For(record.Name, record.Definition.LogLevel);
        var actor = Context.ActorOf(AttemptActor.Props(plan, _engine.Types, logger), $"{Uri.EscapeDataString(record.Name)}-{started.Attempt}");
        Context.Watch(actor);
        _live[record.Name].Actor = actor;
        if (record.Definition.Timeout is { } timeout)
            Timers.StartSingleTimer(TimeoutKey(record.Name), new AttemptTimedOut(record.Name, started.Attempt), timeout);
        _log.LogInformation("'{Checkpoint}' attempt {Attempt} started", record.Name, started.Attempt);
        if (_live[record.Name].Stopping is { } reason) StopAttempt(_live[record.Name], reason);
        Publish(record);
    }

    private static string TimeoutKey(string checkpoint) => "timeout:" + checkpoint;

    private static string GraceKey(string checkpoint) => "grace:" + checkpoint;

    private void Progressed(AttemptProgressed progress)
    {
        if (Current(progress.Checkpoint, progress.Attempt) is not { Finished: false }) return;
        var record = _state[progress.Checkpoint];
        // A checkpoint's own progress only goes forward too; the overall figure is kept monotonic by the state.
        record.Percent = Math.Max(record.Percent, progress.Percent);
        record.Message = progress.Message ?? record.Message;
        Publish(record);
    }

    private void ErrorReported(AttemptErrorReported reported)
    {
        var error = reported.Error;
        if (Current(error.Checkpoint, error.Attempt) is { } live && error.Kind == CheckpointErrorKind.Error) live.ReportedError = true;
        _log.Log(error.Kind == CheckpointErrorKind.Error ? LogLevel.Error : LogLevel.Warning,
            "'{Checkpoint}' reported {Kind}: {Message}", error.Checkpoint, error.Kind, error.Message);
        Persist<IRunEvent>(new ErrorRecorded(error), _state.Apply);
    }

    private void RecordLaunch(RecordProcessLaunch record)
    {
        if (Current(record.Checkpoint, record.Attempt) is not { Finished: false, Stopping: null })
        {
            // A superseded or stopping attempt may not start anything new; its runner kills the process.
            Sender.Tell(new Status.Failure(new InvalidOperationException($"attempt {record.Attempt} of '{record.Checkpoint}' is no longer running")));
            return;
        }
        var sender = Sender;
        Persist<IRunEvent>(new ProcessLaunched(record.Checkpoint, record.Attempt, record.Launch), e =>
        {
            _state.Apply(e);
            sender.Tell(new ProcessLaunchRecorded(record.Launch.Pid));
        });
    }

    private void TimedOut(AttemptTimedOut timedOut)
    {
        if (Current(timedOut.Checkpoint, timedOut.Attempt) is not { Finished: false, Stopping: null } live) return;
        var timeout = _state[live.Name].Definition.Timeout;
        _log.LogWarning("'{Checkpoint}' attempt {Attempt} timed out after {Timeout}", live.Name, live.Attempt, timeout);
        StopAttempt(live, StopReason.Timeout);
    }

    /// <summary>Fires the attempt's token, and abandons it if it has not ended when the grace period is over.</summary>
    private void StopAttempt(LiveAttempt live, StopReason reason)
    {
        live.Stopping = reason;
        if (live.Actor is null) return; // not spawned yet: the spawn will find it stopping
        live.Actor.Tell(new CancelAttempt(reason));
        Timers.StartSingleTimer(GraceKey(live.Name), new GraceExpired(live.Name, live.Attempt), _engine.Settings.CancelGracePeriod);
    }

    private void OnGraceExpired(GraceExpired expired)
    {
        if (Current(expired.Checkpoint, expired.Attempt) is not { Finished: false } live) return;
        _log.LogWarning("'{Checkpoint}' attempt {Attempt} ignored its cancellation for {Grace}: abandoning it", live.Name, live.Attempt, _engine.Settings.CancelGracePeriod);
        if (live.Actor is not null)
        {
            Context.Unwatch(live.Actor);
            Context.Stop(live.Actor);
        }
        live.Finished = true;
        EndAttempt(live, live.Stopping == StopReason.Timeout ? Failure(live, "timed out") : null);
    }

    private void OnFinished(AttemptFinished finished)
    {
        if (Current(finished.Checkpoint, finished.Attempt) is not { Finished: false } live) return;
        live.Finished = true;
        Timers.Cancel(TimeoutKey(live.Name));
        Timers.Cancel(GraceKey(live.Name));
        if (live.Actor is not null)
        {
            Context.Unwatch(live.Actor);
            Context.Stop(live.Actor);
        }
        if (live.Stopping is { } reason)
        {
            EndAttempt(live, reason == StopReason.Timeout ? Failure(live, "timed out") : null);
            return;
        }
        if (finished.Outcome == AttemptOutcome.Completed && !live.ReportedError)
        {
            if (_engine.Settings.RaceDetection == RaceDetection.Error)
            {
                // A race must stop the run before anything depending on this checkpoint starts.
                var (name, attempt) = (live.Name, live.Attempt);
                _docClient.FindWritesAsync(live.Writer(RunId))
                    .PipeTo(Self, success: nodes => new CompletionChecked(name, attempt, nodes), failure: _ => new CompletionChecked(name, attempt, []));
                return;
            }
            _live.Remove(live.Name);
            _log.LogInformation("'{Checkpoint}' attempt {Attempt} completed", live.Name, live.Attempt);
            CheckRaces(live.Name, live.Attempt); // before the commit, which must not stop the run while it is out
            Commit([new AttemptCompleted(live.Name, live.Attempt, Now)]);
            return;
        }
        var error = finished.Error ?? (finished.Outcome == AttemptOutcome.Cancelled
            ? new CheckpointError(live.Name, live.Attempt, CheckpointErrorKind.Error, typeof(OperationCanceledException).FullName, "cancelled itself", ImmutableSortedDictionary<string, string>.Empty, Now)
            : null);
        EndAttempt(live, new AttemptFailure(error?.Message ?? "reported an error", error));
    }

    private void OnCompletionChecked(CompletionChecked checkedWrites)
    {
        if (Current(checkedWrites.Checkpoint, checkedWrites.Attempt) is not { } live) return;
        _live.Remove(live.Name);
        _log.LogInformation("'{Checkpoint}' attempt {Attempt} completed", live.Name, live.Attempt);
        var races = RacesOf(live.Name, live.Attempt, checkedWrites.Nodes);
        Commit([new AttemptCompleted(live.Name, live.Attempt, Now), .. races]);
    }

    private AttemptFailure Failure(LiveAttempt live, string what)
    {
        var timeout = _state[live.Name].Definition.Timeout;
        var message = $"{what} after {timeout}";
        return new AttemptFailure(message, new CheckpointError(live.Name, live.Attempt, CheckpointErrorKind.Error, typeof(TimeoutException).FullName, message,
            ImmutableSortedDictionary<string, string>.Empty, Now));
    }

    /// <summary>Why an attempt failed; null for a cancel.</summary>
    private sealed record AttemptFailure(string Reason, CheckpointError? Error);

    /// <summary>
    /// An attempt that did not complete: kill whatever processes it left, fence its writer, revert
    /// its DOC changes, then record the end (and a retry if the policy allows one).
    /// </summary>
    private void EndAttempt(LiveAttempt live, AttemptFailure? failure)
    {
        var writer = live.Writer(RunId);
        RevertAsync([writer], RunId, [.. _state[live.Name].Launches]).PipeTo(Self, success: r => new AttemptReverted(live.Name, live.Attempt, failure, r));
    }

    private void OnAttemptReverted(AttemptReverted reverted)
    {
        if (Current(reverted.Checkpoint, reverted.Attempt) is not { } live) return;
        _live.Remove(live.Name);
        var events = new List<IRunEvent>(RaceErrors(reverted.Result));
        var record = _state[live.Name];
        var now = Now;
        if (reverted.Failure is null && live.Stopping == StopReason.Shutdown)
        {
            _log.LogWarning("'{Checkpoint}' attempt {Attempt} interrupted by a shutdown; its changes are reverted and it runs again later", live.Name, live.Attempt);
            events.Add(new AttemptInterrupted(live.Name, live.Attempt, now));
        }
        else if (reverted.Failure is null)
        {
            _log.LogWarning("'{Checkpoint}' attempt {Attempt} cancelled; its changes are reverted", live.Name, live.Attempt);
            events.Add(new AttemptCancelled(live.Name, live.Attempt, now));
        }
        else
        {
            if (reverted.Failure.Error is { } error) events.Add(new ErrorRecorded(error));
            var retries = record.Definition.Retries;
            // Retrying from a DOC the revert could not clean would break the promise of a clean start.
            var retry = reverted.Result.Failure is null && record.Failures + 1 <= retries.Count
                ? now + retries.DelayBefore(record.Failures + 1)
                : (DateTimeOffset?)null;
            _log.LogError("'{Checkpoint}' attempt {Attempt} failed: {Reason}{Retry}", live.Name, live.Attempt, reverted.Failure.Reason,
                retry is null ? "" : $"; retry {record.Failures + 1} of {retries.Count} at {retry:HH:mm:ss.fff}");
            events.Add(new AttemptFailed(live.Name, live.Attempt, reverted.Failure.Reason, now, retry));
        }
        if (reverted.Result.Failure is { } revertFailure)
            events.Add(new ErrorRecorded(new CheckpointError(live.Name, live.Attempt, CheckpointErrorKind.CleanupError, null,
                $"reverting attempt {live.Attempt} failed: {revertFailure}", ImmutableSortedDictionary<string, string>.Empty, now)));
        events.AddRange(Interrupted(reverted.Result, now));
        Commit(events);
    }

    /// <summary>Sent to self when an attempt's timeout is over; local only.</summary>
    private sealed record AttemptTimedOut(string Checkpoint, int Attempt) : INoSerializationVerificationNeeded;

    /// <summary>Sent to self when a stopped attempt's grace period is over; local only.</summary>
    private sealed record GraceExpired(string Checkpoint, int Attempt) : INoSerializationVerificationNeeded;

    /// <summary>Sent to self when an ended attempt's changes are reverted; local only.</summary>
    private sealed record AttemptReverted(string Checkpoint, int Attempt, AttemptFailure? Failure, RevertOutcome Result) : INoSerializationVerificationNeeded;
}
