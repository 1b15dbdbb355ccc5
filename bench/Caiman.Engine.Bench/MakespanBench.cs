using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;

namespace Caiman.Engine.Bench;

/// <summary>Figure 3: a layered graph of <c>sleep</c> processes against its critical path.</summary>
internal static class MakespanBench
{
    private const int Parallelism = 8;

    /// <summary>(name, seconds of sleep, after): a start, two layers of four crossing each other, an end.</summary>
    private static readonly (string Name, double Seconds, string[] After)[] Graph =
    [
        ("start", 0.5, []),
        ("a1", 1.0, ["start"]), ("a2", 0.5, ["start"]), ("a3", 0.75, ["start"]), ("a4", 0.6, ["start"]),
        ("b1", 0.5, ["a1", "a2"]), ("b2", 1.0, ["a2", "a3"]), ("b3", 0.75, ["a3", "a4"]), ("b4", 0.6, ["a4", "a1"]),
        ("end", 0.5, ["b1", "b2", "b3", "b4"]),
    ];

    private static string Sleep(double seconds) => "sleep " + seconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static PipelineDefinition Pipeline(string name) =>
        new(name, null, StopOnError: true, Parallelism,
            [.. Graph.Select(g => new CheckpointDefinition(g.Name, "process", CheckpointArgs.FromJson($$"""{"command":"{{Sleep(g.Seconds)}}"}"""), [.. g.After]) { Estimate = TimeSpan.FromSeconds(g.Seconds) })])
        { BaseDirectory = EngineHost.TempDir };

    /// <summary>The longest path by sleep time, and its checkpoints.</summary>
    public static (double Seconds, ImmutableArray<string> Path) CriticalPath()
    {
        var best = new Dictionary<string, (double Seconds, ImmutableArray<string> Path)>();
        foreach (var (name, seconds, after) in Graph) // in dependency order
        {
            var before = after.Select(a => best[a]).DefaultIfEmpty((Seconds: 0.0, Path: ImmutableArray<string>.Empty)).MaxBy(b => b.Seconds);
            best[name] = (before.Seconds + seconds, before.Path.Add(name));
        }
        return best.Values.MaxBy(b => b.Seconds);
    }

    public static async Task Run(BenchContext ctx)
    {
        var (critical, path) = CriticalPath();
        var layers = path.Length;
        var figure = ctx.Figure("makespan-ratio", $"Makespan / critical path, {Graph.Length} `sleep` processes in a layered graph", "×", "≤ 1.05 (within 5%)", v => v <= 1.05);
        var makespan = ctx.Figure("makespan", "Makespan of the sleep graph (start call to completed)", "s");
        var plain = ctx.Figure("makespan-plain", "Critical path's processes run one after another by the bench (Process.Start of /bin/sh -c, no engine)", "s");
        var runner = ctx.Figure("makespan-runner", "Critical path's checkpoints run one after another by calling the `process` type's ExecuteAsync directly (no engine)", "s");
        var perStep = ctx.Figure("makespan-step", "Engine time per step of the critical path: (makespan − critical path) / checkpoints on it", "ms");
        for (var rep = -1; rep < ctx.Reps; rep++)
        {
            await using var host = EngineHost.Start(Journal.Sqlite);
            // A one-process run first: the process runner, /bin/sh and sleep are loaded before the timing.
            var warm = await host.RunAsync("warm", new PipelineDefinition("warm", null, true, null,
                [new CheckpointDefinition("true", "process", CheckpointArgs.FromJson("""{"command":"true"}"""), [])]) { BaseDirectory = EngineHost.TempDir }, TimeSpan.FromMinutes(1));
            if (Pipelines.NotCompleted(warm.Status) is { } warmProblem) { ctx.Problem($"a one-process run (`true`) did not complete: {warmProblem}"); return; }
            var (status, elapsed) = await host.RunAsync("sleeps", Pipeline("sleeps"), TimeSpan.FromMinutes(1));
            if (Pipelines.NotCompleted(status) is { } problem) { ctx.Problem($"the sleep graph did not complete: {problem}"); return; }
            var plainElapsed = await PlainCriticalPath(path);
            var runnerElapsed = await RunnerCriticalPath(host, path);
            ctx.Log($"  sleep graph rep {rep}: makespan {Fmt.N3(elapsed.TotalSeconds)} s against a critical path of {Fmt.N3(critical)} s ({Fmt.N3(elapsed.TotalSeconds / critical)}); plain processes {Fmt.N3(plainElapsed.TotalSeconds)} s, process type without the engine {Fmt.N3(runnerElapsed.TotalSeconds)} s");
            if (rep < 0) continue;
            figure.Samples.Add(elapsed.TotalSeconds / critical);
            makespan.Samples.Add(elapsed.TotalSeconds);
            plain.Samples.Add(plainElapsed.TotalSeconds);
            runner.Samples.Add(runnerElapsed.TotalSeconds);
            perStep.Samples.Add((elapsed.TotalSeconds - critical) * 1000 / layers);
            if (rep == 0) Gaps(ctx, status, path);
        }
        ctx.Facts["critical-path"] = critical;
        ctx.Facts["critical-path-length"] = layers;
        figure.Baseline = $"critical path {Fmt.N3(critical)} s ({string.Join(" → ", path.Select(p => $"{p} {Graph.First(g => g.Name == p).Seconds.ToString("0.##", CultureInfo.InvariantCulture)} s"))}); the same path as plain processes one after another: {Fmt.N3(plain.Median)} s";
        figure.How = $"{Graph.Length} `process` checkpoints (`command = \"sleep 0.5\"` … `\"sleep 1\"`, run by /bin/sh -c): start, 4 after it, 4 each after two of those, end after all; parallelism {Parallelism}; " +
            "a new system on a new SQLite file per repetition, a one-process run first (unmeasured); makespan from `StartAsync` until `WaitAsync` returns Completed, divided by the sum of the sleeps on the longest path; one unmeasured repetition first";
        makespan.How = "the numerator of the ratio above";
        plain.How = $"the {layers} commands of the critical path, each `Process.Start(\"/bin/sh\", \"-c\", \"sleep …\")` and awaited, one after another: what spawning the processes costs without the engine";
        runner.How = $"the {layers} checkpoints of the critical path, each `Create(args).ExecuteAsync(context)` of the built-in `process` type awaited in turn, with a context built by the bench (launches recorded nowhere, no DOC): what the process runner costs (gate, setsid, exit watch, sweep of the session) without the engine";
        perStep.How = "the makespan's excess over the critical path, spread over the checkpoints of the path (each is one start-after-dependencies)";
    }

    private static async Task<TimeSpan> PlainCriticalPath(ImmutableArray<string> path)
    {
        var clock = Stopwatch.StartNew();
        foreach (var name in path)
        {
            using var process = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", Sleep(Graph.First(g => g.Name == name).Seconds) }, UseShellExecute = false })
                ?? throw new InvalidOperationException("could not start /bin/sh");
            await process.WaitForExitAsync();
        }
        return clock.Elapsed;
    }

    private static async Task<TimeSpan> RunnerCriticalPath(EngineHost host, ImmutableArray<string> path)
    {
        if (!host.Engine.Types.TryGet("process", out var type)) throw new InvalidOperationException("no `process` checkpoint type");
        var clock = Stopwatch.StartNew();
        foreach (var name in path)
        {
            var args = CheckpointArgs.FromJson($$"""{"command":"{{Sleep(Graph.First(g => g.Name == name).Seconds)}}"}""");
            await type.Create(args).ExecuteAsync(OverheadBench.PlainContext(args), CancellationToken.None);
        }
        return clock.Elapsed;
    }

    /// <summary>From the run's own status: when each checkpoint of the critical path started after its last dependency ended.</summary>
    private static void Gaps(BenchContext ctx, Caiman.Actors.Protocol.RunStatus status, ImmutableArray<string> path)
    {
        var byName = status.Checkpoints.ToDictionary(c => c.Name);
        var parts = new List<string>();
        for (var i = 0; i < path.Length; i++)
        {
            var c = byName[path[i]];
            var sleep = Graph.First(g => g.Name == c.Name).Seconds;
            var overrun = c.Duration is { } d ? (d.TotalSeconds - sleep) * 1000 : double.NaN;
            var text = $"{c.Name}: attempt took {Fmt.N0(overrun)} ms more than its sleep";
            if (i > 0 && byName[path[i - 1]] is { Started: { } ps, Duration: { } pd } && c.Started is { } s)
                text += $", started {Fmt.N0((s - (ps + pd)).TotalMilliseconds)} ms after {path[i - 1]} ended";
            parts.Add(text);
        }
        if (status.Started is { } runStart && byName[path[0]].Started is { } firstStart)
            parts.Insert(0, $"first checkpoint started {Fmt.N0((firstStart - runStart).TotalMilliseconds)} ms after the run started");
        if (status.Ended is { } runEnd && byName[path[^1]] is { Started: { } ls, Duration: { } ld })
            parts.Add($"run ended {Fmt.N0((runEnd - (ls + ld)).TotalMilliseconds)} ms after the last checkpoint ended");
        ctx.Note("sleep graph, repetition 1, along the critical path (the run's own timestamps): " + string.Join("; ", parts));
    }
}
