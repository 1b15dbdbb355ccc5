namespace Caiman.Checkpoints.Processes;

/// <summary>
/// Finds and kills what a recorded launch left running, e.g. after the engine that started it
/// crashed. The node's process supervisor (<see cref="ProcessHost"/>) calls it on the engine's behalf, on
/// its own dispatcher. Linux only (it reads <c>/proc</c>).
/// </summary>
/// <remarks>
/// A launch's processes are those whose session id or process group is the launch's group and
/// that started no earlier than the launch. Pid reuse cannot fool it: Linux does not hand out a
/// pid while a session or group of that number still has members, so when the recorded pid is
/// alive with another start time, the launch's session is already empty and nothing is touched.
/// Start times count from boot, so a launch recorded in an earlier boot (see
/// <see cref="ProcessLaunch.BootId"/>) has nothing left and nothing is touched either.
/// A process that left the session on purpose (it called <c>setsid</c> itself) is out of reach.
/// A launch with a pid or group of 0 or 1 (which the runner never records) has nothing to kill.
/// </remarks>
public static class ProcessReaper
{
    // Bounds the scan-and-kill rounds; a SIGKILLed process cannot fork, so two rounds normally do.
    private const int MaxRounds = 20;

    /// <summary>SIGKILLs every process of the launch's session or group; returns how many were signalled.</summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public static int KillOrphans(ProcessLaunch launch) => KillOrphans(launch, except: 0);

    /// <summary>As <see cref="KillOrphans(ProcessLaunch)"/>, sparing one process (a session's own lifeline watcher).</summary>
    internal static int KillOrphans(ProcessLaunch launch, int except)
    {
        ArgumentNullException.ThrowIfNull(launch);
        EnsureSupported();
        return MayStillRun(launch) ? Signal(launch, Libc.SigKill, MaxRounds, except) : 0;
    }

    /// <summary>Whether the recorded process, or any process of its session or group, is still running.</summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public static bool IsAlive(ProcessLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        EnsureSupported();
        if (!MayStillRun(launch)) return false;
        return ProcFs.Read(launch.Pid) is { IsDead: false } recorded && recorded.StartTime == launch.StartTime
            || Members(launch).Any();
    }

    /// <summary>
    /// Sends the signal to every live process of the launch, scanning again for processes started
    /// meanwhile, up to <paramref name="rounds"/> scans; returns how many were signalled.
    /// </summary>
    internal static int Signal(ProcessLaunch launch, int signal, int rounds, int except = 0)
    {
        var tried = new HashSet<int>();
        var signalled = 0;
        for (var round = 0; round < rounds; round++)
        {
            var fresh = Members(launch, except).Where(p => tried.Add(p.Pid)).ToList();
            if (fresh.Count == 0) break;
            signalled += fresh.Count(p => Libc.Kill(p.Pid, signal));
        }
        return signalled;
    }

    /// <summary>The launch's live processes but <paramref name="except"/> (zombies are dead: they only wait to be reaped).</summary>
    internal static IEnumerable<ProcStat> Members(ProcessLaunch launch, int except = 0)
    {
        var self = Environment.ProcessId;
        return ProcFs.All().Where(p =>
            !p.IsDead
            && p.Pid != self
            && p.Pid != except
            && (p.Session == launch.ProcessGroup || p.ProcessGroup == launch.ProcessGroup)
            && p.StartTime >= launch.StartTime);
    }

    /// <summary>False when the launch's processes are known to be gone: another boot, or its pid reused.</summary>
    private static bool MayStillRun(ProcessLaunch launch)
    {
        // Group 0 or 1 would mean "every process" to kill(2) and to the scan; the runner never records one.
        if (launch.ProcessGroup <= 1 || launch.Pid <= 1) return false;
        if (launch.BootId is { } recordedBoot && ProcFs.BootId() is { } boot && recordedBoot != boot) return false;
        // Another machine's processes are not in this /proc: its own node reaps them.
        if (launch.Machine is { } recordedMachine && ProcFs.MachineId() is { } machine && recordedMachine != machine) return false;
        // The inference holds for the number that names the session and group: the leader's pid.
        if (launch.Pid != launch.ProcessGroup) return true;
        return ProcFs.Read(launch.Pid) is not { } holder || holder.StartTime == launch.StartTime;
    }

    private static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("finding a launch's processes needs Linux's /proc");
    }
}
