using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Caiman.Actors;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Host.Service;
using Microsoft.Extensions.Logging.Abstractions;

namespace Caiman.Workers.Bench;

/// <summary>One reported figure: its samples, its target, its same-run baseline and how it was taken.</summary>
internal sealed class Figure : FigureBase
{
    public bool JudgedByP95 { get; init; }
    public string? Baseline { get; set; }
    public string? How { get; set; }
    public double Result => JudgedByP95 ? Stats.Percentile(Samples, 0.95) : Median;
    public bool? Met => Samples.Count == 0 || Meets is null ? null : Meets(Result);
}

internal sealed class BenchContext(bool quick) : BenchContextBase<Figure>(quick)
{
    public Figure Figure(string key, string name, string unit, string? target = null, Func<double, bool>? meets = null, bool p95 = false) =>
        FindOrAdd(key, () => new Figure { Key = key, Name = name, Unit = unit, Target = target, Meets = meets, JudgedByP95 = p95 });
}

/// <summary>Engines the bench measures: the real one of `caiman` (SQLite, worker processes) and a bare in-memory one.</summary>
internal static class Engines
{
    public static ScratchDirectory Scratch { get; } = new("caiman-workers-bench");

    /// <summary>The caiman.dll built next to the bench: workers are it, run as `dotnet caiman.dll worker`.</summary>
    public static string Caiman => Path.Combine(AppContext.BaseDirectory, "caiman.dll");

    private static int _count;

    public static string NewDirectory(string name)
    {
        var path = Path.Combine(Scratch.Path, $"{name}-{Interlocked.Increment(ref _count)}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The engine of `caiman run`: SQLite in its data directory, and worker processes.</summary>
    public static CaimanEngine Local(string data, string extra = "") =>
        LocalEngine.Start(data, NullLoggerFactory.Instance, ConfigurationFactory.ParseString(extra), workerCommand: ["dotnet", Caiman]);

    /// <summary>A bare engine on the in-memory journal, for the engine's own cost per step.</summary>
    public static (ActorSystem System, CaimanEngine Engine) InMemory(CheckpointTypes types)
    {
        var config = ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.log-dead-letters = 0
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """).WithFallback(EngineConfig.Default());
        var system = ActorSystem.Create("steps-" + Interlocked.Increment(ref _count), config);
        return (system, CaimanEngine.Start(system, types));
    }

    public static PipelineDefinition Pipeline(string baseDirectory, string checkpoints, string settings = "")
    {
        var loaded = PipelineLoader.Parse($"pipeline {{\n name = bench\n {settings}\n checkpoints = [\n{checkpoints}\n ]\n}}", "bench.conf", baseDirectory, CheckpointTypes.BuiltIn());
        if (!loaded.IsValid) throw new InvalidOperationException(string.Join("\n", loaded.Problems));
        return loaded.Pipeline!;
    }

    public static string Dotnet(string name, string type, string more = "") =>
        $$"""{ name = {{name}}, type = dotnet, assembly = "{{typeof(NoOp).Assembly.Location}}", class = "{{type}}" {{more}} }""";

    public static async Task<RunStatus> RunToEnd(CaimanEngine engine, string runId, PipelineDefinition pipeline)
    {
        await engine.StartAsync(runId, pipeline);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var status = await engine.WaitAsync(runId, cancellationToken: timeout.Token);
        if (status.Phase != RunPhase.Completed)
            throw new InvalidOperationException($"run {runId} ended {status.Phase}: {string.Join("; ", (await engine.ErrorsAsync(runId)).Select(e => e.Message))}");
        return status;
    }
}

/// <summary>Waiting for processes to exit by pidfd: no polling, no missed exit.</summary>
internal static class Pids
{
    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern int Syscall(long number, int pid, uint flags);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll([In, Out] PollFd[] fds, uint count, int timeoutMs);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>Opens a pidfd for each live process (434 is pidfd_open on x86-64 and arm64); a process already gone has none.</summary>
    public static int[] Open(IEnumerable<int> pids) => [.. pids.Select(p => Syscall(434, p, 0)).Where(fd => fd >= 0)];

    /// <summary>Blocks until every process of the pidfds has exited; returns the clock's reading when the last did.</summary>
    public static TimeSpan WaitAll(int[] fds, Stopwatch clock, TimeSpan timeout)
    {
        const int eintr = 4;
        var left = fds.ToList();
        var last = clock.Elapsed;
        var deadline = clock.Elapsed + timeout;
        while (left.Count > 0)
        {
            var poll = left.Select(fd => new PollFd { Fd = fd, Events = 1 }).ToArray();
            var ready = Poll(poll, (uint)poll.Length, (int)Math.Max(0, (deadline - clock.Elapsed).TotalMilliseconds));
            // A signal (SIGCHLD, when the killed engine is our child) interrupts the wait: wait again.
            if (ready < 0 && Marshal.GetLastPInvokeError() == eintr) continue;
            if (ready <= 0) throw new TimeoutException($"{left.Count} processes still alive after {timeout}");
            last = clock.Elapsed;
            foreach (var done in poll.Where(p => p.Revents != 0))
            {
                Close(done.Fd);
                left.Remove(done.Fd);
            }
        }
        return last;
    }

    /// <summary>The live processes of a session.</summary>
    public static IEnumerable<int> InSession(int session)
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(entry + "/stat");
            }
            catch (IOException)
            {
                continue;
            }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] is not ("Z" or "X") && fields[3] == session.ToString(System.Globalization.CultureInfo.InvariantCulture)) yield return pid;
        }
    }

    /// <summary>Waits for a file written whole (by a rename) to appear, then reads the pid in it.</summary>
    public static async Task<int> FromFileAsync(string path, TimeSpan timeout)
    {
        var appeared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path)) { EnableRaisingEvents = true };
        watcher.Created += (_, _) => appeared.TrySetResult();
        watcher.Renamed += (_, _) => appeared.TrySetResult();
        if (!File.Exists(path)) await appeared.Task.WaitAsync(timeout);
        return int.Parse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
