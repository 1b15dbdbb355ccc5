using Caiman.Actors.Protocol;

namespace Caiman.Host.Tests.Daemon;

/// <summary>
/// SIGKILL of the daemon in the middle of a checkpoint whose process would run for ten minutes:
/// the process is orphaned and the socket left behind. The next daemon replaces the stale socket,
/// recovers the run, kills the orphan before the retry, and finishes the run without running the
/// completed checkpoint again.
/// </summary>
public sealed class DaemonCrashRecoverySpec : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("caiman-daemon-crash-").FullName;

    [Fact]
    public async Task Daemon_restarted_after_a_sigkill_should_kill_the_orphan_and_finish_the_run()
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
        using (var daemon = await DaemonProcess.StartAsync(_directory, data))
        {
            await using var client = await daemon.ConnectAsync();
            await client.StartAsync("crash", pipeline, [], dryRun: false);
            orphan = await HangingCheckpoint.PidAsync(_directory, DaemonProcess.Patience);

            // When the daemon is killed outright
            daemon.Process.KillHard();
            await daemon.WaitExitAsync(DaemonProcess.Patience);
        }
        var orphanOutlivedTheCrash = Os.IsAlive(orphan);
        var socketLeftBehind = File.Exists(Path.Combine(data, "caiman.sock"));

        // ...and started again
        using var restarted = await DaemonProcess.StartAsync(_directory, data);
        await using var again = await restarted.ConnectAsync();
        var stopped = await again.WaitAsync("crash", _ => { }, new CancellationTokenSource(DaemonProcess.Patience).Token);

        // Then
        Assert.True(orphanOutlivedTheCrash, "a SIGKILLed parent leaves its process running: without that this test proves nothing");
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
