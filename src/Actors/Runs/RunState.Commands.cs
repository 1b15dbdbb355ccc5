using System.Collections.Immutable;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Runs;

/// <summary>The run's decisions on commands from outside: start, pause, cancel, resume, suspend, and the questions.</summary>
internal sealed partial class RunState
{
    private const string RunWide = "-";

    public Decision OnStart(StartRun command, IActorRef sender, CheckpointTypes types, DateTimeOffset now)
    {
        var decision = new Decision();
        if (Phase != RunPhase.New)
            return Refuse(decision, sender, new RunError.RunExists(RunId, Phase));
        var problems = PipelineValidator.Validate(command.Pipeline, types);
        if (problems.Count > 0)
        {
            decision.Effects.Add(new RunEffect.Reply(sender, RunReply.Refused(new RunError.InvalidPipeline(RunId, [.. problems.Select(p => p.ToString())]))));
            decision.Effects.Add(RunEffect.StopActor.Instance);
            return decision;
        }
        if (UnknownCheckpoint(command.Pipeline.Checkpoints.Select(c => c.Name), command.PauseBefore) is { } unknown)
        {
            decision.Effects.Add(new RunEffect.Reply(sender, RunReply.Refused(unknown)));
            decision.Effects.Add(RunEffect.StopActor.Instance);
            return decision;
        }
        Log(decision, LogLevel.Information, $"run of pipeline '{command.Pipeline.Name}' started{(command.DryRun ? " (dry run)" : "")}");
        Emit(decision, new RunStarted(RunId, command.Pipeline, command.PauseBefore, command.DryRun, now));
        decision.Effects.Add(new RunEffect.Reply(sender, RunReply.Of(Status(now))));
        return Settle(decision, now);
    }

    public Decision OnPause(IActorRef sender, DateTimeOffset now)
    {
        var decision = new Decision();
        switch (Phase)
        {
            case RunPhase.Running:
                Emit(decision, new PauseRequested(now));
                decision.Effects.Add(new RunEffect.Reply(sender, RunReply.Of(Status(now))));
                return Settle(decision, now);
            case RunPhase.Pausing or RunPhase.Paused:
                return ReplyStatus(decision, sender, now);
            default:
                return Refuse(decision, sender, "only a running run can be paused");
        }
    }

    public Decision OnCancel(IActorRef sender, DateTimeOffset now)
    {
        var decision = new Decision();
        switch (Phase)
        {
            case RunPhase.Running or RunPhase.Pausing:
                Log(decision, LogLevel.Warning, "cancel requested");
                Emit(decision, new CancelRequested(now));
                decision.Effects.Add(new RunEffect.Reply(sender, RunReply.Of(Status(now))));
                foreach (var live in _live.Values.Where(l => !l.Finished && l.Stopping is null).ToList()) StopAttempt(decision, live, StopReason.Cancel);
                return Settle(decision, now);
            case RunPhase.Cancelling or RunPhase.Cancelled:
                return ReplyStatus(decision, sender, now);
            default:
                return Refuse(decision, sender, "only a running or pausing run can be cancelled");
        }
    }

    public Decision OnResume(ResumeRun command, IActorRef sender, DateTimeOffset now)
    {
        var decision = new Decision();
        if (Phase == RunPhase.New) return Unknown(decision, sender);
        if (Phase is RunPhase.Running && command.From is null && command.PauseBefore.IsEmpty)
            return ReplyStatus(decision, sender, now); // already going on (e.g. recovered after a crash)
        if (Phase is not (RunPhase.Paused or RunPhase.Failed or RunPhase.Cancelled or RunPhase.Completed))
            return Refuse(decision, sender, "pause or cancel it before resuming");
        var names = _ordered.Select(c => c.Name).ToList();
        var asked = command.From is null ? command.PauseBefore : command.PauseBefore.Add(command.From);
        if (UnknownCheckpoint(names, asked) is { } unknown) return Refuse(decision, sender, unknown);
        var reset = _ordered.Where(c => c.State is CheckpointState.Failed or CheckpointState.Cancelled).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var revert = new List<Writer>();
        if (command.From is { } from)
        {
            var record = this[from];
            if (!IsResumable(record))
            {
                var waiting = record.Definition.After.Where(d => this[d].State != CheckpointState.Completed).ToImmutableArray();
                return Refuse(decision, sender, new RunError.NotResumable(RunId, from, waiting));
            }
            foreach (var name in Graph.TransitiveDependents(from).Prepend(from))
            {
                reset.Add(name);
                revert.AddRange(WritersOf(this[name]));
            }
        }
        else if (Phase == RunPhase.Completed)
        {
            return Refuse(decision, sender, "the run completed; resume from a checkpoint to run it again");
        }
        var resumed = new RunResumed(command.From, [.. names.Where(reset.Contains)], command.PauseBefore, now);
        Log(decision, LogLevel.Information, $"resume{(command.From is null ? "" : $" from '{command.From}'")}: resetting {(resumed.Reset.IsEmpty ? "nothing" : string.Join(", ", resumed.Reset))}");
        foreach (var name in resumed.Reset) ForgetWrites(name);
        IsReverting = true;
        decision.Effects.Add(new RunEffect.RevertForResume([.. revert], resumed, sender));
        return decision;
    }

    public Decision OnResumeReverted(RunResumed resumed, RevertOutcome outcome, IActorRef replyTo, DateTimeOffset now)
    {
        var decision = new Decision();
        IsReverting = false;
        RaceErrors(decision, outcome, now);
        Emit(decision, resumed);
        decision.Effects.Add(new RunEffect.Reply(replyTo, RunReply.Of(Status(now))));
        decision.Effects.Add(RunEffect.Unstash.Instance);
        return Settle(decision, now);
    }

    /// <summary>
    /// For a shutdown: start nothing new, give running attempts <paramref name="finishWithin"/>,
    /// then interrupt the rest. The phase stays, so a restarted engine goes on with the run.
    /// </summary>
    public Decision OnSuspend(TimeSpan finishWithin, IActorRef sender, DateTimeOffset now)
    {
        var decision = new Decision();
        if (Phase == RunPhase.New) return Unknown(decision, sender);
        _suspendedBy.Add(sender);
        Log(decision, LogLevel.Information, $"suspending for a shutdown: {_live.Count} attempts get {finishWithin} to finish");
        if (_live.Count > 0) decision.Effects.Add(new RunEffect.StartSuspendDeadline(finishWithin));
        return Settle(decision, now);
    }

    public Decision OnSuspendDeadline(DateTimeOffset now)
    {
        var decision = new Decision();
        foreach (var live in _live.Values.Where(l => !l.Finished && l.Stopping is null).ToList()) StopAttempt(decision, live, StopReason.Shutdown);
        return decision;
    }

    public Decision OnStatus(IActorRef sender, DateTimeOffset now) =>
        Phase == RunPhase.New ? Unknown(new Decision(), sender) : ReplyStatus(new Decision(), sender, now);

    public Decision OnErrors(GetErrors query, IActorRef sender)
    {
        var decision = new Decision();
        if (Phase == RunPhase.New)
        {
            decision.Effects.Add(new RunEffect.Reply(sender, new ErrorsResult(RunId, [], new RunError.UnknownRun(RunId))));
            decision.Effects.Add(RunEffect.StopActor.Instance);
            return decision;
        }
        decision.Effects.Add(new RunEffect.Reply(sender, new ErrorsResult(RunId,
        [
            .. _errors
                .Where(e => query.Checkpoint is null || e.Checkpoint == query.Checkpoint)
                .Where(e => query.Kind is null || e.Kind == query.Kind),
        ], null)));
        return decision;
    }

    // ---- Scheduling: what follows from the state once a step's events are applied ---------------------

    /// <summary>
    /// Adds the attempts that may start now and the run's stop when nothing is left to do (or, for
    /// a suspended run, the actor's stop once nothing runs), so that one step is one journal write.
    /// </summary>
    private Decision Settle(Decision decision, DateTimeOffset now)
    {
        if (IsSuspended)
        {
            if (_live.Count == 0)
            {
                var status = Status(now);
                foreach (var waiting in _suspendedBy) decision.Effects.Add(new RunEffect.Reply(waiting, RunReply.Of(status)));
                _suspendedBy.Clear();
                decision.Effects.Add(RunEffect.StopActor.Instance);
            }
            return decision;
        }
        if (!IsReverting)
        {
            foreach (var record in Ready(now, Parallelism - _live.Count))
            {
                var started = new AttemptStarted(record.Name, record.Attempts + 1, now);
                Emit(decision, started);
                var isolation = Rules.IsolationOf(record.Definition, Pipeline!);
                _live[record.Name] = new LiveAttempt(record.Name, started.Attempt, isolation);
                Log(decision, LogLevel.Information, $"'{record.Name}' attempt {started.Attempt} started{(isolation == CheckpointIsolation.Process ? " (in a worker process)" : "")}");
                decision.Effects.Add(new RunEffect.Place(record.Name, started.Attempt, isolation, record.Definition.Timeout));
                decision.Effects.Add(new RunEffect.Publish(record.Name));
            }
            if (_live.Count == 0 && !RaceChecksOut && StopPhase(false, now) is { } phase)
            {
                Emit(decision, new RunStopped(phase, now));
                Log(decision, LogLevel.Information, $"run {phase.ToString().ToLowerInvariant()}");
                decision.Effects.Add(RunEffect.NotifyStopped.Instance);
            }
            else if (_live.Count == 0 && NextRetry() is { } retry)
            {
                decision.Effects.Add(new RunEffect.ScheduleRetry(retry > now ? retry - now : TimeSpan.Zero));
            }
        }
        if (decision.Events.Count > 0) decision.Effects.Add(new RunEffect.Publish(null));
        return decision;
    }

    /// <summary>A step with nothing to decide but what follows from the state (a retry due, a recovery done).</summary>
    public Decision OnSettle(DateTimeOffset now) => Settle(new Decision(), now);

    // ---- Helpers ---------------------------------------------------------------------------------------

    private Decision ReplyStatus(Decision decision, IActorRef sender, DateTimeOffset now)
    {
        if (Phase == RunPhase.New) return Unknown(decision, sender);
        decision.Effects.Add(new RunEffect.Reply(sender, RunReply.Of(Status(now))));
        return decision;
    }

    /// <summary>Asked about a run that does not exist: refuse, and do not linger as an empty actor.</summary>
    private Decision Unknown(Decision decision, IActorRef sender)
    {
        decision.Effects.Add(new RunEffect.Reply(sender, RunReply.Refused(new RunError.UnknownRun(RunId))));
        decision.Effects.Add(RunEffect.StopActor.Instance);
        return decision;
    }

    private Decision Refuse(Decision decision, IActorRef sender, string reason) =>
        Phase == RunPhase.New ? Unknown(decision, sender) : Refuse(decision, sender, new RunError.InvalidState(RunId, Phase, reason));

    private static Decision Refuse(Decision decision, IActorRef sender, RunError error)
    {
        decision.Effects.Add(new RunEffect.Reply(sender, RunReply.Refused(error)));
        return decision;
    }

    private RunError? UnknownCheckpoint(IEnumerable<string> known, IEnumerable<string> asked)
    {
        var names = known.ToImmutableArray();
        var missing = asked.FirstOrDefault(a => !names.Contains(a));
        return missing is null ? null : new RunError.UnknownCheckpoint(RunId, missing, names);
    }

    private static void Log(Decision decision, LogLevel level, string message) => decision.Effects.Add(new RunEffect.Log(level, RunWide, message));

    /// <summary>
    /// The attempt of a checkpoint whose changes stand: only a completed one has any, since every
    /// attempt that failed, was cancelled or was interrupted was reverted when it ended.
    /// </summary>
    private IEnumerable<Writer> WritersOf(CheckpointRecord record) =>
        record.State == CheckpointState.Completed ? [new Writer(RunId, record.Name, record.Attempts)] : [];
}
