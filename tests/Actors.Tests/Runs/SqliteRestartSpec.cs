using Akka.Actor;
using Akka.Configuration;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Doc.Model;
using Caiman.Doc.Persistence;
using Caiman.Doc.Protocol;
using Xunit.Abstractions;

namespace Caiman.Actors.Tests.Runs;

/// <summary>
/// Runs on a real SQLite file through a full restart of the actor system: what a run recorded is
/// read back by a new system, and an attempt that was running when the old one died is reverted
/// and run again while completed checkpoints are not.
/// </summary>
public sealed class SqliteRestartSpec(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("caiman-engine-").FullName;
    private readonly ScriptedType _scripted = new();
    private readonly List<ActorSystem> _systems = [];

    private (ActorSystem System, CaimanEngine Engine) Boot(string extra = "")
    {
        var system = ActorSystem.Create("restart", EngineSpec.SpecConfig(ConfigurationFactory.ParseString(extra)
            .WithFallback(SqlitePersistence.Config(Path.Combine(_directory, "caiman.db")))));
        _systems.Add(system);
        return (system, CaimanEngine.Start(system, CheckpointTypes.BuiltIn().Add(_scripted)));
    }

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A checkpoint that (after <paramref name="first"/>) hangs on its first attempt until cancelled, as
    /// a long step would when its engine dies; later attempts end at once. The task completes once it hangs.
    /// </summary>
    private TaskCompletionSource HangsOnFirstAttempt(string name, Func<CheckpointContext, Task>? first = null)
    {
        var hanging = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _scripted.On(name, async (context, token) =>
        {
            if (first is not null) await first(context);
            if (context.Attempt > 1) return;
            hanging.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        });
        return hanging;
    }

    private static async Task<RunStatus> WaitForStop(CaimanEngine engine, string runId)
    {
        using var timeout = new CancellationTokenSource(Patience);
        return await engine.WaitAsync(runId, cancellationToken: timeout.Token);
    }

    private static Caiman.Checkpoints.Pipelines.PipelineDefinition Pipeline(params string[] names) =>
        new("restart", null, true, null, [.. names.Select((n, i) => new Caiman.Checkpoints.Pipelines.CheckpointDefinition(n, "scripted", CheckpointArgs.Empty, i == 0 ? [] : [names[i - 1]]))])
        { BaseDirectory = Directory.GetCurrentDirectory() };

    [Fact]
    public async Task A_run_interrupted_by_a_restart_should_revert_the_running_attempt_and_finish_without_rerunning_completed_ones()
    {
        _scripted.On("first", (context, _) => context.Doc.InsertAsync("/persistent", new NewNode("first", "Step", PropertyMap.Empty, [])));
        var inSecond = HangsOnFirstAttempt("second", context => context.Doc.InsertAsync("/persistent", new NewNode("second-" + context.Attempt, "Step", PropertyMap.Empty, [])));
        var (first, engine) = Boot();
        await engine.StartAsync("crash", Pipeline("first", "second", "third"));
        await inSecond.Task.WaitAsync(Patience);

        await first.Terminate();
        var (_, restarted) = Boot();
        await restarted.StatusAsync("crash"); // recovers the run, which goes on by itself
        var done = await WaitForStop(restarted, "crash");

        Assert.Equal(RunPhase.Completed, done.Phase);
        Assert.Equal([1, 2, 1], done.Checkpoints.Select(c => c.Attempts));
        Assert.Equal(1, _scripted.Runs("first"));
        var doc = await restarted.DocAsync("crash");
        Assert.Equal(["first", "second-2"], (await doc.FindAsync("/persistent/[@Step]")).Select(n => n.Name));
    }

    [Fact]
    public async Task Paused_run_errors_and_attempts_should_survive_a_restart_and_resume_from_there()
    {
        _scripted.On("flaky", (context, _) => context.Attempt == 1 ? throw new IOException("first try fails") : Task.CompletedTask);
        var pipeline = Pipeline("flaky", "second");
        var withRetry = pipeline with { Checkpoints = [pipeline.Checkpoints[0] with { Retries = new Caiman.Checkpoints.Pipelines.RetryPolicy(1, TimeSpan.Zero) }, pipeline.Checkpoints[1]] };
        var (first, engine) = Boot();
        await engine.StartAsync("paused", withRetry, pauseBefore: ["second"]);
        var paused = await WaitForStop(engine, "paused");

        await first.Terminate();
        var (_, restarted) = Boot();
        var recovered = await restarted.StatusAsync("paused");
        var errors = await restarted.ErrorsAsync("paused");
        await restarted.ResumeAsync("paused");
        var done = await WaitForStop(restarted, "paused");

        Assert.Equal(RunPhase.Paused, paused.Phase);
        Assert.Equal(paused.Phase, recovered.Phase);
        Assert.Equal(paused.Checkpoints.Select(c => (c.State, c.Attempts)), recovered.Checkpoints.Select(c => (c.State, c.Attempts)));
        Assert.Equal(["first try fails"], errors.Select(e => e.Message));
        Assert.Equal(RunPhase.Completed, done.Phase);
        Assert.Equal(2, _scripted.Runs("flaky"));
    }

    [Fact]
    public async Task Suspend_should_interrupt_what_runs_and_a_restarted_engine_should_find_and_finish_the_run()
    {
        var inSlow = HangsOnFirstAttempt("slow", context => context.Doc.InsertAsync("/persistent", new NewNode("slow-" + context.Attempt, "Step", PropertyMap.Empty, [])));
        var (first, engine) = Boot();
        await engine.StartAsync("suspended", Pipeline("fast", "slow", "last"));
        await engine.StartAsync("finished", Pipeline("only"));
        await inSlow.Task.WaitAsync(Patience);

        await engine.SuspendAllAsync(TimeSpan.FromMilliseconds(200));
        await first.Terminate();
        var (_, restarted) = Boot();
        var runs = await restarted.ListRunsAsync();
        await restarted.RecoverAllAsync();
        var done = await WaitForStop(restarted, "suspended");

        Assert.Equal(["suspended", "finished"], runs.ToArray());
        Assert.Equal(RunPhase.Completed, done.Phase);
        Assert.Equal([1, 2, 1], done.Checkpoints.Select(c => c.Attempts));
        var doc = await restarted.DocAsync("suspended");
        Assert.Equal(["slow-2"], (await doc.FindAsync("/persistent/[@Step]")).Select(n => n.Name));
    }

    [Fact]
    public async Task Recovery_should_revert_what_an_attempt_wrote_when_its_start_never_reached_the_journal()
    {
        var inSecond = HangsOnFirstAttempt("second");
        var (first, engine) = Boot();
        await engine.StartAsync("ghost", Pipeline("first", "second", "third"));
        await inSecond.Task.WaitAsync(Patience);
        // Attempts start before their start is durable: this is what "third" would have written had
        // it started and the process died before its AttemptStarted reached the journal.
        var doc = await engine.DocAsync("ghost");
        await doc.As(new Writer("ghost", "third", 1)).InsertAsync("/persistent", new NewNode("lost", "Step", PropertyMap.Empty, []));

        await first.Terminate();
        var (_, restarted) = Boot();
        await restarted.StatusAsync("ghost");
        var done = await WaitForStop(restarted, "ghost");

        Assert.Equal(RunPhase.Completed, done.Phase);
        Assert.Equal([1, 2, 2], done.Checkpoints.Select(c => c.Attempts));
        Assert.Empty(await (await restarted.DocAsync("ghost")).FindAsync("/persistent/lost"));
    }

    [Fact]
    public async Task A_race_with_a_checkpoint_completed_before_a_restart_should_still_be_found()
    {
        _scripted.On("prepare", (context, _) => context.Doc.InsertAsync("/persistent", new NewNode("image", "Image", PropertyMap.Empty, [])));
        foreach (var arch in new[] { "x86", "arm" })
            _scripted.On(arch, (context, _) => context.Doc.SetAsync("/persistent/image", "arch", context.Checkpoint));
        var pipeline = new Caiman.Checkpoints.Pipelines.PipelineDefinition("race", null, true, 1,
        [
            new("prepare", "scripted", CheckpointArgs.Empty, []),
            new("x86", "scripted", CheckpointArgs.Empty, ["prepare"]),
            new("arm", "scripted", CheckpointArgs.Empty, ["prepare"]),
        ]) { BaseDirectory = Directory.GetCurrentDirectory() };
        var (first, engine) = Boot();
        await engine.StartAsync("race", pipeline, pauseBefore: ["arm"]);
        await WaitForStop(engine, "race");

        await first.Terminate();
        var (_, restarted) = Boot();
        await restarted.ResumeAsync("race");
        await WaitForStop(restarted, "race");

        // A run stops only once its race checks are in, so the error is there by now.
        var race = Assert.Single(await restarted.ErrorsAsync("race"), e => e.Data.ContainsKey("race"));
        Assert.Equal(("arm", "x86", "/persistent/image"), (race.Checkpoint, race.Data["other-checkpoint"], race.Data["path"]));
    }

    [Fact]
    public async Task A_cancel_cut_short_by_a_restart_should_end_cancelled_with_the_attempt_reverted()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        _scripted.On("stubborn", async (context, _) =>
        {
            await context.Doc.InsertAsync("/persistent", new NewNode("partial", "Step", PropertyMap.Empty, []));
            started.TrySetResult();
            await never.Task; // ignores its token: the grace period would abandon it, but the process dies first
        });
        var (first, engine) = Boot();
        await engine.StartAsync("cut", Pipeline("stubborn", "after"));
        await started.Task.WaitAsync(Patience);
        var cancelling = await engine.CancelAsync("cut");

        await first.Terminate();
        var (_, restarted) = Boot();
        await restarted.StatusAsync("cut");
        var stopped = await WaitForStop(restarted, "cut");

        Assert.Equal(RunPhase.Cancelling, cancelling.Phase);
        Assert.Equal(RunPhase.Cancelled, stopped.Phase);
        Assert.Equal([CheckpointState.Cancelled, CheckpointState.Pending], stopped.Checkpoints.Select(c => c.State));
        Assert.Empty(await (await restarted.DocAsync("cut")).FindAsync("/persistent/partial"));
    }

    [Fact]
    public async Task A_recovered_run_should_pause_when_continue_after_recovery_is_off()
    {
        var inSecond = HangsOnFirstAttempt("second");
        var (first, engine) = Boot();
        await engine.StartAsync("held", Pipeline("first", "second"));
        await inSecond.Task.WaitAsync(Patience);

        await first.Terminate();
        var (_, restarted) = Boot("caiman.engine.continue-after-recovery = off");
        await restarted.StatusAsync("held");
        var paused = await WaitForStop(restarted, "held");

        Assert.Equal(RunPhase.Paused, paused.Phase);
        Assert.Equal([CheckpointState.Completed, CheckpointState.Pending], paused.Checkpoints.Select(c => c.State));
        Assert.Equal(1, _scripted.Runs("second"));
    }

    public void Dispose()
    {
        foreach (var system in _systems) system.Terminate().Wait(TimeSpan.FromSeconds(10));
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp directory is cleaned by the OS.
        }
        output.WriteLine($"data in {_directory}");
    }
}
