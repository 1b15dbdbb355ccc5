using System.Globalization;
using System.Runtime.InteropServices;

namespace Caiman.Engine.Bench;

/// <summary>One process as <c>/proc/&lt;pid&gt;/stat</c> shows it.</summary>
internal readonly record struct Proc(int Pid, string Command, char State, int Session)
{
    /// <summary>A zombie runs nothing: it only waits to be reaped by its parent (or by init, which may never do it here).</summary>
    public bool IsLive => State is not ('Z' or 'X' or 'x');
}

/// <summary>Reads Linux's <c>/proc</c> and sends signals: how the bench sees process trees without asking the engine.</summary>
internal static class Procs
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    public static Proc? Read(int pid)
    {
        try
        {
            return Parse(pid, File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Field 2 is <c>(comm)</c>, which may hold spaces, so the rest is counted from the last <c>)</c>: state is field 3, session field 6.</summary>
    private static Proc? Parse(int pid, string stat)
    {
        var open = stat.IndexOf('(');
        var close = stat.LastIndexOf(')');
        if (open < 0 || close < open) return null;
        var fields = stat[(close + 2)..].Split(' ', 5);
        return fields.Length >= 4 && int.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var session)
            ? new Proc(pid, stat[(open + 1)..close], fields[0][0], session)
            : null;
    }

    public static IEnumerable<Proc> All()
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (Read(pid) is { } proc) yield return proc;
        }
    }

    /// <summary>The live processes of a session.</summary>
    public static List<Proc> LiveInSession(int session) => [.. All().Where(p => p.Session == session && p.IsLive)];

    /// <summary>Whether the process still runs in the session (a pid reused by another session does not count).</summary>
    public static bool StillLive(int pid, int session) => Read(pid) is { IsLive: true } p && p.Session == session;

    /// <summary>
    /// Polls until none of the known processes runs any more and a full scan finds no live
    /// process left in the session; returns the Stopwatch timestamp at which that was first seen.
    /// Checks every millisecond or so (the sleep's granularity), so as not to take a core from the engine.
    /// </summary>
    public static long WaitUntilSessionGone(IReadOnlyList<int> pids, int session, TimeSpan timeout)
    {
        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (true)
        {
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (pids.All(p => !StillLive(p, session)) && LiveInSession(session).Count == 0) return now;
            if (now > deadline) throw new TimeoutException($"session {session} still has live processes after {timeout.TotalSeconds:N0} s: {string.Join(", ", LiveInSession(session).Select(p => $"{p.Pid} ({p.Command})"))}");
            Thread.Sleep(1);
        }
    }

    public static bool KillGroup(int group, int signal) => group > 1 && SysKill(-group, signal) == 0;

    // DllImport, as in the engine's own Libc: blittable arguments only, and no unsafe code needed.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
}
