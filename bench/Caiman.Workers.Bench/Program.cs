using System.Text;

namespace Caiman.Workers.Bench;

public static class Program
{
    private static readonly string[] Selections = ["all", "isolation", "cancel", "sigkill", "steps"];

    public static async Task<int> Main(string[] args)
    {
        Selection.UseInvariantCulture();
        if (!Selection.TryParse("Caiman.Workers.Bench", args, Selections, out var selection, out var exitCode)) return exitCode;
        var ctx = new BenchContext(selection.Quick);
        var run = RunInfo.Begin("Caiman.Workers.Bench", args);
        try
        {
            if (selection.Runs("steps")) await Section(ctx, "steps", () => StepBench.Run(ctx));
            if (selection.Runs("isolation")) await Section(ctx, "isolation", () => IsolationBench.Run(ctx));
            if (selection.Runs("cancel")) await Section(ctx, "cancel", () => KillBench.Cancel(ctx));
            if (selection.Runs("sigkill")) await Section(ctx, "sigkill", () => KillBench.Sigkill(ctx));
        }
        finally
        {
            Engines.Scratch.Delete();
        }
        return await Results.PublishAsync(ctx, Report(ctx, run), selection.All ? (selection.Quick ? "workers.quick.md" : "workers.md") : null);
    }

    private static async Task Section(BenchContext ctx, string name, Func<Task> body)
    {
        ctx.Log($"-- {name}");
        try
        {
            await body();
        }
        catch (Exception e)
        {
            ctx.Problem($"{name}: {e.GetType().Name}: {e.Message}");
            Console.WriteLine(e);
        }
    }

    private static string Report(BenchContext ctx, RunInfo run)
    {
        var md = new StringBuilder();
        Results.AppendHeader(md, "Workers benchmark results", run, ctx.Elapsed,
            "a shared VM: absolute figures move by tens of percent from run to run, so compare figures of the same run",
            $"Each figure is the median of its samples (p95 where its row says) after unmeasured warm-up; every baseline was measured in this same run. Built in Release. The DOC's figures over the wire and in process are in doc.md, the journal's in engine.md.");
        Results.AppendTableStart(md, "Against the targets", "| Figure | Result | Target | Met | Baseline (same run) |", "| --- | ---: | --- | --- | --- |");
        foreach (var f in ctx.Figures.Where(f => f.Target is not null))
            md.AppendLine($"| {f.Name} | {Value(f)} {f.Unit}{(f.JudgedByP95 ? " (p95)" : "")} | {f.Target} | {(f.Met is true ? "met" : f.Met is false ? "**not met**" : "—")} | {f.Baseline ?? "—"} |");
        md.AppendLine();
        Results.AppendTableStart(md, "Figures that explain the others", "| Figure | Result | Baseline |", "| --- | ---: | --- |");
        foreach (var f in ctx.Figures.Where(f => f.Target is null))
            md.AppendLine($"| {f.Name} | {Value(f)} {f.Unit} | {f.Baseline ?? "—"} |");
        md.AppendLine();
        Results.AppendList(md, "How each figure was measured", ctx.Figures.Where(f => f.How is not null).Select(f => $"**{f.Name}**: {f.How}."));
        Results.AppendList(md, "Samples", ctx.Figures.Select(f => $"{f.Name} ({f.Unit}): {string.Join(", ", f.Samples.Select(Fmt.N2))}"));
        Results.AppendList(md, "Findings", ctx.Findings);
        Results.AppendProblems(md, "Problems seen", ctx.Problems, "None: every run ended as it should.");
        return md.ToString();
    }

    private static string Value(Figure f) => f.Result >= 100 ? Fmt.N0(f.Result) : Fmt.N2(f.Result);
}
