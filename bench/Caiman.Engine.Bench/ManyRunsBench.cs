using System.Diagnostics;
using Akka.Actor;
using Caiman.Actors.Protocol;

namespace Caiman.Engine.Bench;

/// <summary>
/// Many runs at once: 100 runs of a 10-checkpoint no-op chain, all started together, on SQLite and
/// in memory, against the journal floor of the same shape (100 trivial persistent actors, each doing
/// a run's number of sequential writes, all at once). What one run's writes cost is shared within
/// the run; this says whether it is shared across runs too.
/// </summary>
internal static class ManyRunsBench
{
    public const int Runs = 100;
    public const int Checkpoints = 10;
    /// <summary>Unmeasured rounds of the same size in each system first: a daemon runs warm, and a fresh system's journal is still compiling its queries.</summary>
    private const int WarmUpRounds = 2;

    /// <summary>Writes per run before the first SQLite repetition has counted them: a run's commits (start, one per checkpoint) and its index entry.</summary>
    private const int AssumedWritesPerRun = Checkpoints + 2;

    public static async Task Run(BenchContext ctx)
    {
        var sqlite = ctx.Figure("many-sqlite", $"Runs started together: {Runs} runs of {Checkpoints} no-op checkpoints, SQLite journal", "runs/s", "≥ 500 runs/s", v => v >= 500);
        var inmem = ctx.Figure("many-inmem", $"Runs started together: {Runs} runs of {Checkpoints} no-op checkpoints, in-memory journal", "runs/s");
        var floorSqlite = ctx.Figure("many-floor-sqlite", $"Journal floor for runs started together: {Runs} trivial persistent actors writing a run's writes one after another, SQLite", "runs/s");
        var floorInmem = ctx.Figure("many-floor-inmem", $"Journal floor for runs started together: {Runs} trivial persistent actors writing a run's writes one after another, in-memory journal", "runs/s");
        var cpu = ctx.Figure("many-sqlite-cpu", $"CPU time per run, {Runs} runs started together, SQLite journal (all threads)", "ms");
        var cpuInmem = ctx.Figure("many-inmem-cpu", $"CPU time per run, {Runs} runs started together, in-memory journal (all threads)", "ms");
        var cpuFloor = ctx.Figure("many-floor-sqlite-cpu", $"CPU time per trivial persistent actor of the SQLite floor (all threads)", "ms");
        var writes = AssumedWritesPerRun;
        for (var rep = -1; rep < ctx.Reps; rep++)
        {
            var measured = await EngineRep(ctx, Journal.Sqlite, rep, sqlite, cpu);
            if (measured is null) return;
            // Counted once, in the unmeasured round, so that every floor repetition does the same work.
            if (rep < 0 && measured > 0) writes = measured.Value;
            if (await EngineRep(ctx, Journal.InMemory, rep, inmem, cpuInmem) is null) return;
            await FloorRep(ctx, Journal.Sqlite, rep, writes, floorSqlite, cpuFloor);
            await FloorRep(ctx, Journal.InMemory, rep, writes, floorInmem, null);
        }
        sqlite.Baseline = $"in-memory journal {Fmt.N0(inmem.Median)} runs/s; journal floor {Fmt.N0(floorSqlite.Median)} runs/s on SQLite, {Fmt.N0(floorInmem.Median)} in memory; " +
            $"CPU {Fmt.N1(cpu.Median)} ms/run on SQLite against {Fmt.N1(cpuInmem.Median)} in memory";
        var shape = $"{Runs} runs of a {Checkpoints}-checkpoint chain of no-op checkpoints (each `after` the one before), each started with `StartAsync` and awaited with `WaitAsync`, all {Runs} at once; " +
            $"{Runs} / the wall time from the first start call until the last run completed; every run checked to have completed all {Checkpoints} checkpoints in one attempt each; " +
            $"a new ActorSystem and engine on a new {{0}} per repetition, {WarmUpRounds} rounds of {Runs} such runs at once first (unmeasured); interleaved with the other journal and the floors, repetition by repetition, after one unmeasured round";
        sqlite.How = string.Format(shape, "SQLite file (WAL, synchronous=FULL)");
        inmem.How = string.Format(shape, "in-memory journal");
        floorSqlite.How = floorInmem.How = $"{Runs} trivial persistent actors, all told at once to persist {writes} small events one after another (each from the previous one's handler: {writes} is a run's count of journal writes, from the SQLite runs' journal), " +
            $"on the engine's journal settings in a new system per repetition after {WarmUpRounds} unmeasured rounds of {Runs} such actors; {Runs} / the wall time until the last actor is done";
        cpu.How = cpuInmem.How = "the process's CPU time (all threads) over the same measured runs, divided by the runs";
        cpuFloor.How = "the process's CPU time (all threads) over the same measured floor, divided by its actors (each recovers, then writes)";
        ctx.Facts["many-writes-per-run"] = writes;
    }

    /// <summary>One repetition; the run's count of journal writes (0 when not counted), or null if the engine failed.</summary>
    private static async Task<int?> EngineRep(BenchContext ctx, Journal journal, int rep, Figure figure, Figure? cpuFigure)
    {
        await using var host = EngineHost.Start(journal);
        var pipeline = Pipelines.Chain("many", Checkpoints, NoOpCheckpointType.TypeName);
        for (var round = 0; round < WarmUpRounds; round++)
            if (await StartTogether(ctx, host, $"warm{round}-", Runs, pipeline) is null) return null;
        EngineHost.Settle();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var elapsed = await StartTogether(ctx, host, "m", Runs, pipeline);
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        if (elapsed is null) return null;
        var rate = Runs / elapsed.Value.TotalSeconds;
        ctx.Log($"  {Runs} runs at once ({journal}) rep {rep}: {Fmt.N0(elapsed.Value.TotalMilliseconds)} ms, {Fmt.N0(rate)} runs/s, CPU {Fmt.N3(cpuUsed.TotalMilliseconds / Runs)} ms per run");
        var writes = host.DbFile is { } file ? CountWrites(ctx, file, rep) : 0;
        if (rep < 0) return writes;
        figure.Samples.Add(rate);
        cpuFigure?.Samples.Add(cpuUsed.TotalMilliseconds / Runs);
        return writes;
    }

    /// <summary>Starts <paramref name="count"/> runs at once and waits for them all; the wall time, or null (and a problem) if any did not complete.</summary>
    private static async Task<TimeSpan?> StartTogether(BenchContext ctx, EngineHost host, string prefix, int count, Caiman.Checkpoints.Pipelines.PipelineDefinition pipeline)
    {
        var clock = Stopwatch.StartNew();
        RunStatus[] done;
        try
        {
            done = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                var id = Pipelines.Name(prefix, i);
                await host.Engine.StartAsync(id, pipeline).ConfigureAwait(false);
                return await host.WaitAsync(id, TimeSpan.FromMinutes(2)).ConfigureAwait(false);
            })).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ctx.Problem($"{count} runs started together: {e.GetType().Name}: {e.Message}");
            return null;
        }
        var elapsed = clock.Elapsed;
        var failed = done.Select(s => (s.RunId, Problem: Pipelines.NotCompleted(s) ?? (s.Checkpoints.Any(c => c.Attempts != 1) ? "a checkpoint ran more than once" : null)))
            .Where(r => r.Problem is not null).ToList();
        if (failed.Count == 0) return elapsed;
        ctx.Problem($"{failed.Count} of {count} runs started together did not complete: {string.Join("; ", failed.Take(3).Select(f => $"{f.RunId}: {f.Problem}"))}");
        return null;
    }

    /// <summary>
    /// A run's journal writes, from its rows: every event of one write carries the same timestamp, so a
    /// write is a distinct (persistence id, created). The runs index writes one event per run.
    /// </summary>
    private static int CountWrites(BenchContext ctx, string file, int rep)
    {
        var (rows, writes) = SqliteFile.Query(file,
            "SELECT count(*), count(DISTINCT persistence_id || ':' || created) FROM journal WHERE persistence_id LIKE 'run-m%' OR persistence_id LIKE 'doc-m%'",
            r => (r.GetInt64(0), r.GetInt64(1)), readOnly: true).First();
        var perRun = (int)Math.Round(writes / (double)Runs) + 1;
        if (rep == 0)
            ctx.Note($"{Runs} runs started together wrote {rows:N0} events in {writes:N0} writes to their own persistence ids ({Fmt.N2(rows / (double)Runs)} events, {Fmt.N2(writes / (double)Runs)} writes per run), and one index event each");
        return perRun;
    }

    private static async Task FloorRep(BenchContext ctx, Journal journal, int rep, int writes, Figure figure, Figure? cpuFigure)
    {
        await using var host = EngineHost.Start(journal);
        for (var round = 0; round < WarmUpRounds; round++) await PersistTogether(host.System, $"warm{round}-", Runs, writes);
        EngineHost.Settle();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await PersistTogether(host.System, "floor", Runs, writes);
        var elapsed = clock.Elapsed;
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var rate = Runs / elapsed.TotalSeconds;
        ctx.Log($"  floor, {Runs} actors x {writes} sequential writes ({journal}) rep {rep}: {Fmt.N0(elapsed.TotalMilliseconds)} ms, {Fmt.N0(rate)} runs/s, CPU {Fmt.N3(cpuUsed.TotalMilliseconds / Runs)} ms per actor");
        if (rep < 0) return;
        figure.Samples.Add(rate);
        cpuFigure?.Samples.Add(cpuUsed.TotalMilliseconds / Runs);
    }

    private static Task PersistTogether(ActorSystem system, string prefix, int actors, int writes) =>
        Task.WhenAll(Enumerable.Range(0, actors).Select(i =>
            system.ActorOf(SequentialPersistActor.Props(Pipelines.Name(prefix, i))).Ask<SequenceDone>(new PersistSequentially(writes), TimeSpan.FromMinutes(2))));
}
