using System.Diagnostics;

namespace Caiman.Host.Tests.Cli;

/// <summary>Runs the real `caiman` in a fresh directory with its own data directory.</summary>
public abstract class CliSpec : IDisposable
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    protected CliSpec()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("caiman-cli-").FullName;
        Data = Path.Combine(Directory, "data");
    }

    protected string Directory { get; }

    protected string Data { get; }

    protected string Write(string name, string text)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    protected Task<(int ExitCode, string Stdout, string Stderr)> Caiman(params string[] args) =>
        CaimanProcess.RunAsync(Directory, Patience, [.. args, "--data", Data]);

    protected static void AssertExit(int expected, (int ExitCode, string Stdout, string Stderr) result) =>
        Assert.True(result.ExitCode == expected, $"expected exit {expected}, got {result.ExitCode}\nstdout:\n{result.Stdout}\nstderr:\n{result.Stderr}");

    /// <summary>Each checkpoint's attempts, from the final table `caiman run` and `caiman list` print.</summary>
    protected static Dictionary<string, (string State, int Attempts)> Table(string stdout) =>
        stdout.Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length >= 3 && w[1] is "pending" or "running" or "completed" or "failed" or "cancelled" && int.TryParse(w[2], out _))
            .ToDictionary(w => w[0], w => (w[1], int.Parse(w[2])));

    public void Dispose()
    {
        foreach (var process in Process.GetProcesses())
        {
            // Nothing a test started may outlive it; a leftover means a bug, which the tests assert on.
            try
            {
                if (process.ProcessName == "sleep" && File.ReadAllText($"/proc/{process.Id}/environ").Contains(Directory)) process.Kill();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
            }
        }
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
