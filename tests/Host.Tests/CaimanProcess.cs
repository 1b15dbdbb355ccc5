using System.Diagnostics;
using System.Text;

namespace Caiman.Host.Tests;

/// <summary>The real `caiman` executable, started as a user would start it (through the dotnet host).</summary>
public sealed class CaimanProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private readonly List<(string Text, TaskCompletionSource Seen)> _awaited = [];

    private CaimanProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            lock (_stdout)
            {
                if (e.Data is null)
                {
                    // End of output: whatever is still awaited will never come.
                    foreach (var (text, seen) in _awaited) seen.TrySetException(new InvalidOperationException($"caiman ended its output without printing '{text}'\nstdout:\n{_stdout}\nstderr:\n{Stderr}"));
                    _awaited.Clear();
                    return;
                }
                _stdout.AppendLine(e.Data);
                _awaited.RemoveAll(a => e.Data.Contains(a.Text, StringComparison.Ordinal) && a.Seen.TrySetResult());
            }
        };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The caiman.dll built next to the tests (the host project is referenced for it).</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "caiman.dll");

    public static CaimanProcess Start(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return new CaimanProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet"));
    }

    /// <summary>Runs caiman to its end and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        using var caiman = Start(workingDirectory, args);
        var code = await caiman.WaitAsync(timeout);
        return (code, caiman.Stdout, caiman.Stderr);
    }

    public int Pid => _process.Id;

    /// <summary>Completes when a line of caiman's stdout contains the text (an event of its output, not a poll).</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stdout)
        {
            if (_stdout.ToString().Contains(text, StringComparison.Ordinal)) return;
            _awaited.Add((text, seen));
        }
        try
        {
            await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"caiman did not print '{text}' within {timeout}\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"caiman did not exit within {timeout}\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process gets no chance to clean up.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: false);

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
