namespace Caiman.Engine.Bench;

/// <summary>
/// Relates the figures of one run to each other: the baselines shown next to each judged figure,
/// and for each missed target the figures of the same run that say where the time went. Every
/// sentence is built from measured numbers; fixed text only says how the engine and the harness work.
/// </summary>
internal static class Why
{
    public static void Explain(BenchContext ctx)
    {
        Overhead(ctx);
        Wide(ctx);
        Makespan(ctx);
        Cancel(ctx);
        Resume(ctx);
    }

    private static Figure? Measured(BenchContext ctx, string key) => ctx.Find(key) is { Samples.Count: > 0 } f ? f : null;

    private static void Overhead(BenchContext ctx)
    {
        if (Measured(ctx, "overhead-sqlite") is not { } sqlite) return;
        var plain = Measured(ctx, "plain-call");
        var inmem = Measured(ctx, "overhead-inmem");
        var floor = Measured(ctx, "floor-sqlite");
        var parts = new List<string>();
        if (plain is not null) parts.Add($"plain loop {Fmt.Value(plain.Median, plain.Unit)} (the engine takes {Fmt.N0(sqlite.Median * 1e6 / plain.Median)} times as long)");
        if (inmem is not null) parts.Add($"engine on the in-memory journal {Fmt.Value(inmem.Median, inmem.Unit)}");
        if (floor is not null) parts.Add($"one sequential durable SQLite write {Fmt.Value(floor.Median, floor.Unit)}");
        sqlite.Baseline = string.Join("; ", parts);
        if (sqlite.Met != false) return;

        var events = ctx.Facts.GetValueOrDefault("events-per-checkpoint", double.NaN);
        var cpu = Measured(ctx, "overhead-cpu-sqlite");
        if (inmem is not null)
            ctx.Explain("overhead-sqlite", $"On the in-memory journal the same chain takes {Fmt.Value(inmem.Median, inmem.Unit)}, so the SQLite journal accounts for {Fmt.N3(sqlite.Median - inmem.Median)} ms of each checkpoint's {Fmt.N3(sqlite.Median)} ms" +
                (inmem.Median > 2 ? $", and the engine without SQLite already misses the target." : "."));
        var floorCpu = Measured(ctx, "floor-sqlite-cpu");
        if (floor is not null)
            ctx.Explain("overhead-sqlite", $"A trivial persistent actor's sequential durable write on the same journal settings takes {Fmt.Value(floor.Median, floor.Unit)}; the chain persisted {Fmt.N2(events)} events per checkpoint, " +
                $"so {Fmt.N1(sqlite.Median / floor.Median)} such writes' worth of time passes per checkpoint" + (floorCpu is null ? "." : $"; the trivial actor's write alone uses {Fmt.N3(floorCpu.Median)} ms of CPU."));
        if (cpu is not null)
            ctx.Explain("overhead-sqlite", $"The process used {Fmt.Value(cpu.Median, cpu.Unit)} of CPU (all threads) per checkpoint against {Fmt.N3(sqlite.Median)} ms of wall time: " +
                (cpu.Median >= 0.8 * sqlite.Median ? "the chain is bound by CPU work, not by waiting for the disk." : $"{Fmt.N0(100 * (1 - Math.Min(1, cpu.Median / sqlite.Median)))}% of the wall time no core of the process was busy, i.e. it waited (for commits to reach the disk, or for timers)."));
    }

    private static void Wide(BenchContext ctx)
    {
        var plain = Measured(ctx, "plain-call");
        var sequential = Measured(ctx, "overhead-sqlite");
        foreach (var f in ctx.Figures.Where(f => f.Key.StartsWith("wide-sqlite-p", StringComparison.Ordinal) && !f.Key.EndsWith("-cpu", StringComparison.Ordinal) && f.Samples.Count > 0))
        {
            var parts = new List<string>();
            if (plain is not null) parts.Add($"plain loop {Fmt.N0(1e9 / plain.Median)} calls/s");
            if (sequential is not null) parts.Add($"the sequential SQLite chain {Fmt.N0(1000 / sequential.Median)} checkpoints/s");
            var p = f.Key["wide-sqlite-p".Length..];
            if (Measured(ctx, "wide-inmem-p" + p) is { } inmem) parts.Add($"the same graph on the in-memory journal {Fmt.N0(inmem.Median)} checkpoints/s");
            f.Baseline = string.Join("; ", parts);
            if (f.Met != false) continue;
            var cpu = Measured(ctx, f.Key + "-cpu");
            if (cpu is not null)
                ctx.Explain(f.Key, $"CPU (all threads) per checkpoint {Fmt.Value(cpu.Median, cpu.Unit)} against {Fmt.N3(1000 / f.Median)} ms of wall time per checkpoint on {Environment.ProcessorCount} cores" +
                    (cpu.Median >= 0.8 * Environment.ProcessorCount * 1000 / f.Median ? ": every core is busy, so it is CPU work that limits the rate." : "."));
            if (Measured(ctx, "wide-inmem-p" + p) is { } mem)
                ctx.Explain(f.Key, mem.Median < 2000
                    ? $"On the in-memory journal the same graph does {Fmt.N0(mem.Median)} checkpoints/s, also below the target: the journal is not what limits it."
                    : $"On the in-memory journal the same graph does {Fmt.N0(mem.Median)} checkpoints/s: the journal costs the difference.");
            if (Measured(ctx, "wide-inmem-p64-n1000") is { } small && Measured(ctx, "wide-inmem-p64") is { } large)
            {
                var (perSmall, perLarge) = (1000 / small.Median, 1000 / large.Median);
                ctx.Explain(f.Key, $"In memory, a checkpoint costs {Fmt.N3(perSmall)} ms of wall time in a graph of 1,001 and {Fmt.N3(perLarge)} ms in one of {WideBench.Width + 1:N0}" +
                    (perLarge > 1.5 * perSmall
                        ? ": the cost per checkpoint grows with the graph, so some of the work done per checkpoint is proportional to the number of checkpoints in the run."
                        : ": about the same, so the cost per checkpoint does not depend on the size of the graph."));
            }
            if (Measured(ctx, "floor-sqlite") is { } floor && Measured(ctx, "floor-sqlite-cpu") is { } floorCpu && int.TryParse(p, out var parallelism))
            {
                var other = ctx.Figures.FirstOrDefault(o => o != f && o.Key.StartsWith("wide-sqlite-p", StringComparison.Ordinal) && !o.Key.EndsWith("-cpu", StringComparison.Ordinal) && o.Samples.Count > 0);
                ctx.Explain(f.Key, $"An attempt starts only once its start is written to the journal, and the completions that arrive while a write is in flight share the next write, so with parallelism {parallelism} a write carries at most {parallelism} completions; " +
                    $"one sequential durable write of a trivial persistent actor takes {Fmt.N3(floor.Median)} ms on this journal ({Fmt.N3(floorCpu.Median)} ms of CPU), so writes alone would allow at most about {Fmt.N0(parallelism * 1000 / floor.Median)} checkpoints/s at this parallelism, before the time the attempts take between writes" +
                    (other is null ? "." : $"; with parallelism {other.Key["wide-sqlite-p".Length..]} the same graph on the same journal does {Fmt.N0(other.Median)} checkpoints/s."));
            }
            if (ctx.Facts.TryGetValue(f.Key + "-first-half-rate", out var firstHalf) && ctx.Facts.TryGetValue(f.Key + "-second-half-rate", out var secondHalf))
                ctx.Explain(f.Key, $"By the checkpoints' start times (first repetition) the first half of the graph started at {Fmt.N0(firstHalf)} checkpoints/s and the second half at {Fmt.N0(secondHalf)} checkpoints/s" +
                    (firstHalf < 0.8 * secondHalf ? ": the rate rises as the run goes on." : firstHalf > 1.25 * secondHalf ? ": the rate falls as the run goes on." : ": about the same rate throughout the run."));
        }
    }

    private static void Makespan(BenchContext ctx)
    {
        if (Measured(ctx, "makespan-ratio") is not { } ratio || ratio.Met != false) return;
        var critical = ctx.Facts.GetValueOrDefault("critical-path", double.NaN);
        var steps = ctx.Facts.GetValueOrDefault("critical-path-length", double.NaN);
        if (Measured(ctx, "makespan") is { } makespan && Measured(ctx, "makespan-step") is { } step)
            ctx.Explain("makespan-ratio", $"The makespan {Fmt.N3(makespan.Median)} s exceeds the critical path {Fmt.N3(critical)} s by {Fmt.N0((makespan.Median - critical) * 1000)} ms, {Fmt.N0(step.Median)} ms for each of the {steps} checkpoints on it; 5% of this critical path allows {Fmt.N0(critical * 50 / steps)} ms per step.");
        if (Measured(ctx, "makespan-plain") is { } plain)
            ctx.Explain("makespan-ratio", $"Run by the bench one after another with no engine, the same {steps} processes take {Fmt.N3(plain.Median)} s, {Fmt.N0((plain.Median - critical) * 1000 / steps)} ms per process over its sleep: the part of the excess that is starting /bin/sh and sleep.");
        ctx.Explain("makespan-ratio", "Where the rest goes along the path (the run's own timestamps) is in the notes.");
    }

    private static void Cancel(BenchContext ctx)
    {
        if (Measured(ctx, "cancel") is not { } cancel || cancel.Met != false) return;
        if (Measured(ctx, "cancel-returned") is { } returned)
            ctx.Explain("cancel", $"`CancelAsync` itself returned after {Fmt.N2(returned.Median)} ms (median; p95 {Fmt.N2(returned.Percentile(0.95))} ms).");
        if (Measured(ctx, "cancel-floor") is { } floor)
            ctx.Explain("cancel", $"Signalled by the bench directly, the same tree is gone after {Fmt.N2(floor.Median)} ms (median; p95 {Fmt.N2(floor.Percentile(0.95))} ms), so the engine's path to the signal accounts for the rest.");
        var sorted = cancel.Samples.Order().ToList();
        ctx.Explain("cancel", $"The samples, sorted: {string.Join(", ", sorted.Select(Fmt.N1))} ms.");
    }

    /// <summary>Findings about resuming: whether the revert grows with the attempts, and what a DOC write adds to a checkpoint.</summary>
    private static void Resume(BenchContext ctx)
    {
        if (Measured(ctx, "resume-revert") is not { } revert || Measured(ctx, "resume-total") is not { } total) return;
        var (firstRevert, lastRevert) = (ctx.Facts.GetValueOrDefault("revert-first-tenth", double.NaN), ctx.Facts.GetValueOrDefault("revert-last-tenth", double.NaN));
        var (firstTotal, lastTotal) = (ctx.Facts.GetValueOrDefault("resume-first-tenth", double.NaN), ctx.Facts.GetValueOrDefault("resume-last-tenth", double.NaN));
        var tenth = Math.Max(1, revert.Samples.Count / 10);
        if (lastRevert > 3 * firstRevert)
            ctx.Findings.Add($"`ResumeAsync` slows down with every resume of the same checkpoints: the first {tenth} of {revert.Samples.Count} resumes from checkpoint #900 returned after {Fmt.N1(firstRevert)} ms (median), the last {tenth} after {Fmt.N1(lastRevert)} ms " +
                $"({Fmt.N1(lastRevert / firstRevert)} times as long), and the whole resume went from {Fmt.N0(firstTotal)} ms to {Fmt.N0(lastTotal)} ms. Each resume adds an attempt to each of the 100 checkpoints it resets, and the DOC's nodes stay the same 100, " +
                "so what grows is the number of attempts (writers) the resume handles, not the data.");
        else
            ctx.Findings.Add($"`ResumeAsync` did not slow down over {revert.Samples.Count} resumes of the same checkpoints: the first {tenth} returned after {Fmt.N1(firstRevert)} ms (median), the last {tenth} after {Fmt.N1(lastRevert)} ms.");
        if (Measured(ctx, "resume-chain") is { } chain && Measured(ctx, "overhead-sqlite") is { } noop)
            ctx.Findings.Add($"A chain of 1,000 checkpoints that each insert one persisted DOC node took {Fmt.N0(chain.Median)} ms, {Fmt.N2(chain.Median / 1000)} ms per checkpoint, against {Fmt.N3(noop.Median)} ms per no-op checkpoint on the same journal: one DOC write adds {Fmt.N2(chain.Median / 1000 - noop.Median)} ms to a sequential checkpoint.");
    }
}
