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

    private static string[] Ready(RunState state, int slots = 10) => [.. state.Ready(T0, slots, new HashSet<string>()).Select(r => r.Name)];

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

        Assert.Empty(state.Ready(T0, 10, new HashSet<string>()));
        Assert.Equal(T0.AddSeconds(5), state.NextRetry());
        Assert.Null(state.StopPhase(false, T0));
        Assert.Equal(["prepare"], state.Ready(T0.AddSeconds(5), 10, new HashSet<string>()).Select(r => r.Name));
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
}
