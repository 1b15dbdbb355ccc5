using System.Globalization;

namespace Caiman.Checkpoints.Processes;

/// <summary>One process as <c>/proc/&lt;pid&gt;/stat</c> shows it: the fields needed to find a launch's processes.</summary>
internal readonly record struct ProcStat(int Pid, char State, int ProcessGroup, int Session, long StartTime)
{
    /// <summary>A zombie (or a dying task) is dead: it runs nothing and cannot be signalled away, only reaped.</summary>
    public bool IsDead => State is 'Z' or 'X' or 'x';
}

/// <summary>Reads process facts from Linux's <c>/proc</c>.</summary>
internal static class ProcFs
{
    private const string Root = "/proc";

    /// <summary>The process, or null when it is gone (or /proc does not show it).</summary>
    public static ProcStat? Read(int pid)
    {
        try
        {
            return Parse(pid, File.ReadAllText($"{Root}/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone between the listing and the read, or never there.
            return null;
        }
    }

    /// <summary>Every process visible now.</summary>
    public static IEnumerable<ProcStat> All()
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories(Root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var entry in entries)
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (Read(pid) is { } stat) yield return stat;
        }
    }

    /// <summary>This boot's id; start times count from boot, so they compare only within one boot.</summary>
    public static string? BootId()
    {
        try
        {
            return File.ReadAllText($"{Root}/sys/kernel/random/boot_id").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>This machine's id (systemd's <c>/etc/machine-id</c>, else D-Bus's copy), or null.</summary>
    public static string? MachineId() => MachineIdValue.Value;

    private static readonly Lazy<string?> MachineIdValue = new(() =>
    {
        foreach (var file in (string[])["/etc/machine-id", "/var/lib/dbus/machine-id"])
        {
            try
            {
                var id = File.ReadAllText(file).Trim();
                if (id.Length > 0) return id;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return null;
    });

    /// <summary>
    /// Parses a stat line. Field 2 is <c>(comm)</c>, which may itself hold spaces and parentheses,
    /// so the fields are counted from after the last <c>)</c>: state is field 3, the process group
    /// field 5, the session field 6 and the start time (clock ticks since boot) field 22.
    /// </summary>
    public static ProcStat? Parse(int pid, string stat)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0) return null;
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        const int first = 3;
        if (fields.Length <= 22 - first || fields[0].Length != 1) return null;
        return int.TryParse(fields[5 - first], NumberStyles.Integer, CultureInfo.InvariantCulture, out var group)
            && int.TryParse(fields[6 - first], NumberStyles.Integer, CultureInfo.InvariantCulture, out var session)
            && long.TryParse(fields[22 - first], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start)
            ? new ProcStat(pid, fields[0][0], group, session, start)
            : null;
    }
}
