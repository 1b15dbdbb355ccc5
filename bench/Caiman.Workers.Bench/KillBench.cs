using System.Diagnostics;
using Caiman.Actors.Protocol;

namespace Caiman.Workers.Bench;

/// <summary>How fast work that will not stop is gone: a cancelled isolated checkpoint deaf to its token, and everything of an engine SIGKILLed.</summary>
internal static class KillBench
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static async Task Cancel(BenchContext ctx)
    {
        var figure = ctx.Figure("cancel-isolated", "Cancel of an isolated checkpoint deaf to its token: end of the grace period to its worker and its process gone", "ms",
            "p95 < 50 ms", v => v < 50, p95: true);
        var samples = ctx.Quick ? 8 : 20;
        var data = Engines.NewDirectory("cancel");
        await using var engine = Engines.Local(data, $"caiman.engine.cancel-grace-period = {Grace.TotalMilliseconds}ms");
        for (var i = -2; i < samples; i++)
        {
            var pidFile = Path.Combine(data, $"holder-{i + 2}.pid");
            var childFile = Path.Combine(data, $"child-{i + 2}.pid");
            var pipeline = Engines.Pipeline(data, Engines.Dotnet("holder", typeof(Holder).FullName!, $", isolation = process, pid-file = \"{pidFile}\", child-file = \"{childFile}\", deaf = true"));
            var runId = $"cancel-{i + 2}";
            await engine.StartAsync(runId, pipeline);
            var worker = await Pids.FromFileAsync(pidFile, Patience);
            var child = await Pids.FromFileAsync(childFile, Patience);
            var fds = Pids.Open([worker, child]);
            var clock = Stopwatch.StartNew();
            await engine.CancelAsync(runId);
            var gone = await Task.Run(() => Pids.WaitAll(fds, clock, Patience));
            using var timeout = new CancellationTokenSource(Patience);
            var status = await engine.WaitAsync(runId, cancellationToken: timeout.Token);
            if (status.Phase != RunPhase.Cancelled) ctx.Problem($"{runId} ended {status.Phase}, not cancelled");
            // The grace period ran from no earlier than the cancel call: the figure is an upper bound.
            if (i >= 0) figure.Samples.Add((gone - Grace).TotalMilliseconds);
        }
        figure.Baseline = $"the grace period itself, {Grace.TotalMilliseconds:N0} ms, is not counted; median {Fmt.N1(figure.Median)} ms";
        figure.How = $"one `dotnet` checkpoint with `isolation = process` that starts `sleep 600` through its context and then spins deaf to its token; once both have written their pids, `CancelAsync`, then pidfds of the worker and the sleep polled until both exited; minus the grace period ({Grace.TotalMilliseconds:N0} ms), counted from the cancel call (so the figure is an upper bound); {samples} runs after 2 unmeasured, one engine";
    }

    public static async Task Sigkill(BenchContext ctx)
    {
        var figure = ctx.Figure("sigkill-engine", "SIGKILL of `caiman run` to the last process of its attempts gone (in-process and isolated attempts, no command run after)", "ms",
            "p95 < 1 s (goal 100 ms)", v => v < 1000, p95: true);
        var samples = ctx.Quick ? 5 : 12;
        for (var i = -1; i < samples; i++)
        {
            var directory = Engines.NewDirectory("sigkill");
            var hangFile = Path.Combine(directory, "hang.pid");
            var workerFile = Path.Combine(directory, "worker.pid");
            var childFile = Path.Combine(directory, "child.pid");
            File.WriteAllText(Path.Combine(directory, "crash.conf"), $$"""
                pipeline {
                  name = crash
                  checkpoints = [
                    { name = hang, type = process, after = [], command = "echo $$ > hang.tmp; mv hang.tmp hang.pid; exec sleep 600" }
                    {{Engines.Dotnet("held", typeof(Holder).FullName!, $", after = [], isolation = process, pid-file = \"{workerFile}\", child-file = \"{childFile}\"")}}
                  ]
                }
                """);
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])[Engines.Caiman, "run", "crash.conf", "--data", Path.Combine(directory, "data"), "--plain"]) start.ArgumentList.Add(arg);
            using var caiman = Process.Start(start)!;
            _ = caiman.StandardOutput.ReadToEndAsync();
            _ = caiman.StandardError.ReadToEndAsync();
            var hang = await Pids.FromFileAsync(hangFile, Patience);
            var worker = await Pids.FromFileAsync(workerFile, Patience);
            var child = await Pids.FromFileAsync(childFile, Patience);
            // Everything of the three sessions: the processes and their lifeline watchers.
            var everything = Pids.InSession(hang).Concat(Pids.InSession(worker)).Concat(Pids.InSession(child)).Distinct().ToList();
            var fds = Pids.Open(everything);
            var clock = Stopwatch.StartNew();
            caiman.Kill();
            var gone = await Task.Run(() => Pids.WaitAll(fds, clock, Patience));
            await caiman.WaitForExitAsync();
            if (i >= 0) figure.Samples.Add(gone.TotalMilliseconds);
            ctx.Log($"sigkill {i}: {everything.Count} processes gone {Fmt.N1(gone.TotalMilliseconds)} ms after the kill");
        }
        figure.Baseline = "the engine's own exit (what the kernel does at SIGKILL) is included";
        figure.How = $"`dotnet caiman.dll run` (the real executable) of two checkpoints side by side: a `process` one in process (`sleep 600`) and an isolated `dotnet` one that starts `sleep 600` in its worker; once all have written their pids, every process of the three sessions (processes and lifeline watchers) gets a pidfd, the engine is SIGKILLed, and the time until the last pidfd turns readable is taken; nothing is run afterwards; {samples} runs after one unmeasured, each in a new data directory";
    }
}
