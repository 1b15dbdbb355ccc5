using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Akka.Actor;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Checkpoints.Processes;

namespace Caiman.Actors.Protocol;

/// <summary>Marks every run message so one serializer binding covers them all.</summary>
public interface IRunMessage;

/// <summary>A request to one run; the engine routes it by <see cref="RunId"/>.</summary>
public interface IRunCommand : IRunMessage
{
    string RunId { get; }
}

/// <summary>A persisted event of a run (persistence id <c>run-&lt;id&gt;</c>).</summary>
public interface IRunEvent : IRunMessage;

// ---- States ---------------------------------------------------------------------------------------

/// <summary>Where a run stands.</summary>
public enum RunPhase
{
    /// <summary>No such run has been started.</summary>
    New,
    Running,
    /// <summary>Starting nothing new; becomes <see cref="Paused"/> when the running attempts end.</summary>
    Pausing,
    Paused,
    /// <summary>Cancelling the running attempts; becomes <see cref="Cancelled"/> once they are reverted.</summary>
    Cancelling,
    Cancelled,
    Completed,
    Failed,
    /// <summary>
    /// Never a run's own phase: how a listing shows a run whose journal cannot be read, with
    /// <see cref="RunStatus.Problem"/> saying why and what to do. Other runs are not affected.
    /// </summary>
    Damaged,
}

/// <summary>Where a checkpoint stands.</summary>
public enum CheckpointState
{
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>Why an attempt was stopped from outside.</summary>
public enum StopReason
{
    Cancel,
    Timeout,
    /// <summary>The engine is shutting down: the attempt is interrupted, and runs again when the run goes on.</summary>
    Shutdown,
}

/// <summary>How an attempt ended, as its actor saw it.</summary>
public enum AttemptOutcome
{
    Completed,
    Failed,
    Cancelled,
}

// ---- Commands ------------------------------------------------------------------------------------

/// <summary>Starts a new run of the pipeline. Replies <see cref="RunReply"/>.</summary>
public sealed record StartRun(string RunId, PipelineDefinition Pipeline, ImmutableArray<string> PauseBefore, bool DryRun) : IRunCommand;

/// <summary>Starts nothing new; the run pauses when the running attempts end. Replies <see cref="RunReply"/>.</summary>
public sealed record PauseRun(string RunId) : IRunCommand;

/// <summary>
/// Goes on with a paused, failed or cancelled run; with <see cref="From"/>, resets that checkpoint
/// and everything depending on it (reverting their DOC changes) and runs them again, which also
/// works on a completed run. Replies <see cref="RunReply"/>.
/// </summary>
public sealed record ResumeRun(string RunId, string? From, ImmutableArray<string> PauseBefore) : IRunCommand;

/// <summary>Cancels the running attempts, kills their processes, reverts their changes. Replies <see cref="RunReply"/>.</summary>
public sealed record CancelRun(string RunId) : IRunCommand;

/// <summary>Replies <see cref="RunReply"/> with the run's status.</summary>
public sealed record GetRunStatus(string RunId) : IRunCommand;

/// <summary>The run's error service, optionally filtered. Replies <see cref="ErrorsResult"/>.</summary>
public sealed record GetErrors(string RunId, string? Checkpoint = null, CheckpointErrorKind? Kind = null) : IRunCommand;

/// <summary>Replies <see cref="DocAddress"/>: the run's DOC, at its current state.</summary>
public sealed record GetDoc(string RunId) : IRunCommand;

/// <summary>
/// Sends the subscriber <see cref="RunProgress"/> on every change and <see cref="RunStatus"/> when
/// the run stops (completed, failed, paused, cancelled); it is dropped when it terminates.
/// Replies <see cref="RunReply"/> with the current status.
/// </summary>
public sealed record SubscribeProgress(string RunId, IActorRef Subscriber) : IRunCommand;

public sealed record UnsubscribeProgress(string RunId, IActorRef Subscriber) : IRunCommand;

/// <summary>
/// For a shutdown: start nothing new, give running attempts <see cref="FinishWithin"/> to end,
/// then interrupt the rest (processes killed, changes reverted; they run again when the run goes
/// on). The run's phase is left as it was, so a restarted engine continues it. Replies
/// <see cref="RunReply"/> once nothing runs; the run's actor then stops.
/// </summary>
public sealed record SuspendRun(string RunId, TimeSpan FinishWithin) : IRunCommand;

/// <summary>Every run the engine knows, in the order they were started. Replies <see cref="RunList"/>.</summary>
public sealed record ListRuns : IRunMessage
{
    public static readonly ListRuns Instance = new();
}

public sealed record RunList(ImmutableArray<string> RunIds) : IRunMessage;

/// <summary>The engine's index of runs (persistence id <c>runs</c>) recorded a new run.</summary>
public sealed record RunRegistered(string RunId, DateTimeOffset At) : IRunEvent;

/// <summary>
/// Drops a run from the index: one recorded there whose own journal never started (a crash
/// between the two writes). Not an <see cref="IRunCommand"/>: it is for the index, not the run.
/// </summary>
public sealed record ForgetRun(string RunId) : IRunMessage;

/// <summary>The index dropped a run that never started.</summary>
public sealed record RunForgotten(string RunId, DateTimeOffset At) : IRunEvent;

// ---- Replies ---------------------------------------------------------------------------------------

/// <summary>What a checkpoint looks like from outside.</summary>
public sealed record CheckpointStatus(
    string Name,
    CheckpointState State,
    int Attempts,
    bool Resumable,
    double Percent,
    string? Message,
    DateTimeOffset? Started,
    TimeSpan? Duration,
    string? Description,
    ImmutableArray<string> After);

/// <summary>A run's status: phase, overall progress, and every checkpoint in file order.</summary>
public sealed record RunStatus(
    string RunId,
    RunPhase Phase,
    string Pipeline,
    double Percent,
    TimeSpan? TimeLeft,
    bool DryRun,
    ImmutableArray<string> PauseBefore,
    ImmutableArray<CheckpointStatus> Checkpoints,
    DateTimeOffset? Started,
    DateTimeOffset? Ended) : IRunMessage
{
    /// <summary>The run has stopped by itself or on request and waits for a resume (or is done).</summary>
    [JsonIgnore]
    public bool IsStopped => Phase is RunPhase.Paused or RunPhase.Cancelled or RunPhase.Completed or RunPhase.Failed or RunPhase.Damaged;

    /// <summary>For a <see cref="RunPhase.Damaged"/> run: what is wrong, and what to do.</summary>
    public string? Problem { get; init; }

    /// <summary>How a listing shows a run that cannot be read.</summary>
    public static RunStatus Damaged(string runId, string problem) =>
        new(runId, RunPhase.Damaged, "", 0, null, false, [], [], null, null) { Problem = problem };
}

/// <summary>Why a run refused a request.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$t")]
[JsonDerivedType(typeof(UnknownRun), "unknownRun")]
[JsonDerivedType(typeof(RunExists), "runExists")]
[JsonDerivedType(typeof(UnknownCheckpoint), "unknownCheckpoint")]
[JsonDerivedType(typeof(NotResumable), "notResumable")]
[JsonDerivedType(typeof(InvalidState), "invalidState")]
[JsonDerivedType(typeof(InvalidPipeline), "invalidPipeline")]
[JsonDerivedType(typeof(InvalidRunId), "invalidRunId")]
[JsonDerivedType(typeof(RunDamaged), "runDamaged")]
public abstract record RunError
{
    private RunError() { }

    public abstract string Message { get; }

    public sealed record UnknownRun(string RunId) : RunError
    {
        public override string Message => $"no run '{RunId}'";
    }

    public sealed record RunExists(string RunId, RunPhase Phase) : RunError
    {
        public override string Message => $"run '{RunId}' already exists ({Phase.ToString().ToLowerInvariant()}); resume it or pick another id";
    }

    public sealed record UnknownCheckpoint(string RunId, string Checkpoint, ImmutableArray<string> Known) : RunError
    {
        public override string Message => $"run '{RunId}' has no checkpoint '{Checkpoint}' (it has: {string.Join(", ", Known)})";
    }

    public sealed record NotResumable(string RunId, string Checkpoint, ImmutableArray<string> Waiting) : RunError
    {
        public override string Message => $"'{Checkpoint}' is not resumable in run '{RunId}': {string.Join(", ", Waiting)} must complete first";
    }

    public sealed record InvalidState(string RunId, RunPhase Phase, string Reason) : RunError
    {
        public override string Message => $"run '{RunId}' is {Phase.ToString().ToLowerInvariant()}: {Reason}";
    }

    /// <summary>The pipeline is not one the engine can run; every problem is listed, as <c>caiman validate</c> lists them.</summary>
    public sealed record InvalidPipeline(string RunId, ImmutableArray<string> Problems) : RunError
    {
        public override string Message => Problems.Length == 1
            ? $"pipeline of run '{RunId}' refused: {Problems[0]}"
            : $"pipeline of run '{RunId}' refused, {Problems.Length} problems:\n  {string.Join("\n  ", Problems)}";
    }

    /// <summary>The text cannot be a run id; nothing was read or written for it.</summary>
    public sealed record InvalidRunId(string RunId, string Reason) : RunError
    {
        public override string Message => $"'{Printable(RunId)}' is not a run id: {Reason}";
    }

    /// <summary>The run's journal cannot be read or written (a damaged run, or a journal fault); other runs are not affected.</summary>
    public sealed record RunDamaged(string RunId, string Reason) : RunError
    {
        public override string Message => $"run '{RunId}' is damaged: {Reason}";
    }

    /// <summary>A bounded, printable rendering of text that may be long or hold control characters.</summary>
    internal static string Printable(string text)
    {
        var shown = text.Length > 80 ? text[..80] + "..." : text;
        return string.Concat(shown.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    public override string ToString() => Message;
}

/// <summary>The answer to a run command: the status after it, or why it was refused.</summary>
public sealed record RunReply(RunStatus? Status, RunError? Error) : IRunMessage
{
    public static RunReply Of(RunStatus status) => new(status, null);
    public static RunReply Refused(RunError error) => new(null, error);
}

public sealed record ErrorsResult(string RunId, ImmutableArray<CheckpointError> Errors, RunError? Error) : IRunMessage;

public sealed record DocAddress(string RunId, IActorRef Doc, RunError? Error) : IRunMessage;

/// <summary>
/// Published to subscribers: overall percent (never lower than before except after a resume),
/// estimated time left, and the checkpoint whose change caused it.
/// </summary>
public sealed record RunProgress(
    string RunId,
    RunPhase Phase,
    double Percent,
    TimeSpan? TimeLeft,
    string? Checkpoint,
    CheckpointState? State,
    double CheckpointPercent,
    string? Message) : IRunMessage;

// ---- Events (persisted) -----------------------------------------------------------------------------

public sealed record RunStarted(string RunId, PipelineDefinition Pipeline, ImmutableArray<string> PauseBefore, bool DryRun, DateTimeOffset At) : IRunEvent;

public sealed record AttemptStarted(string Checkpoint, int Attempt, DateTimeOffset At) : IRunEvent;

/// <summary>Recorded before the process is let run, so recovery can kill it if the engine dies.</summary>
public sealed record ProcessLaunched(string Checkpoint, int Attempt, ProcessLaunch Launch) : IRunEvent;

public sealed record AttemptCompleted(string Checkpoint, int Attempt, DateTimeOffset At) : IRunEvent;

/// <summary>The attempt failed and its changes are reverted; <see cref="RetryAt"/> is set when a retry follows.</summary>
public sealed record AttemptFailed(string Checkpoint, int Attempt, string Reason, DateTimeOffset At, DateTimeOffset? RetryAt) : IRunEvent;

/// <summary>The attempt was cancelled and its changes are reverted.</summary>
public sealed record AttemptCancelled(string Checkpoint, int Attempt, DateTimeOffset At) : IRunEvent;

/// <summary>The engine died during the attempt; on recovery its processes were killed and its changes reverted.</summary>
public sealed record AttemptInterrupted(string Checkpoint, int Attempt, DateTimeOffset At) : IRunEvent;

public sealed record ErrorRecorded(CheckpointError Error) : IRunEvent;

public sealed record PauseRequested(DateTimeOffset At) : IRunEvent;

public sealed record CancelRequested(DateTimeOffset At) : IRunEvent;

/// <summary>
/// The run goes on; <see cref="Reset"/> lists the checkpoints set back to pending (their changes
/// reverted), <see cref="PauseBefore"/> replaces the earlier pause points.
/// </summary>
public sealed record RunResumed(string? From, ImmutableArray<string> Reset, ImmutableArray<string> PauseBefore, DateTimeOffset At) : IRunEvent;

/// <summary>The run stopped: completed, failed, paused or cancelled.</summary>
public sealed record RunStopped(RunPhase Phase, DateTimeOffset At) : IRunEvent;
