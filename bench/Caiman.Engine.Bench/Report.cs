using System.Text;

namespace Caiman.Engine.Bench;

internal static class Report
{
    public static string Markdown(BenchContext ctx, RunInfo run)
    {
        var md = new StringBuilder();
        Results.AppendHeader(md, "Engine benchmark results", run, ctx.Elapsed,
            "a shared VM: absolute figures move by tens of percent from run to run, so compare figures of the same run",
            $"Each figure is the median of {ctx.Reps} repetitions after an unmeasured one unless its row says otherwise (the cancel latency is judged on its p95); every baseline was measured in this same run. All samples are listed at the end.");
        Results.AppendTableStart(md, "Against the targets", "| # | Figure | Result | Target | Met | Baseline (same run) |", "| --- | --- | ---: | --- | --- | --- |");
        var judged = ctx.Figures.Where(f => f.Target is not null).ToList();
        for (var i = 0; i < judged.Count; i++)
        {
            var f = judged[i];
            var met = f.Met switch { true => "met", false => "**missed**", null => f.Samples.Count == 0 ? "not measured" : "—" };
            md.AppendLine($"| {i + 1} | {f.Name} | {Result(f)} | {f.Target} | {met} | {f.Baseline ?? "—"} |");
        }
        md.AppendLine();
        md.AppendLine("How each row was measured:");
        md.AppendLine();
        for (var i = 0; i < judged.Count; i++) md.AppendLine($"{i + 1}. {judged[i].How ?? "not measured in this run"}.");
        md.AppendLine();
        Results.AppendList(md, "Why the misses", judged.Where(f => f.Met == false).Select(f =>
            $"**{f.Name}** ({Result(f)}, target {f.Target}): {string.Join(" ", ctx.Why.GetValueOrDefault(f.Key) ?? ["not investigated in this run."])}"));
        Results.AppendList(md, "Findings", ctx.Findings);
        Results.AppendTableStart(md, "Figures that explain the others", "| Figure | Result | How measured |", "| --- | ---: | --- |");
        foreach (var f in ctx.Figures.Where(f => f.Target is null))
            md.AppendLine($"| {f.Name} | {Result(f)} | {f.How ?? "—"} |");
        md.AppendLine();
        md.AppendLine("## Samples");
        md.AppendLine();
        md.AppendLine("In the order taken.");
        md.AppendLine();
        foreach (var f in ctx.Figures.Where(f => f.Samples.Count > 0))
            md.AppendLine($"- {f.Name}: {Fmt.Trend(f.Samples, f.Unit)}");
        md.AppendLine();
        Results.AppendList(md, "Notes from the run", ctx.Notes);
        Results.AppendProblems(md, "Problems seen in the engine", ctx.Problems,
            "None: every run measured ended in the phase expected (completed, or cancelled when cancelled) with every checkpoint in the state expected, and every DOC checked held exactly the nodes expected.");
        return md.ToString();
    }

    private static string Result(Figure f) =>
        f.Samples.Count == 0 ? "—" : Fmt.Value(f.Result, f.Unit) + (f.JudgedBy == Statistic.P95 ? " (p95)" : "");
}
