using Akka.Actor;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Protocol;

// Between a run and the attempts it starts: the placement seam. Every message here is serializable
// (RunSerializer), because the attempt may run in the engine's own process, in a local worker
// process joined over Akka.Remote, or on another node; the run cannot tell which.

/// <summary>
/// Everything a worker needs to run one attempt: what to run (the checkpoint's definition; the
/// worker resolves its type itself), whose it is (run, attempt, writer stamp), where the run's
/// DOC, the run and its log are (actor refs, remote when the worker is), its deadline (the
/// checkpoint's timeout, counted from when it starts on its worker, so that neither a worker's
/// start nor two clocks count against it), and how long its processes get between the polite
/// signal and the kill.
/// </summary>
public sealed record AttemptSpec(
    string RunId,
    CheckpointDefinition Definition,
    int Attempt,
    Writer Writer,
    bool DryRun,
    string BaseDirectory,
    IActorRef Doc,
    IActorRef Run,
    IActorRef Log,
    TimeSpan? Timeout,
    TimeSpan KillGracePeriod,
    TimeSpan AskTimeout,
    CheckpointIsolation Isolation) : IRunMessage
{
    [System.Text.Json.Serialization.JsonIgnore]
    public string Checkpoint => Definition.Name;
}

/// <summary>
/// Starts an attempt. Sent by the run to the node's placement, which passes it to a worker: the
/// engine's own (in process) or a worker process's. <see cref="Host"/> is who can abandon the
/// attempt for good (the worker itself, or the engine-side handle of a worker process, which
/// kills the process). The worker answers the run with <see cref="AttemptAccepted"/>.
/// </summary>
public sealed record StartAttempt(AttemptSpec Spec, IActorRef Host) : IRunMessage;

/// <summary>The attempt runs: its actor (to cancel it), its host (to abandon it) and the node it runs on.</summary>
public sealed record AttemptAccepted(string Checkpoint, int Attempt, IActorRef AttemptActor, IActorRef Host, string Node) : IRunMessage;

/// <summary>The attempt could not be placed or started (no worker, a worker that failed to start); it counts as a failure.</summary>
public sealed record AttemptRefused(string Checkpoint, int Attempt, string Reason) : IRunMessage;

/// <summary>An attempt's own progress report.</summary>
public sealed record AttemptProgressed(string Checkpoint, int Attempt, double Percent, string? Message) : IRunMessage;

/// <summary>An attempt reported an error to the error service.</summary>
public sealed record AttemptErrorReported(CheckpointError Error) : IRunMessage;

/// <summary>An attempt wants a process launch recorded before the process runs. Replies <see cref="ProcessLaunchRecorded"/>.</summary>
public sealed record RecordProcessLaunch(string Checkpoint, int Attempt, ProcessLaunch Launch) : IRunMessage;

public sealed record ProcessLaunchRecorded(int Pid) : IRunMessage;

/// <summary>Tells an attempt to fire its cancellation token.</summary>
public sealed record CancelAttempt(StopReason Reason) : IRunMessage;

/// <summary>
/// The attempt ignored its token for the grace period: its host ends it for good (stops its actor
/// in process; kills the worker process and so everything running in it). Replies
/// <see cref="AttemptAbandoned"/> once it is gone.
/// </summary>
public sealed record AbandonAttempt(string RunId, string Checkpoint, int Attempt) : IRunMessage;

public sealed record AttemptAbandoned(string Checkpoint, int Attempt) : IRunMessage;

/// <summary>An attempt's execute returned or threw.</summary>
public sealed record AttemptFinished(string Checkpoint, int Attempt, AttemptOutcome Outcome, CheckpointError? Error) : IRunMessage;

/// <summary>
/// The attempt's worker died under it (the process exited, e.g. "worker exited: signal 9"; or its
/// node was lost): it counts as a failure, with <see cref="Reason"/> as its error.
/// </summary>
public sealed record AttemptLost(string Checkpoint, int Attempt, string Reason) : IRunMessage;

/// <summary>A log entry of a run (checkpoint "-") or of one attempt, for the run's log actor, the one writer of its log file.</summary>
public sealed record AppendLog(string Checkpoint, int Attempt, LogLevel Level, string Message, DateTimeOffset At) : IRunMessage;

// ---- Between the engine and a worker process -------------------------------------------------------

/// <summary>A worker process is up: its worker actor, and its pid for the engine's records.</summary>
public sealed record WorkerReady(int WorkerId, IActorRef Worker, int Pid) : IRunMessage;

/// <summary>
/// A worker's attempt has ended and its actor is gone. <see cref="Reusable"/> is false when the
/// attempt did not end by itself (cancelled, timed out): its code may have left work behind, so
/// the worker is not given another attempt.
/// </summary>
public sealed record AttemptEnded(string RunId, string Checkpoint, int Attempt, bool Reusable) : IRunMessage;

/// <summary>Asks a worker process to exit once its attempts are done.</summary>
public sealed record StopWorker : IRunMessage
{
    public static readonly StopWorker Instance = new();
}
