using Caiman.Actors.Protocol;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Xunit.Abstractions;

namespace Caiman.Actors.Tests.Runs;

public sealed class SchedulingSpec(ITestOutputHelper output) : EngineSpec(output)
{
    [Fact]
    public async Task Run_should_execute_a_chain_in_order_with_each_write_stamped_by_its_attempt()
    {
        var order = new List<string>();
        foreach (var name in new[] { "prepare", "build", "package" })
            Scripted.On(name, async (context, _) =>
            {
                lock (order) order.Add(context.Checkpoint);
                await context.Doc.InsertAsync("/persistent", new NewNode(context.Checkpoint, "Step", PropertyMap.Empty, []));
            });

        var status = await RunToEnd("chain", Pipeline(Chain("prepare", "build", "package")));

        Assert.Equal(RunPhase.Completed, status.Phase);
        Assert.Equal(["prepare", "build", "package"], order);
        Assert.All(status.Checkpoints, c => Assert.Equal((CheckpointState.Completed, 1), (c.State, c.Attempts)));
        Assert.Equal(100, status.Percent);
        var doc = await Engine.DocAsync("chain");
        var writes = await doc.FindWritesAsync(new Writer("chain", "build", 1));
        Assert.Equal("/persistent/build", Assert.Single(writes).Path);
    }

    [Fact]
    public async Task Run_should_start_independent_checkpoints_together()
    {
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        foreach (var name in new[] { "x86", "arm" })
            Scripted.On(name, async (_, token) =>
            {
                if (Interlocked.Increment(ref started) == 2) bothStarted.TrySetResult();
                // Each waits for the other: only a run that starts both at once completes.
                await bothStarted.Task.WaitAsync(token);
            });

        var status = await RunToEnd("wide", Pipeline(false, 2, Step("prepare"), Step("x86", "prepare"), Step("arm", "prepare"), Step("pack", "x86", "arm")));

        Assert.Equal(RunPhase.Completed, status.Phase);
        Assert.Equal(2, Scripted.MaxConcurrent);
    }

    [Fact]
    public async Task Run_should_never_run_more_attempts_at_once_than_its_parallelism()
    {
        for (var i = 0; i < 6; i++) Scripted.On("w" + i, async (_, _) => await Task.Yield());
        var steps = Enumerable.Range(0, 6).Select(i => Step("w" + i)).ToArray();

        var status = await RunToEnd("limited", Pipeline(true, 2, steps));

        Assert.Equal(RunPhase.Completed, status.Phase);
        Assert.InRange(Scripted.MaxConcurrent, 1, 2);
        Assert.All(steps, s => Assert.Equal(1, Scripted.Runs(s.Name)));
    }

    [Fact]
    public async Task Progress_should_never_go_back_and_should_weigh_checkpoints_by_estimate()
    {
        var percents = new List<double>();
        Scripted.On("long", (context, _) =>
        {
            context.Progress.Report(50, "half way");
            context.Progress.Report(20, "a late, lower report");
            return Task.CompletedTask;
        });
        var pipeline = Pipeline(
            Step("short") with { Estimate = TimeSpan.FromSeconds(1) },
            Step("long", "short") with { Estimate = TimeSpan.FromSeconds(9) });

        await Engine.StartAsync("progress", pipeline);
        using var timeout = new CancellationTokenSource(Patience);
        var status = await Engine.WaitAsync("progress", p => { lock (percents) percents.Add(p.Percent); }, timeout.Token);

        Assert.Equal(RunPhase.Completed, status.Phase);
        Assert.Equal(percents.OrderBy(p => p), percents);
        Assert.Equal(100, status.Percent);
    }
}
