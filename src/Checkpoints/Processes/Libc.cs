using System.Runtime.InteropServices;

namespace Caiman.Checkpoints.Processes;

/// <summary>
/// The few libc calls .NET does not wrap: a signal to a whole process group, and a look at a
/// child's exit status that leaves the child for .NET to reap. Linux only (the siginfo layout).
/// </summary>
/// <remarks>
/// DllImport rather than LibraryImport: the generator needs unsafe code enabled in the project,
/// and both calls take only blittable arguments, so the runtime marshalling costs nothing.
/// </remarks>
internal static class Libc
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private const int EIntr = 4;
    private const int PPid = 1;
    private const int PPidFd = 3;
    private const int WExited = 4;
    private const int WNoWait = 0x01000000;
    private const int CldExited = 1;
    private const int CldKilled = 2;
    private const int CldDumped = 3;
    private const long PidFdOpen = 434; // the same number on every architecture (added in Linux 5.3)
    private const ulong PidFdInfoExit = 1 << 3;
    private const ulong PidFdGetInfo = 0xC040FF0B; // _IOWR(0xFF, 11, 64-byte struct pidfd_info)

    /// <summary>Sends a signal to one process; false when there is no such process (or it may not be signalled).</summary>
    public static bool Kill(int pid, int signal) => pid > 0 && SysKill(pid, signal) == 0;

    /// <summary>Sends a signal to every process of a group; false when the group is empty.</summary>
    public static bool KillGroup(int processGroup, int signal) => processGroup > 1 && SysKill(-processGroup, signal) == 0;

    /// <summary>
    /// Blocks until the child exits and returns how, without reaping it (WNOWAIT), so .NET's own
    /// SIGCHLD handling still reaps it and completes its <c>Process</c>. Null when .NET reaped it
    /// first (ECHILD): the status is then known only as .NET's 128+n exit code.
    /// </summary>
    /// <param name="pid">A child of this process.</param>
    /// <param name="pidfd">A pidfd for it (Linux 5.4+ can wait on one), or -1.</param>
    /// <param name="waiting">Called just before each wait: the caller lets the child go only once the watch is in place.</param>
    public static ChildExit? WaitForExitWithoutReaping(int pid, int pidfd, Action waiting)
    {
        if (!Environment.Is64BitProcess) return null;
        while (true)
        {
            var info = default(SigInfo);
            waiting();
            // By pidfd when there is one: it cannot come to name another process after .NET reaps this one.
            var waited = pidfd >= 0 ? SysWaitId(PPidFd, pidfd, ref info, WExited | WNoWait) : SysWaitId(PPid, pid, ref info, WExited | WNoWait);
            if (waited == 0)
            {
                if (info.Pid != pid) return null;
                return info.Code switch
                {
                    CldExited => new ChildExit(info.Status, null),
                    CldKilled or CldDumped => new ChildExit(128 + info.Status, info.Status),
                    _ => null,
                };
            }
            if (Marshal.GetLastPInvokeError() != EIntr) return null;
        }
    }

    /// <summary>A pidfd for a live child (Linux 5.3+), or -1. It keeps the child's exit status readable after .NET reaps it.</summary>
    public static int OpenPidFd(int pid)
    {
        try
        {
            return (int)SysCall(PidFdOpen, pid, 0);
        }
        catch (EntryPointNotFoundException)
        {
            return -1;
        }
    }

    /// <summary>
    /// The exit status a pidfd remembers once its process has been reaped (PIDFD_GET_INFO with
    /// PIDFD_INFO_EXIT, Linux 6.15+). Null on older kernels or while the process is not yet reaped.
    /// </summary>
    public static ChildExit? ReadPidFdExit(int pidfd)
    {
        if (pidfd < 0) return null;
        var info = new PidFdInfo { Mask = PidFdInfoExit };
        if (SysIoctl(pidfd, PidFdGetInfo, ref info) != 0 || (info.Mask & PidFdInfoExit) == 0) return null;
        var status = info.ExitCode;
        var signal = status & 0x7f;
        return signal switch
        {
            0 => new ChildExit((status >> 8) & 0xff, null),
            0x7f => null, // stopped, not ended
            _ => new ChildExit(128 + signal, signal),
        };
    }

    public static void Close(int fd)
    {
        if (fd >= 0) SysClose(fd);
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long SysCall(long number, long first, long second);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int SysIoctl(int fd, ulong request, ref PidFdInfo info);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int SysClose(int fd);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    [DllImport("libc", EntryPoint = "waitid", SetLastError = true)]
    private static extern int SysWaitId(int idType, int id, ref SigInfo info, int options);

    /// <summary>struct pidfd_info in its first published size (64 bytes); exit_code took the spare field at offset 60 in Linux 6.15.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    private struct PidFdInfo
    {
        [FieldOffset(0)] public ulong Mask;
        [FieldOffset(60)] public int ExitCode;
    }

    /// <summary>The part of siginfo_t a SIGCHLD fills, at its offsets on 64-bit Linux (x86-64 and arm64 alike).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct SigInfo
    {
        [FieldOffset(8)] public int Code;
        [FieldOffset(16)] public int Pid;
        [FieldOffset(24)] public int Status;
    }
}

/// <summary>How a child ended: its exit code (128+n when killed by signal n, as .NET reports it) and the signal, if one killed it.</summary>
internal sealed record ChildExit(int ExitCode, int? Signal);
