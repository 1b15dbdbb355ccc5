using System.Globalization;

namespace Caiman.Engine.Bench;

public static class Program
{
    private static readonly string[] Selections = ["all", "overhead", "floor", "chain-sqlite", "chain-inmem", "wide", "wide-sqlite", "wide-inmem", "resume", "makespan", "cancel"];

    public static async Task<int> Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

        var quick = args.Contains("--quick");
        var selected = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (selected.Count == 0) selected.Add("all");
        var unknown = selected.Where(s => !Selections.Contains(s)).ToList();
        if (unknown.Count > 0 || args.Contains("--help"))
        {
            Console.Error.WriteLine($"usage: Caiman.Engine.Bench [{string.Join('|', Selections)}]... [--quick]");
            return unknown.Count > 0 ? 2 : 0;
        }
        bool Runs(string name) => selected.Contains("all") || selected.Contains(name);

        var ctx = new BenchContext(quick);
        var started = DateTimeOffset.UtcNow;
        var cpuStart = Report.CpuSample.Now();
        ctx.Log($"Caiman.Engine.Bench {string.Join(' ', args)} ({(quick ? "quick: 3 repetitions" : "5 repetitions")})");
        try
        {
            // In-process figures first (no-op and DOC-writing checkpoints), then those that run processes.
            // "overhead" and "wide" are groups; their parts can be run alone (e.g. under a profiler).
            bool Part(string group, string part) => Runs(group) || selected.Contains(part);
            if (Runs("overhead") || Runs("wide")) await Section(ctx, "plain loop", () => OverheadBench.Baseline(ctx));
            if (Part("overhead", "floor") || Part("overhead", "chain-sqlite") || Part("overhead", "chain-inmem"))
                await Section(ctx, "chains and journal floor", () => OverheadBench.Run(ctx, Part("overhead", "floor"), Part("overhead", "chain-sqlite"), Part("overhead", "chain-inmem")));
            if (Part("wide", "wide-sqlite"))
            {
                await Section(ctx, "wide, core count", () => WideBench.Run(ctx, Journal.Sqlite, Environment.ProcessorCount, judged: true));
                await Section(ctx, "wide, 64", () => WideBench.Run(ctx, Journal.Sqlite, 64, judged: true));
            }
            if (Part("wide", "wide-inmem"))
            {
                await Section(ctx, "wide, 64, in memory", () => WideBench.Run(ctx, Journal.InMemory, 64, judged: false));
                // A fifth of the width: whether the cost per checkpoint grows with the graph.
                await Section(ctx, "wide, 64, in memory, 1,000", () => WideBench.Run(ctx, Journal.InMemory, 64, judged: false, width: 1000));
            }
            if (Runs("resume")) await Section(ctx, "resume", () => ResumeBench.Run(ctx));
            if (Runs("makespan")) await Section(ctx, "sleep graph", () => MakespanBench.Run(ctx));
            if (Runs("cancel")) await Section(ctx, "cancel", () => CancelBench.Run(ctx));
        }
        finally
        {
            EngineHost.Cleanup();
        }

        Why.Explain(ctx);
        var report = Report.Markdown(ctx, started, args, cpuStart);
        Console.WriteLine();
        Console.WriteLine(report);
        if (selected.Contains("all"))
        {
            var path = Path.Combine(Report.RepoRoot(), "bench", "results", quick ? "engine.quick.md" : "engine.md");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, report);
            ctx.Log($"wrote {path}");
        }
        return ctx.Problems.Count == 0 ? 0 : 1;
    }

    /// <summary>Runs one part; an exception is the engine's (or the harness's) problem to report, and the other parts still run.</summary>
    private static async Task Section(BenchContext ctx, string name, Func<Task> run)
    {
        ctx.Log($"-- {name}");
        try
        {
            await run();
        }
        catch (Exception e)
        {
            ctx.Problem($"{name}: {e.GetType().Name}: {e.Message}");
            Console.WriteLine(e);
        }
    }
}
