using System.Runtime.InteropServices;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Host.Control;
using Caiman.Host.Service;

namespace Caiman.Host.Tests.Daemon;

/// <summary>A `caiman daemon` process on a data directory, and ways to wait for and signal it.</summary>
public sealed class DaemonProcess : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private DaemonProcess(CaimanProcess process, string data)
    {
        Process = process;
        Data = data;
    }

    public CaimanProcess Process { get; }

    public string Data { get; }

    public string Socket => Path.Combine(Data, "caiman.sock");

    /// <summary>Starts `caiman daemon --data <paramref name="data"/>` and waits until its socket answers.</summary>
    public static async Task<DaemonProcess> StartAsync(string workingDirectory, string data, params string[] options)
    {
        var daemon = new DaemonProcess(CaimanProcess.Start(workingDirectory, ["daemon", "--data", data, .. options]), data);
        try
        {
            await daemon.WaitReadyAsync();
            return daemon;
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
    }

    /// <summary>A client over the socket, once the daemon has recovered its runs and answers.</summary>
    public async Task<ICaimanService> ConnectAsync() =>
        await DaemonClient.TryConnectAsync(Data, CancellationToken.None) ?? throw new InvalidOperationException($"no daemon answers on {Socket}");

    /// <summary>SIGTERM, as systemd (or a user's kill) stops a service.</summary>
    public void Terminate()
    {
        if (Signals.Kill(Process.Pid, Signals.SigTerm) != 0) throw new InvalidOperationException($"kill -TERM {Process.Pid} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public Task<int> WaitExitAsync(TimeSpan timeout) => Process.WaitAsync(timeout);

    public void Dispose() => Process.Dispose();

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            if (await DaemonClient.TryConnectAsync(Data, CancellationToken.None) is { } client)
            {
                await client.DisposeAsync();
                return;
            }
            if (!Os.IsAlive(Process.Pid))
                throw new InvalidOperationException($"the daemon exited before it answered\nstdout:\n{Process.Stdout}\nstderr:\n{Process.Stderr}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the daemon did not answer on {Socket} within {Patience}\nstdout:\n{Process.Stdout}\nstderr:\n{Process.Stderr}");
            await Task.Delay(50); // polling an OS state (a socket) with a deadline
        }
    }
}

/// <summary>Pipelines for the daemon's tests, written next to the files their checkpoints leave.</summary>
public static class TestPipelines
{
    public static PipelineDefinition Write(string directory, string fileName, string hocon)
    {
        var path = Path.Combine(directory, fileName);
        File.WriteAllText(path, hocon);
        var loaded = PipelineLoader.Load(path, CheckpointTypes.BuiltIn());
        return loaded.Pipeline ?? throw new InvalidOperationException(string.Join("\n", loaded.Problems));
    }

    /// <summary>
    /// The checkpoint <c>hang</c>: its first attempt records its pid in hang.pid and sleeps for ten
    /// minutes; a later one writes to orphan.state whether that process still runs (a zombie is
    /// dead: some containers' pid 1 never reaps them) and completes.
    /// </summary>
    public const string Hang = """{ name = hang, type = process, command = "if [ -e hang.pid ]; then if grep -qv '^[0-9]* ([^)]*) Z' /proc/$(cat hang.pid)/stat 2>/dev/null; then echo alive > orphan.state; else echo dead > orphan.state; fi; exit 0; fi; echo $$ > hang.pid.tmp; mv hang.pid.tmp hang.pid; exec sleep 600" }""";

    /// <summary>The pid the first attempt of <see cref="Hang"/> recorded, once it has.</summary>
    public static async Task<int> HangPidAsync(string directory)
    {
        var file = Path.Combine(directory, "hang.pid");
        await Os.Until(() => File.Exists(file), DaemonProcess.Patience, "the long checkpoint's process to start");
        return int.Parse(File.ReadAllText(file).Trim());
    }

    /// <summary>Kills what a test's hang checkpoint left running, whatever happened.</summary>
    public static void KillHang(string directory)
    {
        var file = Path.Combine(directory, "hang.pid");
        if (File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) && Os.IsAlive(pid))
            Signals.Kill(pid, Signals.SigKill);
    }
}

/// <summary>kill(2): .NET sends only SIGKILL to a process.</summary>
public static class Signals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);
}
