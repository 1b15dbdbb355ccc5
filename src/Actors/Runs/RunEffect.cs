using System.Collections.Immutable;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Runs;

/// <summary>
/// What one step of a run decided: the events it applied (to be persisted together, in one
/// journal write) and the effects for the actor to carry out. Effects marked
/// <see cref="RunEffect.AfterDurable"/> wait until every event applied so far is in the journal;
/// the others happen at once.
/// </summary>
internal sealed class Decision
{
    public List<IRunEvent> Events { get; } = [];
    public List<RunEffect> Effects { get; } = [];
}

/// <summary>Why an attempt ended without completing; null for a cancel or an interruption.</summary>
internal sealed record AttemptFailure(string Reason, CheckpointError? Error);

/// <summary>How a revert went: the writers it had to revert on top of those asked (a cascade after a conflict), the conflict, or why it failed.</summary>
internal sealed record RevertOutcome(ImmutableArray<Writer> Extra, Caiman.Doc.Protocol.DocError.RevertConflict? Conflict, string? Failure)
{
    public static readonly RevertOutcome Clean = new([], null, null);
}

/// <summary>Something the run actor does for its state: talk to attempts, the DOC, timers, callers.</summary>
internal abstract record RunEffect
{
    private RunEffect() { }

    /// <summary>Waits until the events applied so far are durable (a caller must never hear of a state a crash could take back).</summary>
    public virtual bool AfterDurable => false;

    public sealed record Reply(IActorRef To, object Message) : RunEffect
    {
        public override bool AfterDurable => true;
    }

    /// <summary>Progress to subscribers, for the checkpoint that changed (null: the run as a whole).</summary>
    public sealed record Publish(string? Checkpoint) : RunEffect
    {
        public override bool AfterDurable => true;
    }

    /// <summary>The run stopped: its final status to subscribers.</summary>
    public sealed record NotifyStopped : RunEffect
    {
        public static readonly NotifyStopped Instance = new();
        public override bool AfterDurable => true;
    }

    /// <summary>
    /// Starts an attempt before its start is durable: waiting would put an fsync between every
    /// completion and the next start. Recovery reverts what an attempt whose start never reached
    /// the journal wrote, and a process waits at its gate until its launch is journalled.
    /// </summary>
    public sealed record Place(string Checkpoint, int Attempt, CheckpointIsolation Isolation, TimeSpan? Timeout) : RunEffect;

    /// <summary>The checkpoint's timeout runs from when its attempt starts on its worker.</summary>
    public sealed record StartTimeout(string Checkpoint, int Attempt, TimeSpan After) : RunEffect;

    /// <summary>Fires the attempt's token, then gives it the grace period.</summary>
    public sealed record Cancel(string Checkpoint, int Attempt, IActorRef AttemptActor, StopReason Reason) : RunEffect;

    /// <summary>Starts the grace period of a stop whose attempt has not been accepted yet.</summary>
    public sealed record StartGrace(string Checkpoint, int Attempt) : RunEffect;

    /// <summary>Ends an attempt for good through its host (or takes it back from the placement, before it was accepted).</summary>
    public sealed record Abandon(string Checkpoint, int Attempt, IActorRef? Host) : RunEffect;

    public sealed record CancelTimers(string Checkpoint) : RunEffect;

    /// <summary>Kills what the attempt's processes left, fences its writer and reverts its DOC changes; then <c>AttemptReverted</c>.</summary>
    public sealed record End(string Checkpoint, int Attempt, AttemptFailure? Failure, ImmutableArray<ProcessLaunch> Launches) : RunEffect;

    /// <summary>The nodes a completed attempt changed, asked before its completion is recorded (races stop the run).</summary>
    public sealed record CheckCompletion(string Checkpoint, int Attempt) : RunEffect;

    /// <summary>
    /// The nodes completed attempts changed, for races: one question for every completion since the
    /// last one was answered, so that a burst of completions costs one round trip to the DOC.
    /// </summary>
    public sealed record CheckRaces(ImmutableArray<Writer> Attempts) : RunEffect;

    public sealed record RebuildWrites(ImmutableArray<Writer> Writers) : RunEffect;

    public sealed record RevertForResume(ImmutableArray<Writer> Writers, RunResumed Resumed, IActorRef ReplyTo) : RunEffect;

    /// <summary>After a crash: which pending checkpoints' next attempts wrote to the DOC before their start was journalled.</summary>
    public sealed record FindGhosts(ImmutableArray<Writer> Interrupted, ImmutableArray<Writer> Candidates, ImmutableArray<ProcessLaunch> Launches) : RunEffect;

    public sealed record RevertInterrupted(ImmutableArray<Writer> Attempts, ImmutableArray<ProcessLaunch> Launches) : RunEffect;

    public sealed record ScheduleRetry(TimeSpan Delay) : RunEffect;

    public sealed record StartSuspendDeadline(TimeSpan Delay) : RunEffect;

    /// <summary>After recovery: go on (in the next step, once the actor is ready).</summary>
    public sealed record Continue : RunEffect
    {
        public static readonly Continue Instance = new();
    }

    /// <summary>Requests that waited while the run reverted may come in now.</summary>
    public sealed record Unstash : RunEffect
    {
        public static readonly Unstash Instance = new();
    }

    /// <summary>The actor stops once the step is durable (a suspended run, or one asked about that does not exist).</summary>
    public sealed record StopActor : RunEffect
    {
        public static readonly StopActor Instance = new();
        public override bool AfterDurable => true;
    }

    public sealed record Log(LogLevel Level, string Checkpoint, string Message) : RunEffect;
}
