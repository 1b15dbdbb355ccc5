using System.Diagnostics;
using Akka.Actor;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Bench;

/// <summary>
/// Persisted mutations per second, pipelined: the DOC with snapshots, the DOC without, and the
/// journal floor, each in its own ActorSystem on its own SQLite file, all created up front and
/// measured in interleaved rounds, so that none of them is the colder or the warmer one.
/// </summary>
internal static partial class PersistenceBench
{
    private const int PersistedWindow = 4000;
    private const int MinWarmUpRounds = 4;
    /// <summary>Warm-up goes on while a configuration's last two samples average this much above the two before.</summary>
    private const double StillRising = 1.10;

    /// <summary>One configuration of the comparison: its own SQLite file and ActorSystem.</summary>
    private sealed class Contender
    {
        public required string Key { get; init; }
        /// <summary>Short name used in the report's sentences.</summary>
        public required string Label { get; init; }
        public required string File { get; init; }
        public required ActorSystem System { get; init; }
        /// <summary>caiman.doc.snapshot-every; null for the floor.</summary>
        public int? SnapshotEvery { get; init; }
        /// <summary>Events after which a subtree's snapshot falls due; null when nothing is snapshotted.</summary>
        public int? SnapshotInterval { get; init; }
        public DocClient? Doc { get; set; }
        public IActorRef Driver { get; set; } = ActorRefs.Nobody;
        public IActorRef Target { get; set; } = ActorRefs.Nobody;
        public Func<int, object> MessageAt { get; set; } = i => i;
        public Func<object, string?> Check { get; set; } = _ => null;
        public List<double> WarmUp { get; } = [];
        public Figure? Figure { get; set; }
        /// <summary>Each subtree's journal head before the measured rounds, then after each measured repetition.</summary>
        public List<Dictionary<string, long>> Bounds { get; } = [];
        /// <summary>Every snapshot seen: its size, the repetition it was seen in (-1: before the measured rounds), and whether it was already there when that repetition's timing ended.</summary>
        public Dictionary<(string Pid, long Seq), (long Bytes, int Rep, bool During)> Seen { get; } = [];
        public bool Stuck { get; set; }
    }

    public static async Task Persisted(BenchContext ctx)
    {
        var total = ctx.Quick ? 8_000 : 20_000;
        var maxWarmUpRounds = ctx.Quick ? 4 : 10;
        const int nodes = 1 + 10 + 10 * 10;
        var contenders = new List<Contender>();
        try
        {
            // Everything is started before anything is timed; each configuration has its own file, so
            // the journals grow alike (each repetition adds the same rows to each) and never share a lock.
            var on = await StartDoc(contenders, "persisted", "snapshots on", 1000, nodes);
            var off = await StartDoc(contenders, "persisted-nosnap", "snapshots off", 1_000_000, nodes);
            var floor = StartFloor(contenders);
            var quiet = on.System.Settings.Config.GetTimeSpan("caiman.doc.snapshot-quiet-period", null);
            ctx.Facts["snapshot-quiet-period"] = $"{quiet.TotalMilliseconds:N0} ms";
            var pause = 2 * quiet + TimeSpan.FromMilliseconds(100);
            ctx.Log($"persisted: {total:N0} mutations per rep over {Subtrees} subtrees (or floor actors), window {PersistedWindow}; configurations interleaved: {string.Join(", ", contenders.Select(c => c.Label))}");

            async Task<double> Rep(Contender c)
            {
                var (result, seconds) = await PipelineDriver.RunAsync(c.Driver, c.Target, total, PersistedWindow, c.MessageAt, c.Check, TimeSpan.FromMinutes(5));
                if (c.Doc is null && result.Errors > 0) throw new InvalidOperationException($"{c.Key}: {result.FirstError}");
                InProcessBench.Expect(ctx, result, c.Key);
                return total / seconds;
            }

            // Warm-up: whole rounds, unmeasured, until no configuration's last two samples average more than
            // StillRising times the two before (at least MinWarmUpRounds, at most maxWarmUpRounds). Pairs,
            // not single samples, so that one slow round on this shared machine does not end it.
            var round = 0;
            List<Contender> rising;
            do
            {
                foreach (var c in Rotate(contenders, round))
                {
                    c.WarmUp.Add(await Rep(c));
                    await Settle(ctx, c, pause);
                }
                ctx.Log($"  persisted warm-up round {round}: {string.Join(", ", contenders.Select(c => $"{c.Label} {Fmt.N0(c.WarmUp[^1])}"))}");
                round++;
                rising = [.. contenders.Where(c => c.WarmUp.Count >= 4 && c.WarmUp[^2..].Average() > StillRising * c.WarmUp[^4..^2].Average())];
            }
            while (round < MinWarmUpRounds || (rising.Count > 0 && round < maxWarmUpRounds));
            var warmUpRounds = round;

            on.Figure = ctx.Figure("persisted", "Persisted mutations (SQLite, acknowledged once durable), pipelined", "mutations/s", "≥ 50,000 mutations/s", v => v >= 50_000);
            off.Figure = ctx.Figure("persisted-nosnap", "Persisted mutations, pipelined, snapshots off (snapshot-every 1,000,000)", "mutations/s");
            floor.Figure = ctx.Figure("persisted-floor", "Journal floor: trivial persistent actors on a SQLite journal of the same settings, no DOC", "mutations/s");
            var docs = contenders.Where(c => c.Doc is not null).ToList();
            var before = docs.ToDictionary(c => c.Key, c => Sqlite.MaxOrdering(c.File));
            foreach (var c in docs)
            {
                c.Bounds.Add(JournalHeads(c.File));
                Observe(c, -1, during: false);
            }
            var orders = new List<string>();
            for (var rep = 0; rep < ctx.Reps; rep++, round++)
            {
                var order = Rotate(contenders, round);
                orders.Add($"round {rep}: {string.Join(", ", order.Select(c => c.Label))}");
                foreach (var c in order)
                {
                    var rate = await Rep(c);
                    c.Figure!.Samples.Add(rate);
                    ctx.Log($"  persisted round {rep}, {c.Label}: {Fmt.N0(rate)} mutations/s");
                    // Read from SQLite outside the timing: what was saved by the end of the repetition, then
                    // what was saved in the pause after it.
                    if (c.Doc is not null)
                    {
                        c.Bounds.Add(JournalHeads(c.File));
                        Observe(c, rep, during: true);
                    }
                    await Settle(ctx, c, pause);
                    if (c.Doc is not null) Observe(c, rep, during: false);
                }
            }

            var warmUp = string.Join("; ", contenders.Select(c => $"{c.Label} {string.Join(" → ", c.WarmUp.Select(Fmt.N0))}"));
            var warmUpEnd = rising.Count == 0
                ? $"ended when no configuration's last two warm-up samples averaged more than {Fmt.N0((StillRising - 1) * 100)}% above its two before"
                : $"stopped at the limit of {maxWarmUpRounds} rounds with the last two samples of {string.Join(" and ", rising.Select(c => c.Label))} still averaging more than {Fmt.N0((StillRising - 1) * 100)}% above the two before";
            ctx.Facts["persisted-method-short"] =
                $"each round ran one repetition of each configuration in rotating order, each in its own ActorSystem on its own SQLite file, all started before anything was timed, after {warmUpRounds} unmeasured warm-up rounds; the order, the pauses and the warm-up samples are in the notes";
            ctx.Facts["persisted-method"] =
                $"each round ran one repetition of each configuration ({string.Join(", ", contenders.Select(c => c.Label + (c.Doc is null ? "" : " (DOC)")))}), each in its own ActorSystem on its own SQLite file, all three started before anything was timed; " +
                $"the order rotated from round to round ({string.Join("; ", orders)}); after every repetition the harness waited {Fmt.N0(pause.TotalMilliseconds)} ms (twice the quiet period, plus 100 ms), then for any snapshot that had fallen due to be saved, then ran a full garbage collection, all outside the timing, before the next repetition of any configuration; " +
                $"before the measured rounds ran {warmUpRounds} unmeasured warm-up rounds of the same kind (samples in order: {warmUp}; {warmUpEnd})";

            ctx.Note($"persisted throughput (snapshots on, snapshots off, journal floor) was measured interleaved, not one configuration after the other: {ctx.Facts["persisted-method"]}");
            foreach (var c in docs) ReportSnapshots(ctx, c, before[c.Key], total, nodes, findings: c == on);
            const int window = PersistedWindow;
            foreach (var c in docs)
                c.Figure!.Detail = $"{total:N0} SetProperties per repetition spread over {Subtrees} subtrees ({nodes} nodes each), Tell from a driver actor, at most {window} unanswered; a reply counts only when the DOC acknowledged it, which it does after the event is committed; " +
                    $"snapshot-every {c.SnapshotEvery:N0}, so a subtree's snapshot falls due after max({c.SnapshotEvery:N0}, {nodes} / 2) = {c.SnapshotInterval:N0} events; the properties are set by the writer that inserted the subtrees; " +
                    "its repetitions interleaved with those of the other two pipelined persisted configurations, each in its own ActorSystem on its own file";
            floor.Figure.Detail = $"{total:N0} short strings per repetition through a parent forwarding round-robin to {Subtrees} persistent actors that PersistAsync each and reply when it is written; the same driver and window; " +
                "its own ActorSystem and SQLite file with the DOC's journal settings, its repetitions interleaved with the DOC's";
            ctx.Log($"  persisted medians: {string.Join(", ", contenders.Select(c => $"{c.Label} {Fmt.N0(c.Figure!.Median)}"))}");

            // One at a time: the latency of a single durable write (after the rounds, on the file with snapshots).
            var awaited = ctx.Figure("persisted-awaited", "Persisted mutations, one awaited at a time", "mutations/s");
            var count = ctx.Quick ? 300 : 1000;
            for (var rep = 0; rep < ctx.Reps; rep++)
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < count; i++)
                {
                    var reply = await on.Doc!.Actor.Ask(on.MessageAt(i), on.Doc.Timeout);
                    if (Workload.Check(reply) is { } error) throw new InvalidOperationException($"persisted awaited: {error}");
                }
                awaited.Samples.Add(count / clock.Elapsed.TotalSeconds);
            }
            awaited.Detail = $"{count:N0} SetProperties per repetition, each awaited (one commit each), after the interleaved rounds, in the ActorSystem with snapshots on";
            ctx.Log($"  persisted awaited: {Fmt.N0(awaited.Median)} mutations/s");
        }
        finally
        {
            foreach (var c in contenders) await c.System.Terminate();
        }
    }

    /// <summary>Round r starts with the (r mod n)-th configuration, so each configuration takes each place in turn.</summary>
    private static List<Contender> Rotate(List<Contender> contenders, int round) =>
        [.. contenders.Skip(round % contenders.Count), .. contenders.Take(round % contenders.Count)];

    private static async Task<Contender> StartDoc(List<Contender> contenders, string key, string label, int snapshotEvery, int nodes)
    {
        var file = DbFile($"{key}.db");
        var contender = new Contender
        {
            Key = key, Label = label, File = file,
            System = ActorSystem.Create(key, AkkaConfigs.Sqlite(file, snapshotEvery)),
            SnapshotEvery = snapshotEvery,
            SnapshotInterval = Math.Max(snapshotEvery, nodes / 2),
        };
        contenders.Add(contender);
        var doc = DocClient.Start(contender.System, "bench");
        contender.Doc = doc;
        contender.Target = doc.Actor;
        contender.Driver = contender.System.ActorOf(PipelineDriver.Props(), "driver");
        for (var s = 0; s < Subtrees; s++)
            await doc.InsertAsync("/persistent", new NewNode($"p{s}").WithChildren(
                [.. Enumerable.Range(0, 10).Select(a => new NewNode($"a{a}").WithChildren([.. Enumerable.Range(0, 10).Select(b => new NewNode($"b{b}"))]))]));
        var writer = doc.Writer;
        contender.MessageAt = i => new Mutate(writer, [new Mutation.SetProperties(
            $"/persistent/p{i % Subtrees}/a{i / Subtrees % 10}/b{i / (Subtrees * 10) % 10}", PropertyMap.Of(("p", DocValue.From(i))))]);
        contender.Check = Workload.Check;
        return contender;
    }

    /// <summary>The journal stack alone, same batching and acknowledgement, no DOC.</summary>
    private static Contender StartFloor(List<Contender> contenders)
    {
        var file = DbFile("persisted-floor.db");
        var contender = new Contender { Key = "persisted-floor", Label = "journal floor", File = file, System = ActorSystem.Create("floor", AkkaConfigs.Sqlite(file, 1_000_000)) };
        contenders.Add(contender);
        contender.Driver = contender.System.ActorOf(PipelineDriver.Props(), "driver");
        contender.Target = contender.System.ActorOf(PersistFloorActor.Props(Subtrees), "floor");
        contender.MessageAt = i => $"e{i}";
        contender.Check = reply => reply is string ? null : $"floor replied {reply.GetType().Name}";
        return contender;
    }

    /// <summary>
    /// After a repetition: lets writes pause for twice the quiet period, waits for any snapshot that fell
    /// due to be saved, then collects garbage, so that nothing of this repetition runs into the next one.
    /// </summary>
    private static async Task Settle(BenchContext ctx, Contender c, TimeSpan pause)
    {
        await Task.Delay(pause);
        if (c.SnapshotInterval is { } interval && !c.Stuck)
        {
            var waited = Stopwatch.StartNew();
            while (Overdue(c.File, interval) is { } overdue)
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(10))
                {
                    c.Stuck = true;
                    ctx.Problem($"{c.Key}: {overdue} had a snapshot due (one every {interval:N0} events) and saved none within 10 s after the harness's pause of {Fmt.N0(pause.TotalMilliseconds)} ms");
                    break;
                }
                await Task.Delay(20);
            }
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>A subtree with at least <paramref name="interval"/> events since its latest snapshot, if any.</summary>
    private static string? Overdue(string file, int interval)
    {
        var snapshots = LatestSnapshots(file);
        foreach (var (pid, head) in JournalHeads(file))
            if (head - (snapshots.TryGetValue(pid, out var s) ? s.Seq : 0) >= interval) return pid;
        return null;
    }

    private static void Observe(Contender c, int rep, bool during)
    {
        foreach (var (pid, snap) in LatestSnapshots(c.File))
            c.Seen.TryAdd((pid, snap.Seq), (snap.Bytes, rep, during));
    }

    /// <summary>Which repetition saved which snapshots, and when (during its timing or in the pause after it); the note and the snapshot-size finding.</summary>
    private static void ReportSnapshots(BenchContext ctx, Contender c, long before, int total, int nodes, bool findings)
    {
        string Describe(List<KeyValuePair<(string Pid, long Seq), (long Bytes, int Rep, bool During)>> taken) =>
            taken.Count == 0 ? "none"
            : $"{taken.Count} of {Subtrees} subtrees (at sequence numbers {taken.Min(p => p.Key.Seq):N0}–{taken.Max(p => p.Key.Seq):N0}, {Fmt.N0(taken.Average(p => p.Value.Bytes))} B each on average)";
        var perRep = new List<string>();
        var duringReps = new List<int>();
        var pauseReps = new List<int>();
        for (var rep = 0; rep < ctx.Reps; rep++)
        {
            var during = c.Seen.Where(p => p.Value.Rep == rep && p.Value.During).ToList();
            var after = c.Seen.Where(p => p.Value.Rep == rep && !p.Value.During).ToList();
            if (during.Count > 0) duringReps.Add(rep);
            if (after.Count > 0) pauseReps.Add(rep);
            perRep.Add(during.Count == 0 && after.Count == 0 ? $"rep {rep}: none"
                : $"rep {rep}: {Describe(during)} by the end of its timing, {Describe(after)} in the pause after it");
        }
        ctx.Facts[$"{c.Key}-snapshots-per-rep"] = string.Join("; ", perRep);
        ctx.Facts[$"{c.Key}-snapshot-reps"] = string.Join(",", duringReps);
        ctx.Facts[$"{c.Key}-snapshot-pause-reps"] = string.Join(",", pauseReps);
        var inPauses = c.Seen.Where(p => p.Value.Rep >= 0 && !p.Value.During).ToList();
        if (inPauses.Count > 0)
            ctx.Facts[$"{c.Key}-snapshot-pause-summary"] = $"{inPauses.Count} snapshots in the pauses after {pauseReps.Count} of the {ctx.Reps} repetitions " +
                $"({string.Join(", ", pauseReps.Select(r => $"{inPauses.Count(p => p.Value.Rep == r)} after rep {r}"))}), at sequence numbers {inPauses.Min(p => p.Key.Seq):N0} to {inPauses.Max(p => p.Key.Seq):N0}, {Fmt.N0(inPauses.Average(p => p.Value.Bytes))} B each on average";
        ctx.Facts[$"{c.Key}-snapshot-interval"] = $"{c.SnapshotInterval:N0}";

        var rows = Sqlite.Scalar(c.File, $"SELECT count(*) FROM journal WHERE ordering > {before}");
        var latest = LatestSnapshots(c.File);
        var snapshots = latest.Count;
        var snapshotBytes = latest.Values.Sum(v => v.Bytes);
        ctx.Note($"{c.Key}: {rows:N0} journal rows written for {ctx.Reps * total:N0} measured mutations" + (snapshots == 0 ? "; no snapshot rows after the measured repetitions" :
            $"; {snapshots} snapshot rows after the measured repetitions (one per subtree), {Fmt.N0(snapshotBytes / (double)snapshots)} B each on average for a {nodes}-node subtree") +
            $"; snapshots saved, by repetition: {string.Join("; ", perRep)}");
        if (snapshots == 0 || !findings) return;

        var measured = c.Seen.Where(p => p.Value.Rep >= 0).ToList();
        var atEnd = snapshotBytes / (double)snapshots;
        var finding = $"Snapshot size against node count: the latest snapshot of a {nodes}-node subtree, taken after {Fmt.N0(latest.Values.Average(v => v.Seq))} events on average (SetProperties by the writer that inserted the nodes), is {Fmt.N0(atEnd)} B, {Fmt.N1(atEnd / nodes)} B per node.";
        if (measured.Count >= 2)
        {
            var first = measured.MinBy(p => p.Key.Seq);
            var last = measured.MaxBy(p => p.Key.Seq);
            var ratio = last.Value.Bytes / (double)first.Value.Bytes;
            finding += $" Snapshots saved during the measured rounds ranged from sequence number {first.Key.Seq:N0} ({Fmt.N0(first.Value.Bytes)} B) to {last.Key.Seq:N0} ({Fmt.N0(last.Value.Bytes)} B): " +
                (last.Key.Seq == first.Key.Seq ? "all taken after the same number of events, so this run does not show growth with history."
                : Math.Abs(ratio - 1) <= 0.05 ? $"with {Fmt.N1(last.Key.Seq / (double)first.Key.Seq)} times as many events behind it, the snapshot was the same size within 5% ({Fmt.N3(ratio)}×), so here it did not grow with the number of changes."
                : $"with {Fmt.N1(last.Key.Seq / (double)first.Key.Seq)} times as many events behind it, the snapshot was {Fmt.N2(ratio)} times the size.");
        }
        else
            finding += $" {(measured.Count == 0 ? "No snapshot was" : "Only one snapshot was")} saved during the measured rounds, so this run does not show whether snapshot size changes with the number of events behind it.";
        ctx.Finding(finding);
    }
}
