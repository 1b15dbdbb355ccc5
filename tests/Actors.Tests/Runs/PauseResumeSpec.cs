using Caiman.Actors.Protocol;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Xunit.Abstractions;

namespace Caiman.Actors.Tests.Runs;

public sealed class PauseResumeSpec(ITestOutputHelper output) : EngineSpec(output)
{
    /// <summary>Every step appends its name and run count to /persistent/log, so re-runs and reverts show in the DOC.</summary>
    private void Recording(params string[] names)
    {
        foreach (var name in names)
            Scripted.On(name, (context, _) => context.Doc.InsertAsync("/persistent",
                new NewNode(context.Checkpoint, "Step", PropertyMap.Of(("attempt", DocValue.From(context.Attempt))), [])));
    }

    private async Task<string[]> StepsInDoc(string runId)
    {
        var doc = await Engine.DocAsync(runId);
        return [.. (await doc.FindAsync("/persistent/[@Step]")).Select(n => n.Name)];
    }

    [Fact]
    public async Task Pause_before_should_hold_back_the_checkpoint_and_its_dependents_and_let_the_rest_run()
    {
        Recording("prepare", "x86", "arm", "pack");
        var pipeline = Pipeline(Step("prepare"), Step("x86", "prepare"), Step("arm", "prepare"), Step("pack", "x86", "arm"));

        var paused = await RunToEnd("pb", pipeline, pauseBefore: ["arm"]);

        Assert.Equal(RunPhase.Paused, paused.Phase);
        Assert.Equal([CheckpointState.Completed, CheckpointState.Completed, CheckpointState.Pending, CheckpointState.Pending], States(paused));
        Assert.Equal([false, false, true, false], paused.Checkpoints.Select(c => c.Resumable && c.State == CheckpointState.Pending));

        await Engine.ResumeAsync("pb");
        var done = await WaitForStop("pb");

        Assert.Equal(RunPhase.Completed, done.Phase);
        Assert.Equal(["arm", "pack", "prepare", "x86"], (await StepsInDoc("pb")).Order());
        Assert.All(["prepare", "x86", "arm", "pack"], n => Assert.Equal(1, Scripted.Runs(n)));
    }

    [Fact]
    public async Task Pause_now_should_let_running_attempts_finish_and_start_nothing_new()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Scripted.On("first", async (_, _) =>
        {
            running.TrySetResult();
            await release.Task;
        });

        await Engine.StartAsync("pn", Pipeline(Chain("first", "second")));
        await running.Task.WaitAsync(Patience);
        var pausing = await Engine.PauseAsync("pn");
        release.SetResult();
        var paused = await WaitForStop("pn");

        Assert.Equal(RunPhase.Pausing, pausing.Phase);
        Assert.Equal(RunPhase.Paused, paused.Phase);
        Assert.Equal([CheckpointState.Completed, CheckpointState.Pending], States(paused));
        Assert.Equal(0, Scripted.Runs("second"));

        await Engine.ResumeAsync("pn");
        Assert.Equal(RunPhase.Completed, (await WaitForStop("pn")).Phase);
        Assert.Equal(1, Scripted.Runs("second"));
    }

    [Fact]
    public async Task Resume_from_should_revert_and_rerun_the_checkpoint_and_its_dependents_only()
    {
        Recording("prepare", "x86", "arm", "pack");
        var pipeline = Pipeline(Step("prepare"), Step("x86", "prepare"), Step("arm", "prepare"), Step("pack", "x86", "arm"));
        await RunToEnd("rf", pipeline);

        await Engine.ResumeAsync("rf", from: "arm");
        var done = await WaitForStop("rf");

        Assert.Equal(RunPhase.Completed, done.Phase);
        Assert.Equal([1, 1, 2, 2], done.Checkpoints.Select(c => c.Attempts));
        Assert.Equal([1, 1, 2, 2], new[] { "prepare", "x86", "arm", "pack" }.Select(Scripted.Runs));
        var doc = await Engine.DocAsync("rf");
        var steps = await doc.FindAsync("/persistent/[@Step]");
        // Exactly one node per step: the first attempts' nodes of arm and pack were reverted.
        Assert.Equal(["arm", "pack", "prepare", "x86"], steps.Select(n => n.Name).Order());
        Assert.Equal(DocValue.From(2), steps.Single(n => n.Name == "arm")["attempt"]);
    }

    [Fact]
    public async Task Resume_from_should_refuse_an_unknown_or_not_resumable_checkpoint()
    {
        Scripted.On("first", (_, _) => throw new InvalidOperationException("broken"));
        var failed = await RunToEnd("nr", Pipeline(Chain("first", "second", "third")));

        var unknown = await Assert.ThrowsAsync<RunException>(() => Engine.ResumeAsync("nr", from: "fourth"));
        var notResumable = await Assert.ThrowsAsync<RunException>(() => Engine.ResumeAsync("nr", from: "third"));
        var noRun = await Assert.ThrowsAsync<RunException>(() => Engine.ResumeAsync("no-such-run"));

        Assert.Equal(RunPhase.Failed, failed.Phase);
        Assert.Equal("fourth", Assert.IsType<RunError.UnknownCheckpoint>(unknown.Error).Checkpoint);
        Assert.Equal(["second"], Assert.IsType<RunError.NotResumable>(notResumable.Error).Waiting.ToArray());
        Assert.IsType<RunError.UnknownRun>(noRun.Error);
    }

    [Fact]
    public async Task Start_should_refuse_an_existing_run_id()
    {
        await RunToEnd("dup", Pipeline(Chain("only")));

        var again = await Assert.ThrowsAsync<RunException>(() => Engine.StartAsync("dup", Pipeline(Chain("only"))));

        Assert.IsType<RunError.RunExists>(again.Error);
    }
}
