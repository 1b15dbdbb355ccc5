using Caiman.Actors.Protocol;

namespace Caiman.Workers.Bench;

/// <summary>
/// What isolation costs per no-op checkpoint: the same dotnet no-op class in process and in
/// worker processes, in a chain (one worker, warm after the first checkpoint) and in a wide graph
/// (the pool's workers side by side), with the first checkpoint of an isolated run as the cold
/// worker's cost. Each repetition is a new engine on a new SQLite journal.
/// </summary>
internal static class IsolationBench
{
    private const int Chain = 50;
    private const int Width = 48;

    public static async Task Run(BenchContext ctx)
    {
        var warm = ctx.Figure("iso-warm-chain", "Isolated no-op checkpoint, warm pooled worker, chain", "ms/checkpoint");
        var inProcess = ctx.Figure("iso-inproc-chain", "In-process no-op checkpoint, chain (the baseline)", "ms/checkpoint");
        var added = ctx.Figure("iso-added-warm", "Cost a warm isolated no-op checkpoint adds (chain)", "ms/checkpoint", "≤ 2 ms", v => v <= 2);
        var cold = ctx.Figure("iso-cold", "First isolated checkpoint of a run: cold worker start", "ms");
        var coldBase = ctx.Figure("iso-cold-inproc", "First in-process checkpoint of a run (the baseline)", "ms");
        var wideIso = ctx.Figure("iso-wide", $"Isolated no-op checkpoints, wide graph of {Width}, parallelism 4", "ms/checkpoint");
        var wideIn = ctx.Figure("iso-wide-inproc", $"In-process no-op checkpoints, wide graph of {Width}, parallelism 4 (the baseline)", "ms/checkpoint");
        for (var rep = -1; rep < ctx.Reps; rep++)
        {
            var data = Engines.NewDirectory("isolation");
            await using var engine = Engines.Local(data, "caiman.engine.workers.max = 4");
            var (inChain, inFirst) = await ChainAsync(engine, data, "in-process", rep);
            var (isoChain, isoFirst) = await ChainAsync(engine, data, "process", rep);
            var inWide = await WideAsync(engine, data, "in-process", rep);
            var isoWide = await WideAsync(engine, data, "process", rep);
            if (rep < 0) continue;
            inProcess.Samples.Add(inChain);
            warm.Samples.Add(isoChain);
            added.Samples.Add(isoChain - inChain);
            coldBase.Samples.Add(inFirst);
            cold.Samples.Add(isoFirst);
            wideIn.Samples.Add(inWide);
            wideIso.Samples.Add(isoWide);
            ctx.Log($"rep {rep}: chain {Fmt.N2(inChain)} in process, {Fmt.N2(isoChain)} isolated ms/checkpoint; first {Fmt.N0(inFirst)} / {Fmt.N0(isoFirst)} ms; wide {Fmt.N2(inWide)} / {Fmt.N2(isoWide)} ms/checkpoint");
        }
        added.Baseline = $"in-process chain {Fmt.N2(inProcess.Median)} ms/checkpoint, isolated {Fmt.N2(warm.Median)}";
        cold.Baseline = $"the in-process first checkpoint: {Fmt.N0(coldBase.Median)} ms";
        wideIso.Baseline = $"in process: {Fmt.N2(wideIn.Median)} ms/checkpoint";
        const string method = "a new engine (the engine of `caiman run`: SQLite journal, worker processes `dotnet caiman.dll worker`) per repetition, after one unmeasured repetition";
        warm.How = $"{method}; a chain of {Chain + 1} `dotnet` no-op checkpoints (the bench's own class) with `isolation = process`: from the start of checkpoint 2 to the end of checkpoint {Chain + 1}, over {Chain}; the first starts the run's worker, every later one is given the same warm worker";
        inProcess.How = $"the same chain with `isolation = in-process`, in the same engine, right before it";
        added.How = "isolated minus in-process, repetition by repetition";
        cold.How = "the first checkpoint of the isolated chain, from its attempt's start to its end: placing it, starting a worker process (a .NET process that joins the engine over Akka.Remote with TLS), loading the class, running it";
        coldBase.How = "the first checkpoint of the in-process chain (loading the class included)";
        wideIso.How = $"a root and {Width} no-op checkpoints after it with `isolation = process`, parallelism 4, at most 4 workers: from the root's end to the last one's end, over {Width}; the workers start cold within the measured span";
        wideIn.How = "the same graph in process, in the same engine";
    }

    /// <summary>The chain's cost per checkpoint after the first, and the first's duration, in ms.</summary>
    private static async Task<(double PerCheckpoint, double First)> ChainAsync(Caiman.Actors.CaimanEngine engine, string data, string isolation, int rep)
    {
        var steps = string.Join("\n", Enumerable.Range(0, Chain + 1).Select(i => Engines.Dotnet($"c{i}", typeof(NoOp).FullName!)));
        var status = await Engines.RunToEnd(engine, $"chain-{isolation}-{rep + 1}", Engines.Pipeline(data, steps, $"isolation = {isolation}"));
        var checkpoints = status.Checkpoints;
        var first = checkpoints[0].Duration!.Value.TotalMilliseconds;
        var span = End(checkpoints[^1]) - checkpoints[1].Started!.Value;
        return (span.TotalMilliseconds / Chain, first);
    }

    private static async Task<double> WideAsync(Caiman.Actors.CaimanEngine engine, string data, string isolation, int rep)
    {
        var steps = Engines.Dotnet("root", typeof(NoOp).FullName!, ", isolation = in-process") + "\n" +
                    string.Join("\n", Enumerable.Range(0, Width).Select(i => Engines.Dotnet($"w{i}", typeof(NoOp).FullName!, ", after = [root]")));
        var status = await Engines.RunToEnd(engine, $"wide-{isolation}-{rep + 1}", Engines.Pipeline(data, steps, $"isolation = {isolation}\n parallelism = 4"));
        var rootEnd = End(status.Checkpoints[0]);
        var lastEnd = status.Checkpoints.Skip(1).Max(End);
        return (lastEnd - rootEnd).TotalMilliseconds / Width;
    }

    private static DateTimeOffset End(CheckpointStatus checkpoint) => checkpoint.Started!.Value + checkpoint.Duration!.Value;
}
