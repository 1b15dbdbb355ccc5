using Caiman.Checkpoints.Processes;
using Xunit.Abstractions;

namespace Caiman.Checkpoints.Tests.Processes;

/// <summary>A launch is recorded before the process does anything, in a session of its own.</summary>
public sealed class ProcessLaunchSpec(ITestOutputHelper output) : ProcessTestBase(output)
{
    private string Marker => Path.Combine(WorkDirectory, "marker");

    [Fact]
    public async Task Runner_should_record_the_launch_before_the_process_runs()
    {
        var seen = new List<string>();
        var attempt = NewAttempt(onRecord: launch =>
        {
            // While the launch is being recorded the process exists, leads its own session, and has done nothing.
            var stat = Procs.Read(launch.Pid);
            seen.Add(stat is { IsLive: true } ? "alive" : "not alive");
            seen.Add(stat?.Session == launch.Pid && stat.Group == launch.Pid ? "own session" : "shared session");
            seen.Add(stat?.StartTime == launch.StartTime ? "start time" : "other start time");
            seen.Add(File.Exists(Marker) ? "marker written" : "no marker yet");
            return Task.CompletedTask;
        });

        var result = await attempt.RunAsync("touch marker");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["alive", "own session", "start time", "no marker yet"], seen);
        Assert.True(File.Exists(Marker));
        var launch = attempt.Launch;
        Assert.Equal(launch.Pid, launch.ProcessGroup);
        Assert.Equal("touch marker", launch.Command);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), launch.BootId);
    }

    [Fact]
    public async Task Runner_should_kill_the_process_and_rethrow_when_the_launch_cannot_be_recorded()
    {
        var pid = 0;
        var attempt = NewAttempt(onRecord: launch =>
        {
            pid = launch.Pid;
            throw new IOException("journal unavailable");
        });

        var thrown = await Assert.ThrowsAsync<IOException>(() => attempt.RunAsync("touch marker"));

        Assert.Equal("journal unavailable", thrown.Message);
        Assert.NotEqual(0, pid);
        Assert.Empty(Procs.LiveInSession(pid));
        Assert.False(File.Exists(Marker));
    }

    [Fact]
    public async Task Runner_should_not_run_the_process_when_cancelled_while_the_launch_is_recorded()
    {
        using var cancel = new CancellationTokenSource();
        var pid = 0;
        var attempt = NewAttempt(onRecord: launch =>
        {
            pid = launch.Pid;
            cancel.Cancel();
            return Task.CompletedTask;
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attempt.RunAsync("touch marker", cancel.Token));

        Assert.Empty(Procs.LiveInSession(pid));
        Assert.False(File.Exists(Marker));
    }

    [Fact]
    public async Task Runner_should_start_nothing_when_cancelled_before_it_starts()
    {
        var attempt = NewAttempt();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attempt.RunAsync("touch marker", new CancellationToken(canceled: true)));

        Assert.Empty(attempt.Launches.Recorded);
        Assert.False(File.Exists(Marker));
    }

    [Fact]
    public async Task Runner_should_run_each_process_in_a_new_session()
    {
        var attempt = NewAttempt();

        await attempt.RunAsync(ProcessSpec.Argv("true"));
        await attempt.RunAsync(ProcessSpec.Argv("true"));

        Assert.Equal(2, attempt.Launches.Recorded.Count);
        Assert.NotEqual(attempt.Launches.Recorded[0].ProcessGroup, attempt.Launches.Recorded[1].ProcessGroup);
        Assert.All(attempt.Launches.Recorded, l => Assert.NotEqual(Environment.ProcessId, l.Pid));
    }
}
