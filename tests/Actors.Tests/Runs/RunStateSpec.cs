using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Actors.Runs;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;

namespace Caiman.Actors.Tests.Runs;

/// <summary>The run's domain without an actor system: events in, decisions out.</summary>
public sealed class RunStateSpec
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static CheckpointDefinition Step(string name, double estimate, params string[] after) =>
        new(name, "scripted", CheckpointArgs.Empty, [.. after]) { Estimate = TimeSpan.FromSeconds(estimate) };

    /// <summary>prepare (1 s), then x86 (3 s) and arm (6 s) side by side, then pack (10 s).</summary>
    private static RunState Diamond(bool stopOnError = true, params string[] pauseBefore)
    {
        var state = new RunState("r");
        state.Apply(new RunStarted("r", new PipelineDefinition("diamond", null, stopOnError, null,
            [Step("prepare", 1), Step("x86", 3, "prepare"), Step("arm", 6, "prepare"), Step("pack", 10, "x86", "arm")]), [.. pauseBefore], false, T0));
        return state;
    }

    private static string[] Ready(RunState state, int slots = 10) => [.. state.Ready(T0, slots).Select(r => r.Name)];

    [Fact]
    public void Ready_should_follow_dependencies_in_file_order_within_the_slots()
    {
        var state = Diamond();

        var atStart = Ready(state);
        state.Apply(new AttemptStarted("prepare", 1, T0));
        state.Apply(new AttemptCompleted("prepare", 1, T0));
        var afterPrepare = Ready(state);
        var oneSlot = Ready(state, slots: 1);

        Assert.Equal(["prepare"], atStart);
        Assert.Equal(["x86", "arm"], afterPrepare);
        Assert.Equal(["x86"], oneSlot);
    }

    [Fact]
    public void Pause_before_should_hold_back_the_checkpoint_and_its_dependents_and_stop_paused()
    {
        var state = Diamond(true, "arm");
        foreach (var name in new[] { "prepare", "x86" })
        {
            state.Apply(new AttemptStarted(name, 1, T0));
            state.Apply(new AttemptCompleted(name, 1, T0));
        }

        Assert.Empty(Ready(state));
        Assert.Equal(RunPhase.Paused, state.StopPhase(anythingBusy: false, T0));
        Assert.Null(state.StopPhase(anythingBusy: true, T0));
        Assert.True(state.IsResumable(state["arm"]));
        Assert.False(state.IsResumable(state["pack"]));
    }

    [Fact]
    public void A_failure_should_stop_new_work_under_stop_on_error_and_only_its_dependents_otherwise()
    {
        var stopping = Diamond(stopOnError: true);
        var goingOn = Diamond(stopOnError: false);
        foreach (var state in new[] { stopping, goingOn })
        {
            state.Apply(new AttemptStarted("prepare", 1, T0));
            state.Apply(new AttemptCompleted("prepare", 1, T0));
            state.Apply(new AttemptStarted("x86", 1, T0));
            state.Apply(new AttemptFailed("x86", 1, "broken", T0, RetryAt: null));
        }

        Assert.Empty(Ready(stopping));
        Assert.Equal(RunPhase.Failed, stopping.StopPhase(false, T0));
        Assert.Equal(["arm"], Ready(goingOn));
        Assert.Null(goingOn.StopPhase(false, T0));
    }

    [Fact]
    public void A_retry_should_wait_for_its_time()
    {
        var state = Diamond();
        state.Apply(new AttemptStarted("prepare", 1, T0));
        state.Apply(new AttemptFailed("prepare", 1, "flaky", T0, RetryAt: T0.AddSeconds(5)));

        Assert.Empty(state.Ready(T0, 10));
        Assert.Equal(T0.AddSeconds(5), state.NextRetry());
        Assert.Null(state.StopPhase(false, T0));
        Assert.Equal(["prepare"], state.Ready(T0.AddSeconds(5), 10).Select(r => r.Name));
    }

    [Fact]
    public void Progress_should_give_five_percent_to_preparation_then_shares_by_estimate_and_never_go_back_but_on_resume()
    {
        var state = Diamond();
        var start = state.ComputePercent();
        state.Apply(new AttemptStarted("prepare", 1, T0));
        state.Apply(new AttemptCompleted("prepare", 1, T0));
        var afterPrepare = state.ComputePercent();
        state.Apply(new AttemptStarted("arm", 1, T0));
        state.OnProgress(new AttemptProgressed("arm", 0, 50, null)); // not the live attempt: ignored
        state["arm"].Percent = 50;
        var armHalfway = state.ComputePercent();
        state.Apply(new AttemptFailed("arm", 1, "broken", T0, RetryAt: T0));
        var afterFailure = state.ComputePercent();
        state.Apply(new RunResumed("prepare", ["prepare", "x86", "arm", "pack"], [], T0.AddSeconds(10)));
        var afterResume = state.ComputePercent();

        Assert.Equal(5, start, 6);
        Assert.Equal(5 + 95 * 1.0 / 20, afterPrepare, 6);
        Assert.Equal(5 + 95 * 4.0 / 20, armHalfway, 6);
        Assert.Equal(armHalfway, afterFailure, 6); // the failed share is not taken back
        Assert.Equal(5, afterResume, 6);
    }

    [Fact]
    public void Time_left_should_apply_the_pace_seen_so_far_to_the_estimates_left()
    {
        var state = Diamond();
        state.Apply(new AttemptStarted("prepare", 1, T0));
        state.Apply(new AttemptCompleted("prepare", 1, T0));

        // One estimate-second done in two seconds of wall time: 19 left at half speed.
        Assert.Equal(TimeSpan.FromSeconds(38), state.TimeLeft(T0.AddSeconds(2)));
        Assert.Null(Diamond().TimeLeft(T0.AddSeconds(2)));
    }

    // ---- Decisions: inputs in, events and effects out, no actor system -----------------------------

    private static readonly IActorRef Caller = ActorRefs.Nobody;

    private static RunState Started(bool stopOnError = true, int parallelism = 10, RetryPolicy? retries = null, RaceDetection races = RaceDetection.Warning)
    {
        var state = new RunState("r", RunRules.Default with { Parallelism = parallelism, RaceDetection = races, TypeEstimate = _ => TimeSpan.FromSeconds(1) });
        var steps = new[] { Step("prepare", 1) with { Retries = retries ?? RetryPolicy.None }, Step("x86", 3, "prepare"), Step("arm", 6, "prepare"), Step("pack", 10, "x86", "arm") };
        var pipeline = new PipelineDefinition("diamond", null, stopOnError, parallelism, [.. steps]) { BaseDirectory = "/srv" };
        var decision = state.OnStart(new StartRun("r", pipeline, [], false), Caller, CheckpointTypes.BuiltIn().Add(new ScriptedType()), T0);
        Assert.Equal([typeof(RunStarted), typeof(AttemptStarted)], decision.Events.Select(e => e.GetType()));
        return state;
    }

    private static AttemptAccepted Accepted(string checkpoint, int attempt = 1) => new(checkpoint, attempt, ActorRefs.Nobody, ActorRefs.Nobody, "node");

    private static T[] Effects<T>(Decision decision) => [.. decision.Effects.OfType<T>()];

    [Fact]
    public void Start_should_record_the_run_and_its_first_attempt_in_one_step_and_reply_once_durable()
    {
        var state = new RunState("r");
        var pipeline = new PipelineDefinition("p", null, true, null, [Step("a", 1), Step("b", 1, "a")]) { BaseDirectory = "/srv" };

        var decision = state.OnStart(new StartRun("r", pipeline, [], false), Caller, CheckpointTypes.BuiltIn().Add(new ScriptedType()), T0);

        Assert.Equal([typeof(RunStarted), typeof(AttemptStarted)], decision.Events.Select(e => e.GetType()));
        var place = Assert.Single(Effects<RunEffect.Place>(decision));
        Assert.Equal(("a", 1, CheckpointIsolation.InProcess), (place.Checkpoint, place.Attempt, place.Isolation));
        Assert.True(Assert.Single(Effects<RunEffect.Reply>(decision)).AfterDurable);
        Assert.False(place.AfterDurable); // attempts start before their start is durable
    }

    [Fact]
    public void Start_should_refuse_a_pipeline_the_validator_refuses_and_change_nothing()
    {
        var state = new RunState("r");
        var pipeline = new PipelineDefinition("p", null, true, null, [Step("a", 1, "nowhere")]) { BaseDirectory = "/srv" };

        var decision = state.OnStart(new StartRun("r", pipeline, [], false), Caller, CheckpointTypes.BuiltIn().Add(new ScriptedType()), T0);

        Assert.Empty(decision.Events);
        var reply = (RunReply)Assert.Single(Effects<RunEffect.Reply>(decision)).Message;
        var refused = Assert.IsType<RunError.InvalidPipeline>(reply.Error);
        Assert.Contains(refused.Problems, p => p.Contains("unknown checkpoint 'nowhere'"));
        Assert.Equal(RunPhase.New, state.Phase);
    }

    [Fact]
    public void A_completion_should_start_what_it_unblocks_and_queue_one_race_check_for_the_burst()
    {
        var state = Started();
        state.OnAccepted(Accepted("prepare"));

        var prepared = state.OnFinished(new AttemptFinished("prepare", 1, AttemptOutcome.Completed, null), T0);

        Assert.Equal([typeof(AttemptCompleted), typeof(AttemptStarted), typeof(AttemptStarted)], prepared.Events.Select(e => e.GetType()));
        Assert.Equal(["x86", "arm"], Effects<RunEffect.Place>(prepared).Select(p => p.Checkpoint));
        Assert.Equal(["prepare"], Assert.Single(Effects<RunEffect.CheckRaces>(prepared)).Attempts.Select(w => w.Checkpoint));

        // While that check is out, completions queue behind it and the run does not stop.
        state.OnAccepted(Accepted("x86"));
        var x86 = state.OnFinished(new AttemptFinished("x86", 1, AttemptOutcome.Completed, null), T0);
        Assert.Empty(Effects<RunEffect.CheckRaces>(x86));
        var answered = state.OnRacesFound([], T0);
        Assert.Equal(["x86"], Assert.Single(Effects<RunEffect.CheckRaces>(answered)).Attempts.Select(w => w.Checkpoint));
    }

    [Fact]
    public void A_lost_attempt_should_be_ended_once_and_retried_after_its_revert()
    {
        var state = Started(retries: new RetryPolicy(1, TimeSpan.FromSeconds(2)));
        state.OnAccepted(Accepted("prepare"));

        var lost = state.OnLost(new AttemptLost("prepare", 1, "worker exited: signal 9"), T0);
        var again = state.OnLost(new AttemptLost("prepare", 1, "worker exited: signal 9"), T0);
        var reverted = state.OnAttemptReverted("prepare", 1, Assert.Single(Effects<RunEffect.End>(lost)).Failure, RevertOutcome.Clean, T0);

        Assert.Empty(again.Effects);
        var failed = Assert.Single(reverted.Events.OfType<AttemptFailed>());
        Assert.Equal(("worker exited: signal 9", T0.AddSeconds(2)), (failed.Reason, failed.RetryAt));
        Assert.Contains(reverted.Events.OfType<ErrorRecorded>(), e => e.Error.Message == "worker exited: signal 9");
        Assert.Equal(TimeSpan.FromSeconds(2), Assert.Single(Effects<RunEffect.ScheduleRetry>(reverted)).Delay);
    }

    [Fact]
    public void Cancel_should_fire_tokens_then_abandon_through_the_host_an_attempt_that_ignores_it()
    {
        var state = Started();
        state.OnAccepted(Accepted("prepare"));

        var cancel = state.OnCancel(Caller, T0);
        var grace = state.OnGraceExpired("prepare", 1, TimeSpan.FromSeconds(5));
        var late = state.OnFinished(new AttemptFinished("prepare", 1, AttemptOutcome.Completed, null), T0);
        var abandoned = state.OnAbandoned(new AttemptAbandoned("prepare", 1), T0);
        var reverted = state.OnAttemptReverted("prepare", 1, null, RevertOutcome.Clean, T0);

        Assert.Equal(StopReason.Cancel, Assert.Single(Effects<RunEffect.Cancel>(cancel)).Reason);
        Assert.Single(Effects<RunEffect.Abandon>(grace));
        Assert.Empty(late.Effects); // a completion after the abandon counts for nothing
        Assert.Null(Assert.Single(Effects<RunEffect.End>(abandoned)).Failure);
        Assert.Equal([typeof(AttemptCancelled), typeof(RunStopped)], reverted.Events.Select(e => e.GetType()));
        Assert.Equal(RunPhase.Cancelled, state.Phase);
    }

    [Fact]
    public void A_suspended_run_should_start_nothing_and_stop_its_actor_once_nothing_runs()
    {
        var state = Started();
        state.OnAccepted(Accepted("prepare"));

        var suspend = state.OnSuspend(TimeSpan.FromSeconds(10), Caller, T0);
        var finished = state.OnFinished(new AttemptFinished("prepare", 1, AttemptOutcome.Completed, null), T0);

        Assert.Single(Effects<RunEffect.StartSuspendDeadline>(suspend));
        Assert.Empty(Effects<RunEffect.StopActor>(suspend));
        Assert.Empty(Effects<RunEffect.Place>(finished));
        Assert.Single(Effects<RunEffect.StopActor>(finished));
        Assert.Equal(RunPhase.Running, state.Phase); // it goes on after the restart
    }

    [Fact]
    public void An_isolated_checkpoint_should_be_placed_in_a_worker_process_and_dotnet_be_isolated_by_default()
    {
        var rules = RunRules.Default;
        var pipeline = new PipelineDefinition("p", null, true, null, []);

        Assert.Equal(CheckpointIsolation.Process, rules.IsolationOf(new CheckpointDefinition("d", "dotnet", CheckpointArgs.Empty, []), pipeline));
        Assert.Equal(CheckpointIsolation.InProcess, rules.IsolationOf(new CheckpointDefinition("p", "process", CheckpointArgs.Empty, []), pipeline));
        Assert.Equal(CheckpointIsolation.Process, rules.IsolationOf(new CheckpointDefinition("p", "process", CheckpointArgs.Empty, []), pipeline with { Isolation = CheckpointIsolation.Process }));
        Assert.Equal(CheckpointIsolation.InProcess, rules.IsolationOf(new CheckpointDefinition("d", "dotnet", CheckpointArgs.Empty, []) { Isolation = CheckpointIsolation.InProcess }, pipeline with { Isolation = CheckpointIsolation.Process }));
    }
}
