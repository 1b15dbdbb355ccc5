using System.Runtime.InteropServices;

namespace Caiman.Tests.Shared;

/// <summary>
/// Waits on operating-system events (a file appearing, a process exiting) rather than polling,
/// so a loaded machine only makes them slower, never wrong.
/// </summary>
public static class Os
{
    /// <summary>Whether a process with this pid exists and is not a zombie (some containers' pid 1 never reaps them).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The live processes whose environment has <paramref name="name"/>=<paramref name="value"/> (the engine marks its processes with CAIMAN_RUN_ID).</summary>
    public static IReadOnlyList<int> WithEnvironment(string name, string value)
    {
        var wanted = System.Text.Encoding.UTF8.GetBytes($"{name}={value}\0");
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || !IsAlive(pid)) continue;
            byte[] environment;
            try
            {
                environment = File.ReadAllBytes($"{entry}/environ");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (environment.AsSpan().IndexOf(wanted) >= 0 || environment.AsSpan().StartsWith(wanted.AsSpan()[..^1]) && environment.Length == wanted.Length - 1) found.Add(pid);
        }
        return found;
    }

    /// <summary>The live (non-zombie) processes whose session id is <paramref name="session"/>.</summary>
    public static IReadOnlyList<int> LiveInSession(int session)
    {
        var members = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText($"{entry}/stat");
            }
            catch (IOException)
            {
                continue;
            }
            // Fields after the last ')': state, ppid, group, session.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] is not ("Z" or "X") && fields[3] == session.ToString(System.Globalization.CultureInfo.InvariantCulture)) members.Add(pid);
        }
        return members;
    }

    /// <summary>
    /// Completes when the file exists (inotify through FileSystemWatcher). Writers should create it
    /// by renaming a finished temporary file, so that it appears whole.
    /// </summary>
    public static async Task FileAppearsAsync(string path, TimeSpan timeout)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var name = Path.GetFileName(path);
        var appeared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(directory, name) { EnableRaisingEvents = true };
        watcher.Created += (_, _) => appeared.TrySetResult();
        watcher.Renamed += (_, e) => { if (e.Name == name) appeared.TrySetResult(); };
        if (File.Exists(path)) return; // checked after the watch began, so nothing is missed in between
        try
        {
            await appeared.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{path} did not appear within {timeout}");
        }
    }

    /// <summary>Completes when the process exits (it may stay a zombie): a pidfd turns readable then.</summary>
    public static async Task ExitedAsync(int pid, TimeSpan timeout)
    {
        var fd = PidfdOpen(pid, 0);
        if (fd < 0) return; // no such process: it is gone already
        try
        {
            var exited = await Task.Run(() =>
            {
                var poll = new PollFd { Fd = fd, Events = PollIn };
                return Poll(ref poll, 1, (int)timeout.TotalMilliseconds) > 0;
            });
            if (!exited) throw new TimeoutException($"process {pid} did not exit within {timeout}");
        }
        finally
        {
            Close(fd);
        }
    }

    private const short PollIn = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern int Syscall(long number, int pid, uint flags);

    // pidfd_open is system call 434 on both x86-64 and arm64.
    private static int PidfdOpen(int pid, uint flags) => Syscall(434, pid, flags);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll(ref PollFd fds, uint count, int timeoutMs);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
