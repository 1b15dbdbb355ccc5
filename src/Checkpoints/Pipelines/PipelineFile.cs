using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Caiman.Checkpoints.Pipelines;

/// <summary>
/// Reads a pipeline file's text, at most a given number of bytes of it, and only from a regular
/// file: a FIFO blocks the reader until something writes to it, and a device such as /dev/zero
/// never ends. The type is checked before the file is opened, and again on the open descriptor
/// (opened non-blocking, so a file swapped for a FIFO in between cannot block either).
/// Linux only, as the engine is (statx has one layout on every architecture).
/// </summary>
internal static class PipelineFile
{
    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int ORdOnly = 0;
    private const int ONoCtty = 0x100;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;

    private const int FileTypeMask = 0xF000;
    private const int RegularFile = 0x8000;

    private const int ENoEnt = 2;
    private const int EAccess = 13;
    private const int ENotDir = 20;

    /// <summary>The file's text (a byte-order mark picks UTF-16 or UTF-32; UTF-8 otherwise), or why it cannot be had.</summary>
    public static bool TryRead(string path, int maxBytes, out string text, out string problem)
    {
        text = "";
        if (path.Length == 0)
        {
            problem = "the path is empty";
            return false;
        }
        if (path.Contains('\0'))
        {
            problem = "the path contains a NUL character";
            return false;
        }

        // Before opening: a FIFO or a device is refused without being opened at all.
        if (Stat(AtFdCwd, path, 0) is { } before)
        {
            if (before.Errno != 0)
            {
                problem = Describe(before.Errno, path);
                return false;
            }
            if (TypeProblem(before.Mode) is { } typeProblem)
            {
                problem = typeProblem;
                return false;
            }
            if (before.Size > (ulong)maxBytes)
            {
                problem = TooLarge(before.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), maxBytes);
                return false;
            }
        }

        var fd = Open(path, ORdOnly | ONonBlock | OCloExec | ONoCtty);
        if (fd < 0)
        {
            problem = Describe(Marshal.GetLastPInvokeError(), path);
            return false;
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Stat(fd, "", AtEmptyPath) is { Errno: 0 } after && TypeProblem(after.Mode) is { } changed)
        {
            problem = changed;
            return false;
        }

        try
        {
            var buffer = new byte[Math.Min(16 * 1024, maxBytes + 1)];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length > maxBytes)
                    {
                        problem = TooLarge($"more than {maxBytes}", maxBytes);
                        return false;
                    }
                    Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxBytes + 1L));
                }
                var read = RandomAccess.Read(handle, buffer.AsSpan(length), length);
                if (read == 0)
                    break;
                length += read;
            }
            using var reader = new StreamReader(new MemoryStream(buffer, 0, length), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            text = reader.ReadToEnd();
            problem = "";
            return true;
        }
        catch (IOException e)
        {
            problem = e.Message;
            return false;
        }
        catch (NotSupportedException)
        {
            // Only when statx was missing: a descriptor that cannot be read at an offset is no regular file.
            problem = "it is not a regular file";
            return false;
        }
    }

    private static string TooLarge(string size, int maxBytes) =>
        $"it is {size} bytes long; a pipeline file may be at most {maxBytes / (1024 * 1024)} MiB ({maxBytes} bytes)";

    private static string? TypeProblem(int mode) => (mode & FileTypeMask) switch
    {
        RegularFile => null,
        0x4000 => "it is a directory",
        0x1000 => "it is a named pipe (FIFO), not a regular file",
        0x2000 => "it is a character device, not a regular file",
        0x6000 => "it is a block device, not a regular file",
        0xC000 => "it is a socket, not a regular file",
        _ => "it is not a regular file",
    };

    private static string Describe(int errno, string path) => errno switch
    {
        ENoEnt => Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(path)) is { Length: > 0 } directory ? directory : ".")
            ? "the file does not exist"
            : "its directory does not exist",
        EAccess => "permission denied",
        ENotDir => "a part of its path is not a directory",
        _ => Marshal.GetPInvokeErrorMessage(errno),
    };

    // The type, size and errno of a path (or, with AT_EMPTY_PATH, of a descriptor); null when this libc has no statx.
    private static (int Errno, int Mode, ulong Size)? Stat(int directory, string path, int flags)
    {
        try
        {
            return SysStatx(directory, path, flags, StatxType | StatxSize, out var buffer) == 0
                ? (0, buffer.Mode, buffer.Size)
                : (Marshal.GetLastPInvokeError(), 0, 0);
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The part of <c>struct statx</c> read here; the kernel writes all 256 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int SysStatx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, out StatxBuffer buffer);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
}
