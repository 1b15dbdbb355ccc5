using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Bench;

/// <summary>Everything that touches the SQLite journal: bytes per change, recovery; the throughput is in PersistenceBench.Throughput.cs.</summary>
internal static partial class PersistenceBench
{
    private const int Subtrees = 8;

    /// <summary>The run's SQLite files; deleted when the run ends.</summary>
    public static ScratchDirectory Scratch { get; } = new("caiman-doc-bench");

    private static string DbFile(string name) => Scratch.NewFile(name);

    /// <summary>Each subtree's latest journal sequence number.</summary>
    private static Dictionary<string, long> JournalHeads(string file)
    {
        var result = new Dictionary<string, long>();
        using var connection = SqliteFile.Open(file);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT persistence_id, max(sequence_number) FROM journal WHERE persistence_id LIKE '%/persistent/%' GROUP BY persistence_id";
        using var reader = command.ExecuteReader();
        while (reader.Read()) result[reader.GetString(0)] = reader.GetInt64(1);
        return result;
    }

    /// <summary>Each subtree's latest snapshot: its sequence number (events behind it) and size.</summary>
    private static Dictionary<string, (long Seq, long Bytes)> LatestSnapshots(string file)
    {
        var result = new Dictionary<string, (long, long)>();
        if (Sqlite.Scalar(file, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'snapshot'") == 0) return result;
        using var connection = SqliteFile.Open(file);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT persistence_id, sequence_number, length(snapshot) FROM snapshot s WHERE persistence_id LIKE '%/persistent/%' " +
            "AND sequence_number = (SELECT max(sequence_number) FROM snapshot t WHERE t.persistence_id = s.persistence_id)";
        using var reader = command.ExecuteReader();
        while (reader.Read()) result[reader.GetString(0)] = (reader.GetInt64(1), reader.IsDBNull(2) ? 0 : reader.GetInt64(2));
        return result;
    }

    // ---- Building a big persisted subtree ---------------------------------------------------------

    private static PropertyMap Value(string text) => PropertyMap.Of(("v", DocValue.From(text)));

    /// <summary>
    /// <c>/persistent/{mount}</c> with <paramref name="parents"/> children g0.., each inserted in one
    /// InsertChildren together with its <paramref name="childrenPerParent"/> leaves h0..; every node has a short property v.
    /// </summary>
    public static async Task<int> BuildBig(DocClient doc, string mount, int parents, int childrenPerParent)
    {
        await doc.InsertAsync("/persistent", new NewNode(mount, DocNames.DefaultKind, Value(mount)));
        var asks = new List<Task<MutationResult>>(parents);
        for (var g = 0; g < parents; g++)
        {
            var chunk = new NewNode($"g{g}", DocNames.DefaultKind, Value($"g{g}"))
                .WithChildren([.. Enumerable.Range(0, childrenPerParent).Select(h => new NewNode($"h{h}", DocNames.DefaultKind, Value($"n{g}.{h}")))]);
            asks.Add(doc.Actor.Ask<MutationResult>(new Mutate(doc.Writer, [new Mutation.InsertChildren($"/persistent/{mount}", [chunk], InsertPosition.Append.Instance)]), TimeSpan.FromMinutes(5)));
        }
        var results = await Task.WhenAll(asks);
        if (results.FirstOrDefault(r => r.Error is not null) is { } failed) throw new DocException(failed.Error!);
        return 1 + parents * (1 + childrenPerParent);
    }

    // ---- Bytes written per changed node -----------------------------------------------------------

    public static async Task JournalBytes(BenchContext ctx)
    {
        var file = DbFile("journal.db");
        var system = ActorSystem.Create("journal", AkkaConfigs.Sqlite(file, 1_000_000));
        try
        {
            var doc = DocClient.Start(system, "bench");
            var bigParents = ctx.Quick ? 20 : 100;
            var start = Sqlite.MaxOrdering(file);
            var clock = Stopwatch.StartNew();
            var bigNodes = await BuildBig(doc, "big", bigParents, 999);
            ctx.Log($"journal bytes: built /persistent/big, {bigNodes:N0} nodes in {bigParents} InsertChildren of 1,000 nodes, {clock.Elapsed.TotalSeconds:N1} s");
            var buildRows = Sqlite.JournalRows(file, start).Where(r => r.Manifest == "doc.ChildrenInserted" && r.PersistenceId.EndsWith("/persistent/big", StringComparison.Ordinal)).ToList();
            if (buildRows.Count > 1)
            {
                var chunkRows = buildRows.Skip(1).ToList();
                ctx.Note($"a 1,000-node InsertChildren event is {Fmt.N0(chunkRows.Average(r => r.PayloadBytes))} B of payload ({Fmt.N1(chunkRows.Average(r => r.PayloadBytes) / 1000)} B per inserted node with a short property); the {bigNodes:N0}-node subtree's journal holds {Fmt.N0(buildRows.Sum(r => r.RowBytes))} B");
            }
            var smallNodes = await BuildBig(doc, "small", 1, 999);

            await Measure(ctx, doc, file, "big", bigParents, bigNodes, "journal-bytes-big", $"Journal bytes for one changed node in a {bigNodes:N0}-node subtree", "< 2 KB");
            await Measure(ctx, doc, file, "small", 1, smallNodes, "journal-bytes-small", $"Journal bytes for one changed node in a {smallNodes:N0}-node subtree", null);

            WalFinding(ctx, file);
            var schema = Sqlite.Schema(file);
            ctx.Note("journal schema: " + string.Join(" | ", schema.Where(s => s.Name is "journal" or "snapshot").Select(s => System.Text.RegularExpressions.Regex.Replace(s.Sql, @"\s+", " "))) +
                "; other objects: " + string.Join(", ", schema.Where(s => s.Name is not ("journal" or "snapshot")).Select(s => $"{s.Name} ({System.Text.RegularExpressions.Regex.Replace(s.Sql, @"\s+", " ")})")));
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static async Task Measure(BenchContext ctx, DocClient doc, string file, string mount, int parents, int nodes, string key, string name, string? target)
    {
        var figure = ctx.Figure(key, name, "B", target, target is null ? null : v => v < 2048);
        ctx.Facts[key + "-nodes"] = $"{nodes:N0}";
        var payload = new List<double>();
        var wal = ctx.Figure(key + "-wal", $"SQLite WAL bytes for one changed node in a {nodes:N0}-node subtree (physical pages)", "B");
        var rowsPerChange = new List<int>();
        for (var rep = 0; rep < ctx.Reps + 1; rep++)
        {
            var truncated = Sqlite.TruncateWal(file);
            var before = Sqlite.MaxOrdering(file);
            var walBefore = Sqlite.WalBytes(file);
            var parent = (parents / 2 + rep) % parents;
            await doc.SetAsync($"/persistent/{mount}/g{parent}/h{500 + rep}", "v", $"changed-{rep}");
            var rows = Sqlite.JournalRows(file, before);
            if (rep == 0) continue; // warm-up: the first change also opens connections
            figure.Samples.Add(rows.Sum(r => r.RowBytes));
            payload.Add(rows.Sum(r => r.PayloadBytes));
            rowsPerChange.Add(rows.Count);
            if (truncated) wal.Samples.Add(Sqlite.WalBytes(file) - walBefore);
        }
        var payloadMedian = payload.Order().ElementAt(payload.Count / 2);
        figure.Detail = $"`SetAsync` of one short string property, awaited (durable); new journal rows per change: {string.Join("/", rowsPerChange.Distinct())}; message payload {Fmt.N0(payloadMedian)} B, the rest is the row's other columns (persistence id, manifest, writer uuid, ...)";
        wal.Detail = wal.Samples.Count == 0 ? "WAL could not be emptied before the change (a reader was busy)" : "growth of the -wal file after `PRAGMA wal_checkpoint(TRUNCATE)`: whole 4 KiB pages (+ 24 B frame headers) for the table and index pages the row touched";
        ctx.Log($"  {name}: {Fmt.N0(figure.Median)} B per change (payload {Fmt.N0(payloadMedian)} B), WAL {Fmt.N0(wal.Median)} B");
    }

    /// <summary>What SQLite physically wrote for one change, in whole pages, from this run's WAL figures.</summary>
    private static void WalFinding(BenchContext ctx, string file)
    {
        if (ctx.Find("journal-bytes-big-wal") is not { Samples.Count: > 0 } big || ctx.Find("journal-bytes-big") is not { Samples.Count: > 0 } row) return;
        var pageSize = Sqlite.Scalar(file, "PRAGMA page_size");
        const int frameHeader = 24, walHeader = 32;
        var frames = (big.Median - walHeader) / (pageSize + frameHeader);
        var exact = Math.Abs(frames - Math.Round(frames)) < 1e-9;
        var small = ctx.Find("journal-bytes-small-wal") is { Samples.Count: > 0 } s ? s.Median : double.NaN;
        ctx.Finding($"Physically, SQLite grew its WAL by {Fmt.N0(big.Median)} B for the {Fmt.N0(row.Median)} B journal row of one changed node in the {ctx.Facts["journal-bytes-big-nodes"]}-node subtree" +
            (exact ? $": {Fmt.N0(frames)} frames of a whole {pageSize:N0} B page plus a {frameHeader} B frame header each, after the {walHeader} B WAL header" : "") +
            (exact && Math.Round(frames) == 5 ? " (as many pages as B-trees the row touches: the journal table, its three indexes on created, sequence_number and (persistence_id, sequence_number), and sqlite_sequence for AUTOINCREMENT; see the schema in the notes)" : "") +
            (double.IsNaN(small) ? "" : $"; {(small == big.Median ? "the same " : "")}{Fmt.N0(small)} B for the {ctx.Facts["journal-bytes-small-nodes"]}-node subtree") +
            ". This is an isolated, awaited change; the samples are listed with the figure.");
    }

    // ---- Recovery ---------------------------------------------------------------------------------

    public static async Task Recovery(BenchContext ctx)
    {
        var parents = ctx.Quick ? 200 : 1000;
        const int snapshotEvery = 1000; // the default
        // A subtree of n nodes saves a snapshot only after max(snapshot-every, n / 2) events, so the
        // build (one event per 100 nodes) is followed by enough SetProperties to make one due. Both the
        // snapshot and the events-only file get the same history, so their recoveries compare like for like.
        foreach (var (mode, every) in new[] { ("snapshots", snapshotEvery), ("events", 1_000_000), ("tiny", 1_000_000) })
        {
            var chunks = mode == "tiny" ? 0 : parents;
            var file = DbFile($"recovery-{mode}.db");
            int nodes, sets = 0;
            var system = ActorSystem.Create("build", AkkaConfigs.Sqlite(file, every));
            try
            {
                var doc = DocClient.Start(system, "bench");
                var clock = Stopwatch.StartNew();
                nodes = await BuildBig(doc, "big", chunks, 99);
                ctx.Log($"recovery ({mode}): built {nodes:N0} nodes in {chunks + 1} events in {clock.Elapsed.TotalSeconds:N1} s");
                if (mode != "tiny")
                {
                    // Enough events past the snapshot interval of the default settings (a margin of 100 for the count's rounding).
                    sets = Math.Max(snapshotEvery, nodes / 2) - (chunks + 1) + 100;
                    var driver = system.ActorOf(PipelineDriver.Props(), "driver");
                    var writer = doc.Writer;
                    object SetAt(int i) => new Mutate(writer, [new Mutation.SetProperties($"/persistent/big/g{i % parents}/h{i / parents % 100}", Value($"m{i}"))]);
                    clock.Restart();
                    var (result, _) = await PipelineDriver.RunAsync(driver, doc.Actor, sets, 2000, SetAt, Workload.Check, TimeSpan.FromMinutes(5));
                    InProcessBench.Expect(ctx, result, $"recovery ({mode}) history");
                    ctx.Log($"recovery ({mode}): {sets:N0} SetProperties in {clock.Elapsed.TotalSeconds:N1} s");
                }
                if (mode == "snapshots")
                {
                    var waited = Stopwatch.StartNew();
                    while (Sqlite.Scalar(file, "SELECT count(*) FROM snapshot WHERE persistence_id LIKE '%/persistent/big'") == 0)
                    {
                        if (waited.Elapsed > TimeSpan.FromMinutes(2)) { ctx.Problem("no snapshot of /persistent/big was saved within 2 minutes of its history"); break; }
                        await Task.Delay(100);
                    }
                    ctx.Log($"recovery ({mode}): snapshot saved {waited.Elapsed.TotalSeconds:N1} s after the last write");
                }
            }
            finally
            {
                await system.Terminate();
            }
            var events = Sqlite.Scalar(file, "SELECT count(*) FROM journal WHERE persistence_id LIKE '%/persistent/big'");
            var journalBytes = Sqlite.Scalar(file, "SELECT coalesce(sum(length(message)), 0) FROM journal WHERE persistence_id LIKE '%/persistent/big'");
            var insertBytes = Sqlite.Scalar(file, "SELECT coalesce(sum(length(message)), 0) FROM journal WHERE persistence_id LIKE '%/persistent/big' AND manifest = 'doc.ChildrenInserted'");
            var snapshotBytes = Sqlite.Scalar(file, "SELECT coalesce(max(length(snapshot)), 0) FROM snapshot WHERE persistence_id LIKE '%/persistent/big'");
            var snapshotSeq = Sqlite.Scalar(file, "SELECT coalesce(max(sequence_number), 0) FROM snapshot WHERE persistence_id LIKE '%/persistent/big'");
            var replayed = mode == "snapshots" ? events - snapshotSeq : events;
            var history = sets > 0 ? $"{chunks + 1:N0} inserts then {sets:N0} SetProperties of one short string by the same writer, " : "";
            var setup = $"{Fmt.Count(nodes, "node", "nodes")}; journal {Fmt.Count(events, "event", "events")} ({history}{Fmt.N1(journalBytes / 1e6)} MB)" +
                (mode == "snapshots" ? $", snapshot at seq {snapshotSeq:N0} of {Fmt.N1(snapshotBytes / 1e6)} MB; recovery loads the snapshot and replays {Fmt.Count(replayed, "event", "events")}" : $", no snapshot: recovery replays {(events == 1 ? "its one event" : $"all {events:N0} events")}");
            ctx.Note($"recovery ({mode}): {setup}");
            if (mode == "snapshots")
            {
                ctx.Facts["recovery-snapshot-bytes"] = snapshotBytes.ToString(CultureInfo.InvariantCulture);
                ctx.Facts["recovery-insert-bytes"] = insertBytes.ToString(CultureInfo.InvariantCulture);
                ctx.Facts["recovery-nodes"] = nodes.ToString(CultureInfo.InvariantCulture);
                ctx.Facts["recovery-events"] = events.ToString(CultureInfo.InvariantCulture);
                ctx.Facts["recovery-interval"] = Math.Max(snapshotEvery, nodes / 2).ToString(CultureInfo.InvariantCulture);
            }

            var deep = mode == "tiny" ? "/persistent/big" : $"/persistent/big/g{parents - 1}/h98";
            var how = mode switch { "snapshots" => "snapshot + events", "events" => "events only", _ => "the fixed start-up cost" };
            // Fresh process each time: what a restart after a crash costs, JIT and plugin start-up included.
            var cold = ctx.Figure($"recovery-{mode}-cold", $"Recovery of a {nodes:N0}-node DOC, {how}, fresh process", "s");
            for (var rep = 0; rep < ctx.Reps; rep++)
            {
                var seconds = await RecoverInChild(file, every, deep);
                cold.Samples.Add(seconds);
                ctx.Log($"  recovery ({mode}) fresh process rep {rep}: {Fmt.N3(seconds)} s");
            }
            cold.Detail = $"{setup}; the same timing inside a newly started process for each repetition (JIT compilation and journal plugin start-up included)";

            if (mode == "tiny") continue;
            // The issue's procedure: terminate the ActorSystem, start a new one on the same file, time DocClient.Start to the first find.
            var warm = ctx.Figure($"recovery-{mode}-warm", $"Recovery of a {nodes:N0}-node DOC, {how}, new ActorSystem in the same process", "s",
                mode == "snapshots" ? "< 1 s" : null, mode == "snapshots" ? v => v < 1.0 : null);
            for (var rep = -1; rep < ctx.Reps; rep++)
            {
                var seconds = await RecoverHere(file, every, deep);
                if (rep >= 0) warm.Samples.Add(seconds);
                ctx.Log($"  recovery ({mode}) warm rep {rep}: {Fmt.N3(seconds)} s");
            }
            warm.Detail = $"{setup}; the ActorSystem that built it terminated, then for each repetition a new ActorSystem on the same file in this process (after one warm-up recovery, so the code is JIT-compiled), timed from `DocClient.Start` to the first successful `FindAsync(\"{deep}\")`";
        }
        RecoveryFinding(ctx);
    }

    /// <summary>The snapshot's size against the events that built the tree, and what loading it saved, from this run's figures.</summary>
    private static void RecoveryFinding(BenchContext ctx)
    {
        if (!ctx.Facts.TryGetValue("recovery-snapshot-bytes", out var text)) return;
        var snapshot = long.Parse(text, CultureInfo.InvariantCulture);
        if (snapshot == 0) return;
        var inserts = long.Parse(ctx.Facts["recovery-insert-bytes"], CultureInfo.InvariantCulture);
        var nodes = long.Parse(ctx.Facts["recovery-nodes"], CultureInfo.InvariantCulture);
        var events = long.Parse(ctx.Facts["recovery-events"], CultureInfo.InvariantCulture);
        var interval = long.Parse(ctx.Facts["recovery-interval"], CultureInfo.InvariantCulture);
        double M(string key) => ctx.Find(key) is { Samples.Count: > 0 } f ? f.Median : double.NaN;
        string Compare(double withSnapshot, double eventsOnly) =>
            double.IsNaN(withSnapshot) || double.IsNaN(eventsOnly) ? "not measured"
            : withSnapshot < eventsOnly ? $"{Fmt.Value(withSnapshot, "s")} against {Fmt.Value(eventsOnly, "s")} ({Fmt.N1(eventsOnly / withSnapshot)} times faster)"
            : $"{Fmt.Value(withSnapshot, "s")} against {Fmt.Value(eventsOnly, "s")} (not faster)";
        var row = M("journal-bytes-big");
        ctx.Finding($"A snapshot of the {nodes:N0}-node subtree is {Fmt.N1(snapshot / 1e6)} MB, {Fmt.N0(snapshot / (double)nodes)} B per node, {Fmt.N2(snapshot / (double)inserts)} times the {Fmt.N1(inserts / 1e6)} MB of the InsertChildren events that built the same tree. " +
            $"Recovering from it rather than replaying all {events:N0} events of the same history took, in a new ActorSystem of this process, {Compare(M("recovery-snapshots-warm"), M("recovery-events-warm"))}, and in a fresh process {Compare(M("recovery-snapshots-cold"), M("recovery-events-cold"))}. " +
            $"A subtree of n nodes saves a snapshot at most once per max(snapshot-every, n / 2) events ({interval:N0} here), so the snapshot adds at most {Fmt.N0(snapshot / (double)interval)} B per event, amortized" +
            (double.IsNaN(row) ? "." : $", next to the {Fmt.N0(row)} B journal row of a one-node change."));
    }

    /// <summary>Child-process side of a cold recovery: prints the seconds it took.</summary>
    public static async Task<int> RecoverChild(string file, int snapshotEvery, string deep)
    {
        var seconds = await RecoverHere(file, snapshotEvery, deep);
        Console.WriteLine($"RECOVERED {seconds.ToString("R", CultureInfo.InvariantCulture)}");
        return 0;
    }

    private static async Task<double> RecoverHere(string file, int snapshotEvery, string deep)
    {
        var system = ActorSystem.Create("recover", AkkaConfigs.Sqlite(file, snapshotEvery));
        try
        {
            var clock = Stopwatch.StartNew();
            var doc = DocClient.Start(system, "bench");
            var found = await doc.FindAsync(deep);
            clock.Stop();
            if (found.Length != 1) throw new InvalidOperationException($"after recovery '{deep}' matched {found.Length} nodes, expected 1");
            return clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static async Task<double> RecoverInChild(string file, int snapshotEvery, string deep)
    {
        using var child = SelfProcess.Start("recover", file, snapshotEvery.ToString(CultureInfo.InvariantCulture), deep);
        try
        {
            var stderr = child.StandardError.ReadToEndAsync();
            var output = await child.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(3));
            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RECOVERED ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"recovery child exited {child.ExitCode} without a result: {output} {await stderr}");
            return double.Parse(line[10..].Trim(), CultureInfo.InvariantCulture);
        }
        finally
        {
            SelfProcess.Stop(child);
        }
    }
}
