using System.Diagnostics;
using Caiman.Actors.Protocol;
using Caiman.Host.Control;

namespace Caiman.Host.Tests.Daemon;

/// <summary>
/// SIGTERM of the daemon during a run (as systemd stops it): the daemon interrupts what cannot
/// finish in time, kills its processes, exits 0 within its stop timeout and leaves nothing
/// running; the next daemon goes on with the run and completes it.
/// </summary>
public sealed class DaemonShutdownSpec : IDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(8);
    private readonly string _directory = Directory.CreateTempSubdirectory("caiman-daemon-stop-").FullName;

    [Fact]
    public async Task Daemon_should_stop_on_sigterm_within_its_stop_timeout_and_go_on_with_the_run_after_a_restart()
    {
        // Given a daemon running a checkpoint that would take ten minutes, followed by a client
        var data = Path.Combine(_directory, "data");
        var pipeline = TestPipelines.Write(_directory, "stop.conf", $$"""
            pipeline {
              name = stop
              checkpoints = [
                {{HangingCheckpoint.Entry()}}
                { name = last, type = process, command = "echo done" }
              ]
            }
            """);
        using var daemon = await DaemonProcess.StartAsync(_directory, data, "--stop-timeout", $"{StopTimeout.TotalSeconds}s");
        await using var follower = await daemon.ConnectAsync();
        await follower.StartAsync("stop", pipeline, [], dryRun: false);
        var following = follower.WaitAsync("stop", _ => { }, CancellationToken.None);
        var hang = await HangingCheckpoint.PidAsync(_directory, DaemonProcess.Patience);

        // When
        var clock = Stopwatch.StartNew();
        daemon.Terminate();
        var code = await daemon.WaitExitAsync(DaemonProcess.Patience);
        var took = clock.Elapsed;

        // Then it stopped in time, cleanly, and left nothing running
        Assert.True(code == 0, $"exit {code}\n{daemon.Process.Stdout}\n{daemon.Process.Stderr}");
        Assert.True(took < StopTimeout, $"took {took}, more than the stop timeout {StopTimeout}");
        Assert.False(Os.IsAlive(hang), "the interrupted checkpoint's process outlived the daemon");
        Assert.False(File.Exists(daemon.Socket), "the socket outlived the daemon");
        Assert.Contains("interrupted by a shutdown", daemon.Process.Stdout);
        await Assert.ThrowsAsync<DaemonException>(() => following);

        // When it is started again, Then the run goes on to completion
        using var restarted = await DaemonProcess.StartAsync(_directory, data);
        await using var again = await restarted.ConnectAsync();
        var stopped = await again.WaitAsync("stop", _ => { }, new CancellationTokenSource(DaemonProcess.Patience).Token);
        Assert.True(stopped.Phase == RunPhase.Completed, $"run {stopped.Phase}\n{restarted.Process.Stdout}\n{restarted.Process.Stderr}");
        Assert.Equal(2, stopped.Checkpoints.Single(c => c.Name == "hang").Attempts);
        Assert.Equal("dead", File.ReadAllText(Path.Combine(_directory, "orphan.state")).Trim());
    }

    public void Dispose()
    {
        HangingCheckpoint.Kill(_directory);
        Directory.Delete(_directory, recursive: true);
    }
}
