namespace Caiman.Engine.Bench;

public static class Program
{
    private static readonly string[] Selections = ["all", "overhead", "floor", "chain-sqlite", "chain-inmem", "wide", "wide-sqlite", "wide-inmem", "resume", "makespan", "cancel", "many-runs"];

    public static async Task<int> Main(string[] args)
    {
        Selection.UseInvariantCulture();

        if (!Selection.TryParse("Caiman.Engine.Bench", args, Selections, out var selection, out var exitCode)) return exitCode;
        var quick = selection.Quick;
        bool Runs(string name) => selection.Runs(name);

        var ctx = new BenchContext(quick);
        var run = RunInfo.Begin("Caiman.Engine.Bench", args);
        ctx.Log($"Caiman.Engine.Bench {string.Join(' ', args)} ({(quick ? "quick: 3 repetitions" : "5 repetitions")})");
        try
        {
            // In-process figures first (no-op and DOC-writing checkpoints), then those that run processes.
            // "overhead" and "wide" are groups; their parts can be run alone (e.g. under a profiler).
            bool Part(string group, string part) => Runs(group) || selection.Names(part);
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
            if (Runs("many-runs")) await Section(ctx, "many runs at once", () => ManyRunsBench.Run(ctx));
        }
        finally
        {
            EngineHost.Scratch.Delete();
        }

        Why.Explain(ctx);
        var report = Report.Markdown(ctx, run);
        return await Results.PublishAsync(ctx, report, selection.All ? (quick ? "engine.quick.md" : "engine.md") : null);
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
