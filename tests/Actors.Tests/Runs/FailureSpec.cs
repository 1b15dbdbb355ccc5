using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Xunit.Abstractions;

namespace Caiman.Actors.Tests.Runs;

public sealed class FailureSpec(ITestOutputHelper output) : EngineSpec(output)
{
    [Fact]
    public async Task Retry_should_start_from_a_doc_without_the_failed_attempts_changes()
    {
        var seen = new List<int>();
        Scripted.On("flaky", async (context, _) =>
        {
            var earlier = await context.Doc.FindAsync("/persistent/[@Partial]");
            lock (seen) seen.Add(earlier.Length);
            await context.Doc.InsertAsync("/persistent", new NewNode("partial-" + context.Attempt, "Partial", PropertyMap.Empty, []));
            if (context.Attempt < 3) throw new IOException($"disk hiccup {context.Attempt}");
        });
        var pipeline = Pipeline(Step("flaky") with { Retries = new RetryPolicy(2, TimeSpan.FromMilliseconds(10)) });

        var status = await RunToEnd("retry", pipeline);

        Assert.Equal(RunPhase.Completed, status.Phase);
        Assert.Equal(3, status.Checkpoints[0].Attempts);
        Assert.Equal([0, 0, 0], seen);
        var doc = await Engine.DocAsync("retry");
        Assert.Equal(["partial-3"], (await doc.FindAsync("/persistent/[@Partial]")).Select(n => n.Name));
        var errors = await Engine.ErrorsAsync("retry", "flaky");
        Assert.Equal(["disk hiccup 1", "disk hiccup 2"], errors.Select(e => e.Message));
        Assert.All(errors, e => Assert.Equal(typeof(IOException).FullName, e.ExceptionType));
    }

    [Fact]
    public async Task Stop_on_error_should_start_nothing_after_a_failure()
    {
        Scripted.On("broken", (_, _) => throw new InvalidOperationException("no disk"));
        Scripted.On("slow", async (_, _) => await Task.Yield());
        var pipeline = Pipeline(true, 1, Step("broken"), Step("independent"), Step("after-broken", "broken"));

        var status = await RunToEnd("stop", pipeline);

        Assert.Equal(RunPhase.Failed, status.Phase);
        Assert.Equal([CheckpointState.Failed, CheckpointState.Pending, CheckpointState.Pending], States(status));
    }

    [Fact]
    public async Task Without_stop_on_error_independent_branches_should_go_on_and_dependents_should_wait()
    {
        Scripted.On("broken", (_, _) => throw new InvalidOperationException("no disk"));
        var pipeline = Pipeline(false, 1, Step("broken"), Step("independent"), Step("after-broken", "broken"));

        var status = await RunToEnd("go-on", pipeline);

        Assert.Equal(RunPhase.Failed, status.Phase);
        Assert.Equal([CheckpointState.Failed, CheckpointState.Completed, CheckpointState.Pending], States(status));
        var error = Assert.Single(await Engine.ErrorsAsync("go-on", kind: CheckpointErrorKind.Error));
        Assert.Equal(("broken", "no disk"), (error.Checkpoint, error.Message));
    }

    [Fact]
    public async Task Timeout_should_count_as_a_failure_and_be_retried()
    {
        Scripted.On("hangs-once", async (context, token) =>
        {
            if (context.Attempt == 1) await Task.Delay(Timeout.Infinite, token);
        });
        var pipeline = Pipeline(Step("hangs-once") with { Timeout = TimeSpan.FromMilliseconds(300), Retries = new RetryPolicy(1, TimeSpan.Zero) });

        var status = await RunToEnd("timeout", pipeline);

        Assert.Equal(RunPhase.Completed, status.Phase);
        Assert.Equal(2, status.Checkpoints[0].Attempts);
        var error = Assert.Single(await Engine.ErrorsAsync("timeout"));
        Assert.Equal(typeof(TimeoutException).FullName, error.ExceptionType);
        Assert.Contains("timed out", error.Message);
    }

    [Fact]
    public async Task A_reported_error_should_fail_a_checkpoint_that_returns_and_other_kinds_should_not()
    {
        Scripted.On("repairs", (context, _) =>
        {
            context.Errors.Report(CheckpointErrorKind.Repaired, "fixed a stale lock", data: new Dictionary<string, string> { ["file"] = "/var/lock" });
            context.Errors.Report(CheckpointErrorKind.CleanupError, "could not remove a temp dir");
            return Task.CompletedTask;
        });
        Scripted.On("reports", (context, _) =>
        {
            context.Errors.Report(CheckpointErrorKind.Error, "checksum mismatch");
            return Task.CompletedTask;
        });

        var status = await RunToEnd("reported", Pipeline(Chain("repairs", "reports")));

        Assert.Equal(RunPhase.Failed, status.Phase);
        Assert.Equal([CheckpointState.Completed, CheckpointState.Failed], States(status));
        var repaired = Assert.Single(await Engine.ErrorsAsync("reported", kind: CheckpointErrorKind.Repaired));
        Assert.Equal("/var/lock", repaired.Data["file"]);
        Assert.Single(await Engine.ErrorsAsync("reported", kind: CheckpointErrorKind.CleanupError));
        Assert.Equal(["checksum mismatch"], (await Engine.ErrorsAsync("reported", "reports")).Select(e => e.Message).Distinct());
    }

    [Fact]
    public async Task Resume_after_a_failure_should_run_the_failed_checkpoint_again_with_a_new_attempt()
    {
        var broken = true;
        Scripted.On("fragile", (_, _) => Volatile.Read(ref broken) ? throw new InvalidOperationException("not yet") : Task.CompletedTask);
        var failed = await RunToEnd("again", Pipeline(Chain("fragile", "next")));

        Volatile.Write(ref broken, false);
        await Engine.ResumeAsync("again");
        var done = await WaitForStop("again");

        Assert.Equal(RunPhase.Failed, failed.Phase);
        Assert.Equal(RunPhase.Completed, done.Phase);
        Assert.Equal(2, done.Checkpoints[0].Attempts);
    }
}
