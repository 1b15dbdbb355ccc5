namespace Caiman.Actors.Logging;

/// <summary>Where a run keeps its files under the engine's data directory.</summary>
public static class RunFiles
{
    /// <summary><c>&lt;data&gt;/runs/&lt;run id, escaped&gt;</c>.</summary>
    public static string Directory(string dataDirectory, string runId) =>
        Path.Combine(dataDirectory, "runs", Uri.EscapeDataString(runId));

    /// <summary>The run's log: one line per entry, with run and checkpoint on each.</summary>
    public static string Log(string dataDirectory, string runId) => Path.Combine(Directory(dataDirectory, runId), "run.log");
}
