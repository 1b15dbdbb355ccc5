using System.Diagnostics;

namespace Caiman.Engine.Bench;

/// <summary>Figure 2: checkpoints per second through a wide graph of no-op checkpoints.</summary>
internal static class WideBench
{
    public const int Width = 5000;
    private const int WarmUpWidth = 50;

    public static async Task Run(BenchContext ctx, Journal journal, int parallelism, bool judged, int width = Width)
    {
        var sqlite = journal == Journal.Sqlite;
        var key = $"wide-{(sqlite ? "sqlite" : "inmem")}-p{parallelism}{(width == Width ? "" : $"-n{width}")}";
        var name = $"Throughput, wide graph (1 root + {width:N0} independent no-op checkpoints), parallelism {parallelism}{(parallelism == Environment.ProcessorCount ? " (core count)" : "")}, {(sqlite ? "SQLite" : "in-memory")} journal";
        var figure = judged
            ? ctx.Figure(key, name, "checkpoints/s", "≥ 2,000 checkpoints/s", v => v >= 2000)
            : ctx.Figure(key, name, "checkpoints/s");
        var cpu = ctx.Figure(key + "-cpu", $"CPU time per checkpoint, wide graph of {width + 1:N0}, parallelism {parallelism}, {(sqlite ? "SQLite" : "in-memory")} journal (all threads)", "ms/checkpoint");
        var total = width + 1;
        var reps = judged ? ctx.Reps : Math.Min(3, ctx.Reps);
        for (var rep = -1; rep < reps; rep++)
        {
            await using var host = EngineHost.Start(journal);
            var warm = await host.RunAsync("warm", Pipelines.Wide("warm", WarmUpWidth, NoOpCheckpointType.TypeName, parallelism), TimeSpan.FromMinutes(1));
            if (Pipelines.NotCompleted(warm.Status) is { } warmProblem) { ctx.Problem($"a {WarmUpWidth}-wide no-op graph did not complete: {warmProblem}"); return; }
            EngineHost.Settle();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var (status, elapsed) = await host.RunAsync("wide", Pipelines.Wide("wide", width, NoOpCheckpointType.TypeName, parallelism), TimeSpan.FromMinutes(3));
            var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            if (Pipelines.NotCompleted(status) is { } problem) { ctx.Problem($"the {width:N0}-wide no-op graph (parallelism {parallelism}) did not complete: {problem}"); return; }
            var rate = total / elapsed.TotalSeconds;
            ctx.Log($"  wide ({journal}, parallelism {parallelism}) rep {rep}: {Fmt.N0(elapsed.TotalMilliseconds)} ms, {Fmt.N0(rate)} checkpoints/s, CPU {Fmt.N3(cpuUsed.TotalMilliseconds / total)} ms per checkpoint");
            if (rep < 0) continue;
            figure.Samples.Add(rate);
            cpu.Samples.Add(cpuUsed.TotalMilliseconds / total);
            if (rep == 0) Split(ctx, key, status, elapsed);
        }
        figure.How = $"a new ActorSystem and engine on a new {(sqlite ? "SQLite file" : "in-memory journal")} per repetition, a {WarmUpWidth}-wide graph run first (unmeasured); then {total:N0} checkpoints (`root`, and {width:N0} each `after = [root]`) with the pipeline's `parallelism = {parallelism}`, " +
            $"from `StartAsync` until `WaitAsync` returns Completed: {total:N0} / wall time{(judged ? "" : $"; {reps} repetitions")}; one unmeasured repetition first";
        cpu.How = "the process's total CPU time over the same measured run, divided by the checkpoints";
    }

    /// <summary>Where the wall time went, from the checkpoints' own start times: the first and second half of the run.</summary>
    private static void Split(BenchContext ctx, string key, Caiman.Actors.Protocol.RunStatus status, TimeSpan elapsed)
    {
        var started = status.Checkpoints.Where(c => c.Started is not null).Select(c => c.Started!.Value).Order().ToList();
        if (started.Count < 10) return;
        var first = started[0];
        var half = started.Count / 2;
        var firstHalf = (started[half] - first).TotalSeconds;
        var secondHalf = (started[^1] - started[half]).TotalSeconds;
        ctx.Facts[key + "-first-half-rate"] = half / firstHalf;
        ctx.Facts[key + "-second-half-rate"] = (started.Count - half) / secondHalf;
        ctx.Note($"{key}, repetition 1, {Fmt.N0(elapsed.TotalMilliseconds)} ms in all: from the checkpoints' start times, the first {half:N0} started at {Fmt.N0(half / firstHalf)} checkpoints/s, " +
            $"the other {started.Count - half:N0} at {Fmt.N0((started.Count - half) / secondHalf)} checkpoints/s");
    }
}
