using System.Diagnostics;
using System.Globalization;
using Caiman.Actors.Protocol;

namespace Caiman.Engine.Bench;

/// <summary>Figure 5: resuming a 1,000-checkpoint run from its checkpoint #900, again and again.</summary>
internal static class ResumeBench
{
    private const int Length = 1000;
    private const int From = 900;
    private const string RunId = "resume";

    public static async Task Run(BenchContext ctx)
    {
        var resumes = ctx.Quick ? 20 : 100;
        var rerun = Length - From;
        var from = Pipelines.Name("c", From);
        var total = ctx.Figure("resume-total", $"Resume from checkpoint #{From} of a {Length:N0}-checkpoint run until it completes again (median of {resumes})", "ms", "— (none given)");
        var revert = ctx.Figure("resume-revert", $"`ResumeAsync` returned: {rerun} checkpoints reset, their DOC changes reverted (median of {resumes})", "ms", "— (none given)");
        var first = ctx.Figure("resume-fresh", $"The same {rerun} checkpoints in the first run (checkpoint #{From} started until the last ended)", "ms");
        var chain = ctx.Figure("resume-chain", $"The first run: {Length:N0} DOC-writing checkpoints, start call to completed", "ms");

        await using var host = EngineHost.Start(Journal.Sqlite);
        var warm = await host.RunAsync("warm", Pipelines.Chain("warm", 20, DocWriteCheckpointType.TypeName, i => Args(i)), TimeSpan.FromMinutes(1));
        if (Pipelines.NotCompleted(warm.Status) is { } warmProblem) { ctx.Problem($"a 20-checkpoint DOC-writing chain did not complete: {warmProblem}"); return; }

        var (status, elapsed) = await host.RunAsync(RunId, Pipelines.Chain(RunId, Length, DocWriteCheckpointType.TypeName, i => Args(i)), TimeSpan.FromMinutes(2));
        if (Pipelines.NotCompleted(status) is { } problem) { ctx.Problem($"the {Length:N0}-checkpoint DOC-writing chain did not complete: {problem}"); return; }
        chain.Samples.Add(elapsed.TotalMilliseconds);
        if (LastStretch(status) is { } stretch) first.Samples.Add(stretch);
        if (!await DocIsWhole(ctx, host, "after the first run")) return;
        ctx.Log($"  resume: first run {Fmt.N0(elapsed.TotalMilliseconds)} ms; its last {rerun} checkpoints {Fmt.N0(first.Median)} ms");

        for (var i = 0; i < resumes; i++)
        {
            var clock = Stopwatch.StartNew();
            var resumed = await host.Engine.ResumeAsync(RunId, from);
            var reverted = clock.Elapsed;
            var final = await host.WaitAsync(RunId, TimeSpan.FromMinutes(1));
            var done = clock.Elapsed;
            if (Pipelines.NotCompleted(final) is { } notDone)
            {
                ctx.Problem($"resume {i + 1} from '{from}' (ResumeAsync replied phase {resumed.Phase}) did not complete the run: {notDone}");
                return;
            }
            var attempts = final.Checkpoints.First(c => c.Name == from).Attempts;
            if (attempts != i + 2) ctx.Problem($"after resume {i + 1} from '{from}' the checkpoint shows {attempts} attempts, not {i + 2}");
            total.Samples.Add(done.TotalMilliseconds);
            revert.Samples.Add(reverted.TotalMilliseconds);
            if (i % 10 == 0 || i == resumes - 1)
                ctx.Log($"  resume {i + 1}: ResumeAsync {Fmt.N1(reverted.TotalMilliseconds)} ms, completed {Fmt.N1(done.TotalMilliseconds)} ms");
        }
        await DocIsWhole(ctx, host, $"after {resumes} resumes");

        var tenth = Math.Max(1, resumes / 10);
        ctx.Facts["resume-first-tenth"] = Stats.Median(total.Samples.Take(tenth));
        ctx.Facts["resume-last-tenth"] = Stats.Median(total.Samples.TakeLast(tenth));
        ctx.Facts["revert-first-tenth"] = Stats.Median(revert.Samples.Take(tenth));
        ctx.Facts["revert-last-tenth"] = Stats.Median(revert.Samples.TakeLast(tenth));
        ctx.Note($"resume, by order: the first {tenth} resumes took {Fmt.N1(ctx.Facts["resume-first-tenth"])} ms (median; ResumeAsync {Fmt.N1(ctx.Facts["revert-first-tenth"])} ms), the last {tenth} {Fmt.N1(ctx.Facts["resume-last-tenth"])} ms (ResumeAsync {Fmt.N1(ctx.Facts["revert-last-tenth"])} ms); " +
            $"by then each of the {rerun} checkpoints had {resumes + 1} attempts. All samples in order, until completed: {Fmt.Trend(total.Samples, "ms")}");

        total.Baseline = $"the same {rerun} checkpoints in the first run: {Fmt.N0(first.Median)} ms";
        total.How = $"one chain of {Length:N0} `doc-write` checkpoints (each inserts one node under /persistent/bench, so each leaves a persisted DOC change), SQLite, run once; then {resumes} times: `ResumeAsync(run, from: \"{from}\")` " +
            $"(resets #{From}–#{Length - 1} and reverts their nodes) and `WaitAsync` until Completed, timed from the resume call; the DOC's {Length:N0} nodes are checked after the first run and after the last resume";
        revert.Baseline = $"the whole resume: {Fmt.N0(total.Median)} ms";
        revert.How = "the same resumes, from the call until `ResumeAsync` returned (the engine replies once the reverts are done and the resume is persisted)";
        first.How = $"from the first run's own status: checkpoint #{From}'s start until the last one's end";
        chain.How = "the first run of the chain, from `StartAsync` until `WaitAsync` returned Completed (one sample)";
    }

    private static string Args(int index) => "{\"index\":" + index.ToString(CultureInfo.InvariantCulture) + "}";

    private static double? LastStretch(RunStatus status)
    {
        var start = status.Checkpoints.First(c => c.Name == Pipelines.Name("c", From)).Started;
        var last = status.Checkpoints[^1];
        return start is { } s && last is { Started: { } ls, Duration: { } ld } ? (ls + ld - s).TotalMilliseconds : null;
    }

    /// <summary>The run's DOC holds exactly one node per checkpoint under /persistent/bench.</summary>
    private static async Task<bool> DocIsWhole(BenchContext ctx, EngineHost host, string when)
    {
        var doc = await host.Engine.DocAsync(RunId);
        var children = await doc.GetChildrenAsync(DocWriteCheckpointType.Parent);
        var names = children.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var missing = Enumerable.Range(0, Length).Select(DocWriteCheckpointType.NodeName).Where(n => !names.Contains(n)).ToList();
        if (children.Length == Length && missing.Count == 0) return true;
        ctx.Problem($"{when}, /persistent/bench holds {children.Length:N0} nodes, not {Length:N0}" +
            (missing.Count > 0 ? $"; missing: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")}" : ""));
        return false;
    }
}
