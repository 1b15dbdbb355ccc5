using System.Diagnostics;
using Akka.Actor;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Caiman.Engine.Bench;

/// <summary>Figure 1: what the engine costs per sequential checkpoint, against calling the checkpoint directly.</summary>
internal static class OverheadBench
{
    public const int ChainLength = 1000;
    private const int WarmUpLength = 20;

    /// <summary>The baseline: the no-op checkpoint's ExecuteAsync awaited in a plain loop, with one context built once.</summary>
    public static async Task Baseline(BenchContext ctx)
    {
        var figure = ctx.Figure("plain-call", "Plain loop: no-op ExecuteAsync awaited directly", "ns/call");
        var type = new NoOpCheckpointType();
        var checkpoint = type.Create(CheckpointArgs.Empty);
        var context = PlainContext();
        for (var rep = -1; rep < ctx.Reps; rep++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < ChainLength; i++) await checkpoint.ExecuteAsync(context, CancellationToken.None);
            var elapsed = clock.Elapsed;
            if (rep >= 0) figure.Samples.Add(elapsed.TotalNanoseconds / ChainLength);
        }
        figure.How = $"{ChainLength:N0} awaited calls of the same no-op checkpoint's ExecuteAsync in a for loop, one CheckpointContext built before the loop; after one unmeasured pass";
        ctx.Log($"plain loop: {Fmt.N1(figure.Median)} ns per call");
    }

    /// <summary>
    /// A context like the engine's, but with nothing behind it: no DOC (a checkpoint that does not
    /// use it, or a command without <c>%{}</c> references, never notices), launches recorded nowhere.
    /// </summary>
    public static CheckpointContext PlainContext(CheckpointArgs? args = null)
    {
        var writer = new Writer("plain", "c0000", 1);
        Directory.CreateDirectory(EngineHost.TempDir);
        return new CheckpointContext
        {
            Writer = writer,
            Doc = new DocClient(ActorRefs.Nobody, writer, TimeSpan.FromSeconds(30)),
            Args = args ?? CheckpointArgs.Empty,
            Logger = NullLogger.Instance,
            Progress = new NoProgress(),
            Errors = new NoErrors(),
            BaseDirectory = EngineHost.TempDir,
            Launches = new NoLaunches(),
            ProcessHost = ProcessHost.For(PlainSystem.Value),
        };
    }

    /// <summary>An actor system for nothing but the process supervisor of plain contexts.</summary>
    private static readonly Lazy<ActorSystem> PlainSystem = new(() => ActorSystem.Create("plain", Caiman.Checkpoints.CheckpointsConfig.Default()));

    /// <summary>
    /// Figure 1, its in-memory twin and the journal floor, interleaved: each repetition runs one
    /// of each selected part in turn, so that none of them gets the machine's quiet (or busy) spell alone.
    /// </summary>
    public static async Task Run(BenchContext ctx, bool floor, bool chainSqlite, bool chainInMemory)
    {
        // Two unmeasured rounds: with one, the first measured round of a fresh process was still slower than the rest.
        for (var rep = -2; rep < ctx.Reps; rep++)
        {
            if (floor && !await FloorRep(ctx, rep)) return;
            if (chainSqlite && !await ChainRep(ctx, Journal.Sqlite, rep)) return;
            if (chainInMemory && !await ChainRep(ctx, Journal.InMemory, rep)) return;
        }
        if (floor)
        {
            var sqlite = ctx.Find("floor-sqlite")!;
            sqlite.How = ctx.Find("floor-inmem")!.How = $"a persistent actor persists {ChainLength:N0} small string events one after another, each once the one before is durable (Persist from the previous Persist's handler), " +
                "on a new file/system per repetition after 20 unmeasured writes; interleaved with the chains, repetition by repetition, after two unmeasured rounds";
            ctx.Find("floor-sqlite-cpu")!.How = $"the process's CPU time over the same {ChainLength:N0} writes, divided by them";
            ctx.Log($"journal floor: SQLite {Fmt.N3(sqlite.Median)} ms, in-memory {Fmt.N3(ctx.Find("floor-inmem")!.Median)} ms per sequential write");
        }
        foreach (var journal in new[] { Journal.Sqlite, Journal.InMemory }.Where(j => j == Journal.Sqlite ? chainSqlite : chainInMemory))
        {
            var sqlite = journal == Journal.Sqlite;
            ChainFigure(ctx, journal).How = $"a new ActorSystem and engine on a new {(sqlite ? "SQLite file (WAL, synchronous=FULL)" : "in-memory journal")} per repetition, a {WarmUpLength}-checkpoint chain run first (unmeasured); " +
                $"then `StartAsync` of a {ChainLength:N0}-checkpoint chain of no-op checkpoints (each `after` the one before) until `WaitAsync` returns Completed, divided by {ChainLength:N0}; " +
                "interleaved with the other chain and the journal floor, repetition by repetition, after two unmeasured rounds";
            ChainCpuFigure(ctx, journal).How = "the process's total CPU time (all threads) over the same measured chain, divided by the checkpoints";
        }
    }

    private static Figure ChainFigure(BenchContext ctx, Journal journal) => journal == Journal.Sqlite
        ? ctx.Figure("overhead-sqlite", $"Engine overhead per sequential no-op checkpoint, SQLite journal ({ChainLength:N0}-checkpoint chain)", "ms/checkpoint", "≤ 2 ms", v => v <= 2)
        : ctx.Figure("overhead-inmem", $"Engine overhead per sequential no-op checkpoint, in-memory journal ({ChainLength:N0}-checkpoint chain)", "ms/checkpoint");

    private static Figure ChainCpuFigure(BenchContext ctx, Journal journal) => journal == Journal.Sqlite
        ? ctx.Figure("overhead-cpu-sqlite", "CPU time per sequential no-op checkpoint, SQLite journal (all threads)", "ms/checkpoint")
        : ctx.Figure("overhead-cpu-inmem", "CPU time per sequential no-op checkpoint, in-memory journal (all threads)", "ms/checkpoint");

    /// <summary>One repetition of a chain of no-op checkpoints, start call to stop; false if the engine failed.</summary>
    private static async Task<bool> ChainRep(BenchContext ctx, Journal journal, int rep)
    {
        var sqlite = journal == Journal.Sqlite;
        var figure = ChainFigure(ctx, journal);
        var cpu = ChainCpuFigure(ctx, journal);
        await using var host = EngineHost.Start(journal);
        // A short run first in every system, unmeasured: the journal's tables and connections exist before the timing.
        var warm = await host.RunAsync("warm", Pipelines.Chain("warm", WarmUpLength, NoOpCheckpointType.TypeName), TimeSpan.FromMinutes(1));
        if (Pipelines.NotCompleted(warm.Status) is { } warmProblem) { ctx.Problem($"a {WarmUpLength}-checkpoint no-op chain did not complete: {warmProblem}"); return false; }
        EngineHost.Settle();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var (status, elapsed) = await host.RunAsync("chain", Pipelines.Chain("chain", ChainLength, NoOpCheckpointType.TypeName), TimeSpan.FromMinutes(2));
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        if (Pipelines.NotCompleted(status) is { } problem) { ctx.Problem($"the {ChainLength:N0}-checkpoint no-op chain did not complete: {problem}"); return false; }
        ctx.Log($"  chain ({journal}) rep {rep}: {Fmt.N0(elapsed.TotalMilliseconds)} ms, {Fmt.N3(elapsed.TotalMilliseconds / ChainLength)} ms per checkpoint, CPU {Fmt.N3(cpuUsed.TotalMilliseconds / ChainLength)} ms per checkpoint");
        if (rep < 0) return true;
        figure.Samples.Add(elapsed.TotalMilliseconds / ChainLength);
        cpu.Samples.Add(cpuUsed.TotalMilliseconds / ChainLength);
        if (sqlite && rep == 0 && host.DbFile is { } file)
        {
            var rows = Sqlite.ByManifest(file, "run-chain");
            var total = rows.Sum(r => r.Rows);
            ctx.Note($"the {ChainLength:N0}-checkpoint chain's journal (persistence id run-chain): {total:N0} events, {Fmt.N2(total / (double)ChainLength)} per checkpoint, " +
                $"{Fmt.N0(rows.Sum(r => r.PayloadBytes))} B of payload; by manifest: {string.Join(", ", rows.Select(r => $"{r.Manifest} {r.Rows:N0} ({Fmt.N0(r.PayloadBytes)} B)"))}");
            var doc = Sqlite.Events(file, "%chain%");
            if (doc.Rows > total) ctx.Note($"other journal rows of the chain's run (its DOC): {doc.Rows - total:N0}");
            ctx.Facts["events-per-checkpoint"] = total / (double)ChainLength;
        }
        return true;
    }

    /// <summary>One repetition of the journal floor on both journals: the cost of one sequential (durable) write.</summary>
    private static async Task<bool> FloorRep(BenchContext ctx, int rep)
    {
        var sqlite = ctx.Figure("floor-sqlite", "Journal floor: one sequential durable write, SQLite (trivial persistent actor)", "ms");
        var sqliteCpu = ctx.Figure("floor-sqlite-cpu", "Journal floor: CPU time per sequential durable write, SQLite (all threads)", "ms");
        var inmem = ctx.Figure("floor-inmem", "Journal floor: one sequential write, in-memory journal (trivial persistent actor)", "ms");
        var s = await JournalFloor.MeasureAsync(Journal.Sqlite, ChainLength);
        var m = await JournalFloor.MeasureAsync(Journal.InMemory, ChainLength);
        ctx.Log($"  journal floor rep {rep}: SQLite {Fmt.N3(s.WallMs)} ms (CPU {Fmt.N3(s.CpuMs)} ms), in-memory {Fmt.N3(m.WallMs)} ms per sequential write");
        if (rep < 0) return true;
        sqlite.Samples.Add(s.WallMs);
        sqliteCpu.Samples.Add(s.CpuMs);
        inmem.Samples.Add(m.WallMs);
        return true;
    }

    private sealed class NoProgress : IProgressReporter
    {
        public void Report(double percent, string? message = null) { }
    }

    private sealed class NoErrors : IErrorReporter
    {
        public void Report(CheckpointErrorKind kind, string message, Exception? exception = null, IReadOnlyDictionary<string, string>? data = null) { }
    }

    private sealed class NoLaunches : IProcessLaunchRecorder
    {
        public Task RecordAsync(ProcessLaunch launch) => Task.CompletedTask;
    }
}
