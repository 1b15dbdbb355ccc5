using System.Diagnostics;
using Caiman.Checkpoints.Processes;

namespace Caiman.Checkpoints.Tests.Processes;

/// <summary>After a crash, what a recorded launch left running is found and killed, and nothing else is.</summary>
public sealed class ProcessReaperSpec : IDisposable
{
    private readonly List<Process> _started = [];

    /// <summary>
    /// Starts a command in a session of its own, as the runner does, and leaves it running as a
    /// crashed engine would; waits until it says "ready".
    /// </summary>
    private async Task<(ProcessLaunch Launch, Process Process)> Orphan(string commandLine)
    {
        var info = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var argument in (string[])["/bin/sh", "-c", commandLine]) info.ArgumentList.Add(argument);
        var process = Process.Start(info)!;
        _started.Add(process);
        Assert.Equal("ready", await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        var stat = Procs.Read(process.Id)!;
        Assert.Equal(process.Id, stat.Session);
        return (new ProcessLaunch(process.Id, process.Id, stat.StartTime, commandLine), process);
    }

    [Fact]
    public async Task Reaper_should_kill_every_process_of_a_crashed_engines_launch()
    {
        var (launch, _) = await Orphan("sleep 600 & sleep 600 & echo ready; wait");
        Assert.Equal(3, Procs.LiveInSession(launch.ProcessGroup).Count);
        Assert.True(ProcessReaper.IsAlive(launch));

        var members = Procs.LiveInSession(launch.ProcessGroup).Select(p => p.Pid).ToList();
        var killed = ProcessReaper.KillOrphans(launch);

        Assert.Equal(3, killed);
        foreach (var pid in members) await Os.ExitedAsync(pid, TimeSpan.FromSeconds(20));
        Assert.Empty(Procs.LiveInSession(launch.ProcessGroup));
        Assert.False(ProcessReaper.IsAlive(launch));
        Assert.Equal(0, ProcessReaper.KillOrphans(launch));
    }

    [Fact]
    public async Task Supervisor_should_say_once_everything_of_the_launches_is_dead()
    {
        var (launch, _) = await Orphan("sleep 600 & echo ready; wait");
        using var system = Akka.Actor.ActorSystem.Create("reaper", CheckpointsConfig.Default());

        var gone = await ProcessHost.For(system).ReapAsync([launch], TimeSpan.FromSeconds(20));

        Assert.True(gone);
        Assert.Empty(Procs.LiveInSession(launch.ProcessGroup));
        Assert.False(ProcessReaper.IsAlive(launch));
    }

    [Theory]
    [InlineData(-100)]
    [InlineData(+100)]
    public async Task Reaper_should_leave_alone_a_process_that_holds_the_pid_with_another_start_time(int ticks)
    {
        // The launch was recorded for an earlier or a later process given the same pid: not this one.
        var (real, process) = await Orphan("echo ready; exec sleep 600");
        var launch = real with { StartTime = real.StartTime + ticks };

        var killed = ProcessReaper.KillOrphans(launch);
        var alive = ProcessReaper.IsAlive(launch);

        Assert.Equal(0, killed);
        Assert.False(alive);
        Assert.True(Os.IsAlive(process.Id));
    }

    [Fact]
    public async Task Reaper_should_leave_alone_the_processes_of_a_launch_from_another_boot()
    {
        var (real, process) = await Orphan("echo ready; exec sleep 600");
        var launch = real with { BootId = Guid.NewGuid().ToString() };

        var killed = ProcessReaper.KillOrphans(launch);

        Assert.Equal(0, killed);
        Assert.False(ProcessReaper.IsAlive(launch));
        Assert.True(Os.IsAlive(process.Id));
    }

    [Fact]
    public async Task Reaper_should_kill_what_is_left_of_a_session_whose_leader_is_gone()
    {
        var (launch, process) = await Orphan("sleep 600 & echo ready; read -r _");
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Single(Procs.LiveInSession(launch.ProcessGroup));
        Assert.True(ProcessReaper.IsAlive(launch));

        var sleeper = Assert.Single(Procs.LiveInSession(launch.ProcessGroup)).Pid;
        var killed = ProcessReaper.KillOrphans(launch);

        Assert.Equal(1, killed);
        await Os.ExitedAsync(sleeper, TimeSpan.FromSeconds(20));
        Assert.False(ProcessReaper.IsAlive(launch));
    }

    public void Dispose()
    {
        foreach (var process in _started)
        {
            Procs.KillSession(process.Id);
            process.Dispose();
        }
    }
}
