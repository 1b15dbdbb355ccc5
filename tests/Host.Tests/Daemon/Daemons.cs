using System.Runtime.InteropServices;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Host.Control;
using Caiman.Actors;
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

    /// <summary>The daemon logs "ready" once it listens; then its socket must answer.</summary>
    private async Task WaitReadyAsync()
    {
        await Process.WaitForOutputAsync("ready:", Patience);
        await using var client = await DaemonClient.TryConnectAsync(Data, CancellationToken.None)
            ?? throw new InvalidOperationException($"the daemon said it was ready but {Socket} does not answer\nstdout:\n{Process.Stdout}");
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
}

/// <summary>kill(2): .NET sends only SIGKILL to a process.</summary>
public static class Signals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);
}
