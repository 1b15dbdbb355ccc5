using System.Runtime.InteropServices;

namespace Caiman.Doc.Persistence;

/// <summary>
/// The few system calls the preflight needs for their errno: .NET folds EACCES, EPERM and EROFS
/// into one UnauthorizedAccessException, and those are exactly the faults it must tell apart.
/// </summary>
internal static class Posix
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int EISDIR = 21;
    public const int ENOSPC = 28;
    public const int EROFS = 30;

    private const int ORdOnly = 0;
    private const int ORdWr = 2;
    private const int OCloExec = 0x80000;
    private const int ROk = 4;
    private const int WOk = 2;
    private const int XOk = 1;
    private const ulong StRdOnly = 1;

    /// <summary>0 if the file opens for reading (and writing, if asked), else the errno.</summary>
    public static int TryOpen(string path, bool write)
    {
        var fd = Open(path, (write ? ORdWr : ORdOnly) | OCloExec);
        if (fd < 0) return Marshal.GetLastPInvokeError();
        Close(fd);
        return 0;
    }

    /// <summary>0 if this process may create and remove files in the directory, else the errno (access(2) with the effective ids).</summary>
    public static int CanWriteDirectory(string path) => Access(path, WOk | XOk) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>0 if this process may read the file, else the errno.</summary>
    public static int CanRead(string path) => Access(path, ROk) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>The bytes this user may still write on the file system holding the path, and whether it is mounted read-only; null if statvfs failed.</summary>
    public static (long FreeBytes, bool ReadOnly)? Space(string path)
    {
        if (StatVfs(path, out var s) != 0) return null;
        // Root may use the blocks reserved for it; anyone else only the available ones.
        var blocks = GetEUid() == 0 ? s.Bfree : s.Bavail;
        return ((long)Math.Min(blocks * s.Frsize, long.MaxValue), (s.Flag & StRdOnly) != 0);
    }

    /// <summary>The system's text for an errno, lower case as in a sentence: "no space left on device".</summary>
    public static string Describe(int errno)
    {
        var text = Marshal.GetPInvokeErrorMessage(errno);
        return text.Length > 0 ? char.ToLowerInvariant(text[0]) + text[1..] : $"errno {errno}";
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfsBuffer
    {
        public ulong Bsize;
        public ulong Frsize;
        public ulong Blocks;
        public ulong Bfree;
        public ulong Bavail;
        public ulong Files;
        public ulong Ffree;
        public ulong Favail;
        public ulong Fsid;
        public ulong Flag;
        public ulong Namemax;
        private readonly int _spare0, _spare1, _spare2, _spare3, _spare4, _spare5;
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "access", SetLastError = true)]
    private static extern int Access(string path, int mode);

    [DllImport("libc", EntryPoint = "statvfs", SetLastError = true)]
    private static extern int StatVfs(string path, out StatVfsBuffer buffer);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEUid();
}
