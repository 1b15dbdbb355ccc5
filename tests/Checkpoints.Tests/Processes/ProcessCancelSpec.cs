using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Caiman.Checkpoints.Tests.Processes;

/// <summary>Nothing a process started outlives its attempt: not on cancel, not after it exits.</summary>
public sealed class ProcessCancelSpec(ITestOutputHelper output) : ProcessTestBase(output)
{
    [Fact]
    public async Task Runner_should_kill_the_whole_tree_with_its_background_grandchild_on_cancel()
    {
        var attempt = NewAttempt(killGracePeriod: TimeSpan.FromSeconds(10));
        using var cancel = new CancellationTokenSource();
        var run = attempt.RunAsync("sh -c 'sleep 600 & echo ready; sleep 600'", cancel.Token);
        try
        {
            await attempt.Log.WhenLogged("ready").WaitAsync(Patience);
            var session = attempt.Launch.ProcessGroup;
            Assert.True(Procs.LiveInSession(session).Count >= 3, "the gate's shell, the inner shell and its sleeps are running");

            await cancel.CancelAsync();
            var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Patience));

            Assert.Equal(cancel.Token, thrown.CancellationToken);
            Assert.Empty(Procs.LiveInSession(session));
        }
        finally
        {
            if (attempt.Launches.Recorded.Count > 0) Procs.KillSession(attempt.Launch.ProcessGroup);
        }
    }

    [Fact]
    public async Task Runner_should_sigkill_a_process_that_ignores_sigterm_after_the_grace_period()
    {
        var grace = TimeSpan.FromSeconds(1);
        var attempt = NewAttempt(killGracePeriod: grace);
        using var cancel = new CancellationTokenSource();
        var run = attempt.RunAsync("trap '' TERM; echo ready; sleep 600", cancel.Token);
        try
        {
            await attempt.Log.WhenLogged("ready").WaitAsync(Patience);
            var session = attempt.Launch.ProcessGroup;

            var cancelling = Stopwatch.StartNew();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Patience));

            Assert.True(cancelling.Elapsed >= grace, $"killed after {cancelling.Elapsed}, before the {grace} grace period ended");
            Assert.Empty(Procs.LiveInSession(session));
            Assert.Contains(attempt.Log.At(LogLevel.Warning), line => line.Contains("did not stop within"));
        }
        finally
        {
            if (attempt.Launches.Recorded.Count > 0) Procs.KillSession(attempt.Launch.ProcessGroup);
        }
    }

    [Fact]
    public async Task Runner_should_kill_background_processes_left_behind_after_a_normal_exit()
    {
        var attempt = NewAttempt();

        var result = await attempt.RunAsync("sleep 600 & sleep 600 & echo started");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(Procs.LiveInSession(attempt.Launch.ProcessGroup));
        Assert.Contains(attempt.Log.Records, r => r.Level == LogLevel.Warning && r.Message.StartsWith("killed 2 process(es)", StringComparison.Ordinal));
        Assert.Equal(["started"], attempt.Log.At(LogLevel.Information));
    }

    [Fact]
    public async Task Runner_should_also_kill_children_that_moved_to_other_process_groups_of_the_session()
    {
        var attempt = NewAttempt(killGracePeriod: TimeSpan.FromSeconds(1));
        using var cancel = new CancellationTokenSource();
        // bash's job control (`set -m`) gives every job a process group of its own, still in the session,
        // so SIGTERM to the launch's group does not reach them.
        var run = attempt.RunAsync("exec bash -c 'set -m; sleep 600 & echo \"moved $!\"; sleep 600'", cancel.Token);
        try
        {
            var logged = await attempt.Log.WhenLogged(m => m.StartsWith("moved ", StringComparison.Ordinal)).WaitAsync(Patience);
            var moved = int.Parse(logged["moved ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            var session = attempt.Launch.ProcessGroup;
            Assert.Equal(session, Procs.Read(moved)!.Session);
            Assert.NotEqual(session, Procs.Read(moved)!.Group);

            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Patience));

            Assert.False(Os.IsAlive(moved));
            Assert.Empty(Procs.LiveInSession(session));
        }
        finally
        {
            if (attempt.Launches.Recorded.Count > 0) Procs.KillSession(attempt.Launch.ProcessGroup);
        }
    }
}
