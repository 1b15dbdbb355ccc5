namespace Caiman.Host.Tests;

/// <summary>
/// The checkpoint <c>hang</c>: its first attempt records its pid in hang.pid (written whole, by a
/// rename) and sleeps for ten minutes; a later one writes to orphan.state whether that process
/// still runs (a zombie is dead: some containers' pid 1 never reaps them) and completes.
/// </summary>
public static class HangingCheckpoint
{
    /// <summary>The pipeline entry; <paramref name="first"/> is a shell command every attempt runs first.</summary>
    public static string Entry(string first = "true") =>
        $$"""{ name = hang, type = process, command = "{{first}}; if [ -e hang.pid ]; then if grep -qv '^[0-9]* ([^)]*) Z' /proc/$(cat hang.pid)/stat 2>/dev/null; then echo alive > orphan.state; else echo dead > orphan.state; fi; exit 0; fi; echo $$ > hang.pid.tmp; mv hang.pid.tmp hang.pid; exec sleep 600" }""";

    /// <summary>The pid the first attempt recorded, once it has.</summary>
    public static async Task<int> PidAsync(string directory, TimeSpan timeout)
    {
        var file = Path.Combine(directory, "hang.pid");
        await Os.FileAppearsAsync(file, timeout);
        return int.Parse(File.ReadAllText(file).Trim());
    }

    /// <summary>
    /// Kills the lifeline watcher of the hang process's session (every member but the process
    /// itself), so that a crash of the engine leaves the process running, as it would if the
    /// lifeline had been defeated: what recovery's reaping, the second line of defence, must handle.
    /// </summary>
    public static async Task CutLifelineAsync(int pid, TimeSpan timeout)
    {
        var watchers = Os.LiveInSession(pid).Where(p => p != pid).ToList();
        Assert.NotEmpty(watchers);
        foreach (var watcher in watchers) System.Diagnostics.Process.GetProcessById(watcher).Kill();
        foreach (var watcher in watchers) await Os.ExitedAsync(watcher, timeout);
    }

    /// <summary>Kills what a test's hang checkpoint left running, whatever happened.</summary>
    public static void Kill(string directory)
    {
        var file = Path.Combine(directory, "hang.pid");
        if (File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) && Os.IsAlive(pid))
            System.Diagnostics.Process.GetProcessById(pid).Kill();
    }
}
