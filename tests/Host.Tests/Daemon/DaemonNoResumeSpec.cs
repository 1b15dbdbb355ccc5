using Caiman.Actors.Protocol;

namespace Caiman.Host.Tests.Daemon;

/// <summary>
/// `caiman daemon --no-resume` after a crash: the interrupted run is recovered paused (its orphan
/// killed all the same) and waits for a resume, which finishes it.
/// </summary>
public sealed class DaemonNoResumeSpec : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("caiman-daemon-hold-").FullName;

    [Fact]
    public async Task Daemon_with_no_resume_should_recover_an_interrupted_run_paused_until_it_is_resumed()
    {
        // Given a run interrupted by a crash of its daemon
        var data = Path.Combine(_directory, "data");
        var pipeline = TestPipelines.Write(_directory, "hold.conf", $$"""
            pipeline {
              name = hold
              checkpoints = [
                {{HangingCheckpoint.Entry()}}
              ]
            }
            """);
        int orphan;
        using (var daemon = await DaemonProcess.StartAsync(_directory, data))
        {
            await using var client = await daemon.ConnectAsync();
            await client.StartAsync("hold", pipeline, [], dryRun: false);
            orphan = await HangingCheckpoint.PidAsync(_directory, DaemonProcess.Patience);
            daemon.Process.KillHard();
            await daemon.WaitExitAsync(DaemonProcess.Patience);
        }

        // When a daemon starts with --no-resume
        using var restarted = await DaemonProcess.StartAsync(_directory, data, "--no-resume");
        await using var again = await restarted.ConnectAsync();
        var recovered = await again.StatusAsync("hold");
        await Os.ExitedAsync(orphan, DaemonProcess.Patience);

        // Then it waits, paused, until resumed
        Assert.Equal(RunPhase.Paused, recovered.Phase);
        Assert.Equal(1, recovered.Checkpoints.Single().Attempts);
        Assert.Contains("--no-resume", restarted.Process.Stdout);
        await again.ResumeAsync("hold", null, []);
        var stopped = await again.WaitAsync("hold", _ => { }, new CancellationTokenSource(DaemonProcess.Patience).Token);
        Assert.Equal(RunPhase.Completed, stopped.Phase);
        Assert.Equal(2, stopped.Checkpoints.Single().Attempts);
    }

    public void Dispose()
    {
        HangingCheckpoint.Kill(_directory);
        Directory.Delete(_directory, recursive: true);
    }
}
