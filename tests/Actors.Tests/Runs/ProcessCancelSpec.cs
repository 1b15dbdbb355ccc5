using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Xunit.Abstractions;

namespace Caiman.Actors.Tests.Runs;

/// <summary>Cancel and timeout of a run whose checkpoint is an external process tree that would run for minutes.</summary>
public sealed class ProcessCancelSpec(ITestOutputHelper output) : EngineSpec(output), IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("caiman-cancel-").FullName;

    /// <summary>A shell that starts a background grandchild sleeping ten minutes, records both pids, and waits.</summary>
    private PipelineDefinition LongTree(TimeSpan? timeout = null) =>
        new("tree", null, true, null,
        [
            new CheckpointDefinition("long", "process",
                CheckpointArgs.FromJson("""{"command":"sleep 600 & echo $$ $! > tree.tmp; mv tree.tmp tree.pid; echo '::caiman doc insert /persistent partial'; wait"}"""), [])
            {
                Timeout = timeout,
            },
        ]) { BaseDirectory = _directory };

    private async Task<int[]> TreePids()
    {
        var file = Path.Combine(_directory, "tree.pid");
        await Os.FileAppearsAsync(file, Patience);
        return [.. File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
    }

    [Fact]
    public async Task Cancel_should_kill_the_whole_process_tree_and_revert_what_it_wrote()
    {
        await Engine.StartAsync("cancel-tree", LongTree());
        var pids = await TreePids();
        var doc = await Engine.DocAsync("cancel-tree");
        await AwaitAssertAsync(async () => Assert.Single(await doc.FindAsync("/persistent/partial")), Patience);

        await Engine.CancelAsync("cancel-tree");
        var status = await WaitForStop("cancel-tree");

        Assert.Equal(RunPhase.Cancelled, status.Phase);
        Assert.All(pids, pid => Assert.False(Os.IsAlive(pid), $"process {pid} survived the cancel"));
        Assert.Empty(await doc.FindAsync("/persistent/partial"));
    }

    [Fact]
    public async Task Timeout_should_kill_the_process_tree_and_fail_the_checkpoint()
    {
        await Engine.StartAsync("timeout-tree", LongTree(TimeSpan.FromSeconds(1)));
        var pids = await TreePids();

        var status = await WaitForStop("timeout-tree");

        Assert.Equal(RunPhase.Failed, status.Phase);
        Assert.All(pids, pid => Assert.False(Os.IsAlive(pid), $"process {pid} survived the timeout"));
        Assert.Contains(await Engine.ErrorsAsync("timeout-tree", "long"), e => e.ExceptionType == typeof(TimeoutException).FullName);
    }

    [Fact]
    public async Task Dry_run_should_reach_checkpoints_and_a_process_should_not_run()
    {
        var sawDryRun = false;
        Scripted.On("check", (context, _) =>
        {
            sawDryRun = context.DryRun;
            return Task.CompletedTask;
        });
        var pipeline = new PipelineDefinition("dry", null, true, null,
        [
            new CheckpointDefinition("check", "scripted", CheckpointArgs.Empty, []),
            new CheckpointDefinition("touch", "process", CheckpointArgs.FromJson("""{"command":"touch touched"}"""), ["check"]),
        ]) { BaseDirectory = _directory };

        var status = await RunToEnd("dry", pipeline, dryRun: true);

        Assert.Equal(RunPhase.Completed, status.Phase);
        Assert.True(status.DryRun);
        Assert.True(sawDryRun);
        Assert.False(File.Exists(Path.Combine(_directory, "touched")));
    }

    void IDisposable.Dispose()
    {
        Shutdown();
        Directory.Delete(_directory, recursive: true);
    }
}
