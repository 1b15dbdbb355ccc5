using Caiman.Actors.Protocol;

namespace Caiman.Host.Tests.Daemon;

/// <summary>
/// SIGKILL of the daemon in the middle of a checkpoint whose process would run for ten minutes:
/// the process's lifeline kills it with no caiman command run, and the socket is left behind. The
/// next daemon replaces the stale socket, recovers the run, and finishes it without running the
/// completed checkpoint again.
/// </summary>
public sealed class DaemonCrashRecoverySpec : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("caiman-daemon-crash-").FullName;

    [Fact]
    public async Task Daemon_sigkilled_should_leave_no_process_behind_and_finish_the_run_when_restarted()
    {
        // Given a daemon running a pipeline whose second checkpoint hangs
        var data = Path.Combine(_directory, "data");
        var pipeline = TestPipelines.Write(_directory, "crash.conf", $$"""
            pipeline {
              name = crash
              checkpoints = [
                { name = first, type = process, command = "echo ran >> first.count" }
                {{HangingCheckpoint.Entry()}}
                { name = last, type = process, command = "echo done" }
              ]
            }
            """);
        int orphan;
        IReadOnlyList<int> session;
        using (var daemon = await DaemonProcess.StartAsync(_directory, data))
        {
            await using var client = await daemon.ConnectAsync();
            await client.StartAsync("crash", pipeline, [], dryRun: false);
            orphan = await HangingCheckpoint.PidAsync(_directory, DaemonProcess.Patience);
            session = Os.LiveInSession(orphan);

            // When the daemon is killed outright
            daemon.Process.KillHard();
            await daemon.WaitExitAsync(DaemonProcess.Patience);
        }
        foreach (var pid in session) await Os.ExitedAsync(pid, CrashRecoverySpec.LifelineBound);
        var leftBehind = Os.LiveInSession(orphan);
        var socketLeftBehind = File.Exists(Path.Combine(data, "caiman.sock"));

        // ...and started again
        using var restarted = await DaemonProcess.StartAsync(_directory, data);
        await using var again = await restarted.ConnectAsync();
        var stopped = await again.WaitAsync("crash", _ => { }, new CancellationTokenSource(DaemonProcess.Patience).Token);

        // Then
        Assert.True(session.Count >= 2, $"the hanging process and its lifeline watcher share a session: {string.Join(", ", session)}");
        Assert.Empty(leftBehind);
        Assert.True(socketLeftBehind, "a SIGKILLed daemon leaves its socket: without that the stale socket is not tested");
        Assert.True(stopped.Phase == RunPhase.Completed, $"run {stopped.Phase}\n{restarted.Process.Stdout}\n{restarted.Process.Stderr}");
        Assert.Equal("dead", File.ReadAllText(Path.Combine(_directory, "orphan.state")).Trim());
        Assert.False(Os.IsAlive(orphan));
        Assert.Single(File.ReadAllLines(Path.Combine(_directory, "first.count")));
        Assert.Equal(1, stopped.Checkpoints.Single(c => c.Name == "first").Attempts);
        Assert.Equal(2, stopped.Checkpoints.Single(c => c.Name == "hang").Attempts);
        Assert.Matches(@"recovered 1 runs from the journal: 1 going on \(crash\)", restarted.Process.Stdout);
    }

    public void Dispose()
    {
        HangingCheckpoint.Kill(_directory);
        Directory.Delete(_directory, recursive: true);
    }
}
