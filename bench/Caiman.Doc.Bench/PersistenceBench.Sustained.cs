using System.Diagnostics;
using System.Globalization;
using Akka.Actor;

namespace Caiman.Doc.Bench;

/// <summary>
/// Persisted mutations sustained: one long pipelined run per repetition, with no pause, so that every
/// snapshot a subtree saves is saved while the run is timed. The snapshots are counted from the
/// SQLite snapshot table, read while the run goes on.
/// </summary>
internal static partial class PersistenceBench
{
    /// <summary>Acknowledged mutations per window of the per-window throughput.</summary>
    internal const int SustainedWindow = 10_000;
    internal const int SustainedPollMs = 50;
    /// <summary>A subtree saves a snapshot at the next moment nothing is in flight once this many times its interval has passed without a quiet pause (the DOC's rule).</summary>
    internal const int ForcedFactor = 10;

    /// <summary>A snapshot saved within the timed run: which subtree, its sequence number, which of the subtree's events of the run it follows, and the mutation of the run that event came from.</summary>
    private sealed record RunSnapshot(int Subtree, long Seq, long Event, long Mutation, long SincePrevious)
    {
        public int Window => (int)(Mutation / SustainedWindow);
    }

    /// <summary>One sustained repetition, read back from SQLite.</summary>
    private sealed record SustainedRep(double Rate, double Seconds, double[] WindowRates, List<RunSnapshot> Snapshots, long LongestStretch, long MinEvents, long MaxEvents,
        int SnapshotsAfter, long JournalRows, int Polls, double LongestPollGapMs);

    public static async Task Sustained(BenchContext ctx)
    {
        var total = ctx.Quick ? 200_000 : 800_000;
        const int warmUp = 16_000;
        const int snapshotEvery = 1000; // the default
        const int nodes = 1 + 10 + 10 * 10;
        var interval = Math.Max(snapshotEvery, nodes / 2);
        var figure = ctx.Figure("persisted-sustained", "Persisted mutations, sustained (snapshots on, no pauses)", "mutations/s", "≥ 50,000 mutations/s", v => v >= 50_000);
        var slowest = ctx.Figure("persisted-sustained-slowest", $"Persisted mutations, sustained: the run's slowest window of {SustainedWindow:N0} acknowledged mutations", "mutations/s");
        var saved = ctx.Figure("persisted-sustained-snapshots", $"Snapshots saved within one sustained run ({Subtrees} subtrees together)", "snapshots");
        ctx.Log($"persisted sustained: {total:N0} mutations per run over {Subtrees} subtrees, window {PersistedWindow}, per-window throughput every {SustainedWindow:N0}, {ctx.Reps} runs");
        var reps = new List<SustainedRep>();
        var quiet = TimeSpan.Zero;
        for (var rep = 0; rep < ctx.Reps; rep++)
        {
            var started = new List<Contender>();
            try
            {
                var c = await StartDoc(started, $"sustained-{rep}", "sustained", snapshotEvery, nodes);
                quiet = c.System.Settings.Config.GetTimeSpan("caiman.doc.snapshot-quiet-period", null);
                var configuredEvery = c.System.Settings.Config.GetInt("caiman.doc.snapshot-every", 0);
                if (configuredEvery != snapshotEvery) throw new InvalidOperationException($"sustained: snapshot-every is {configuredEvery}, expected {snapshotEvery}");
                // Unmeasured warm-up in this ActorSystem (connections, the journal's first batches), then a pause
                // long enough for the snapshots it made due to be saved, so the run starts from a fresh snapshot.
                var (warm, _) = await PipelineDriver.RunAsync(c.Driver, c.Target, warmUp, PersistedWindow, c.MessageAt, c.Check, TimeSpan.FromMinutes(5));
                InProcessBench.Expect(ctx, warm, $"sustained run {rep} warm-up");
                await Settle(ctx, c, 2 * quiet + TimeSpan.FromMilliseconds(100));
                var heads = JournalHeads(c.File);
                var before = LatestSnapshots(c.File);
                var ordering = Sqlite.MaxOrdering(c.File);

                var seen = new Dictionary<(string Pid, long Seq), long>();
                using var stop = new CancellationTokenSource();
                var poller = Task.Run(() => PollSnapshots(c.File, seen, stop.Token));
                var (result, seconds, windowSeconds) = await PipelineDriver.RunWindowedAsync(c.Driver, c.Target, total, PersistedWindow, SustainedWindow,
                    i => c.MessageAt(warmUp + i), c.Check, TimeSpan.FromMinutes(5));
                // The poller reads the table once more after being stopped: right after the run's last acknowledgement.
                await stop.CancelAsync();
                var (polls, longestGap) = await poller;
                InProcessBench.Expect(ctx, result, $"sustained run {rep}");
                var after = JournalHeads(c.File);
                var rows = Sqlite.Scalar(c.File, $"SELECT count(*) FROM journal WHERE ordering > {ordering}");

                // Then what the subtrees save once their writes stop.
                await Settle(ctx, c, 2 * quiet + TimeSpan.FromMilliseconds(100));
                var afterRun = LatestSnapshots(c.File).Count(s => !seen.ContainsKey((s.Key, s.Value.Seq)) && !(before.TryGetValue(s.Key, out var b) && b.Seq == s.Value.Seq));

                var snapshots = new List<RunSnapshot>();
                long longest = 0, minEvents = long.MaxValue, maxEvents = 0;
                foreach (var (pid, head) in heads)
                {
                    var subtree = SubtreeIndex(pid);
                    var previous = before.TryGetValue(pid, out var b) ? b.Seq : 0;
                    var end = after.GetValueOrDefault(pid, head);
                    minEvents = Math.Min(minEvents, end - head);
                    maxEvents = Math.Max(maxEvents, end - head);
                    foreach (var seq in seen.Keys.Where(k => k.Pid == pid && k.Seq > previous).Select(k => k.Seq).Order())
                    {
                        var evt = seq - head; // 1-based: the subtree's evt-th event of the run
                        snapshots.Add(new RunSnapshot(subtree, seq, evt, (evt - 1) * Subtrees + subtree, seq - previous));
                        longest = Math.Max(longest, seq - previous);
                        previous = seq;
                    }
                    longest = Math.Max(longest, end - previous);
                }
                var windowRates = windowSeconds.Select(s => SustainedWindow / s).ToArray();
                var r = new SustainedRep(total / seconds, seconds, windowRates, snapshots, longest, minEvents, maxEvents, afterRun, rows, polls, longestGap);
                reps.Add(r);
                figure.Samples.Add(r.Rate);
                slowest.Samples.Add(windowRates.Min());
                saved.Samples.Add(snapshots.Count);
                ctx.Log($"  sustained run {rep}: {Fmt.N0(r.Rate)} mutations/s over {Fmt.N1(seconds)} s; windows {Fmt.N0(windowRates.Min())}–{Fmt.N0(windowRates.Max())}; " +
                        $"{snapshots.Count} snapshots within the run, {afterRun} after it; longest stretch without a snapshot {longest:N0} events; {polls} reads of the snapshot table, longest gap {Fmt.N0(longestGap)} ms");
            }
            finally
            {
                foreach (var c in started)
                {
                    await c.System.Terminate();
                    ScratchDirectory.DeleteDatabase(c.File);
                }
            }
        }

        var forced = ForcedFactor * interval;
        var events = reps.Min(r => r.MinEvents);
        ctx.Facts["sustained-total"] = total.ToString(CultureInfo.InvariantCulture);
        ctx.Facts["sustained-events"] = events.ToString(CultureInfo.InvariantCulture);
        ctx.Facts["sustained-forced"] = forced.ToString(CultureInfo.InvariantCulture);
        ctx.Facts["sustained-windows"] = (total / SustainedWindow).ToString(CultureInfo.InvariantCulture);
        ctx.Facts["sustained-longest"] = reps.Max(r => r.LongestStretch).ToString(CultureInfo.InvariantCulture);
        ctx.Facts["sustained-snapshots"] = reps.Sum(r => r.Snapshots.Count).ToString(CultureInfo.InvariantCulture);
        ctx.Facts["sustained-after"] = reps.Sum(r => r.SnapshotsAfter).ToString(CultureInfo.InvariantCulture);
        ctx.Facts["sustained-per-rep"] = string.Join(", ", reps.Select(r => r.Snapshots.Count.ToString(CultureInfo.InvariantCulture)));
        if (reps.SelectMany(r => r.Snapshots).ToList() is { Count: > 0 } all)
        {
            ctx.Facts["sustained-since-min"] = all.Min(s => s.SincePrevious).ToString(CultureInfo.InvariantCulture);
            ctx.Facts["sustained-since-max"] = all.Max(s => s.SincePrevious).ToString(CultureInfo.InvariantCulture);
        }
        // Which windows a snapshot was taken in, against the others (all runs pooled).
        var with = new List<double>();
        var without = new List<double>();
        foreach (var r in reps)
        {
            var windows = r.Snapshots.Select(s => s.Window).ToHashSet();
            for (var w = 0; w < r.WindowRates.Length; w++) (windows.Contains(w) ? with : without).Add(r.WindowRates[w]);
        }
        if (with.Count > 0) ctx.Facts["sustained-with"] = $"{Stats.Median(with).ToString("R", CultureInfo.InvariantCulture)}|{with.Count}";
        if (without.Count > 0) ctx.Facts["sustained-without"] = $"{Stats.Median(without).ToString("R", CultureInfo.InvariantCulture)}|{without.Count}";
        var (slowRep, slowWindow, _) = reps.SelectMany((r, i) => r.WindowRates.Select((v, w) => (Rep: i, Window: w, Rate: v))).MinBy(x => x.Rate);
        ctx.Facts["sustained-slowest"] = $"{reps[slowRep].WindowRates[slowWindow].ToString("R", CultureInfo.InvariantCulture)}|{slowRep}|{slowWindow}|{reps[slowRep].Snapshots.Count(s => s.Window == slowWindow)}";
        ctx.Facts["sustained-median-window"] = Stats.Median([.. reps.SelectMany(r => r.WindowRates)]).ToString("R", CultureInfo.InvariantCulture);

        var quietText = $"{quiet.TotalMilliseconds:N0} ms";
        figure.Detail = $"one pipelined run of {total:N0} SetProperties per repetition, with no pause, over {Subtrees} subtrees ({nodes} nodes each), so {Fmt.Count(events, "event", "events")} or more per subtree, " +
            $"{Fmt.N1(events / (double)forced)} times the {forced:N0} events ({ForcedFactor} × max({snapshotEvery:N0}, {nodes} / 2)) after which a subtree with no quiet pause saves a snapshot at the next moment nothing is in flight; " +
            $"default settings (snapshot-every {snapshotEvery:N0}, snapshot-quiet-period {quietText}); the same driver, messages and window ({PersistedWindow} unanswered) as the interleaved figure; throughput = acknowledged mutations / wall time of the whole run; " +
            $"each repetition in a new ActorSystem on a new SQLite file, after an unmeasured warm-up of {warmUp:N0} mutations in it and a pause in which the snapshots they made due were saved; the median of {reps.Count} runs{(ctx.Find("persisted") is { Samples.Count: > 0 } ? ", which ran after the interleaved rounds and the awaited figure" : "")}";
        slowest.Detail = $"each sustained run's acknowledgements cut into windows of {SustainedWindow:N0} ({total / SustainedWindow} per run; the first includes filling the pipeline), the slowest window's {SustainedWindow:N0} / its seconds; every window of every run is in the notes";
        saved.Detail = $"the snapshot table of the run's SQLite file read every {SustainedPollMs} ms from the start of the timed run to its last acknowledgement (the DOC deletes a subtree's older snapshots once a new one is saved, so a single read shows only the latest of each); " +
            "the snapshots saved by the warm-up's pause are not counted, nor those saved once the run's writes stopped (listed in the notes)";

        for (var i = 0; i < reps.Count; i++)
        {
            var r = reps[i];
            var marked = r.Snapshots.Select(s => s.Window).ToHashSet();
            var windows = string.Join(" ", r.WindowRates.Select((v, w) => Fmt.N0(v) + (marked.Contains(w) ? "*" : "")));
            var list = r.Snapshots.Count == 0 ? "none"
                : string.Join("; ", r.Snapshots.GroupBy(s => s.Subtree).OrderBy(g => g.Key).Select(g => $"p{g.Key} after its events {string.Join(", ", g.Select(s => s.Event.ToString("N0", CultureInfo.InvariantCulture)))}"));
            ctx.Note($"sustained run {i}: {Fmt.N0(r.Rate)} mutations/s ({total:N0} in {Fmt.N2(r.Seconds)} s); {r.JournalRows:N0} journal rows written; {r.MinEvents:N0}" + (r.MaxEvents != r.MinEvents ? $"–{r.MaxEvents:N0}" : "") + " events per subtree; " +
                $"snapshots saved within the run: {r.Snapshots.Count} ({list}); the longest stretch a subtree went without a snapshot: {r.LongestStretch:N0} events; {Fmt.Count(r.SnapshotsAfter, "snapshot", "snapshots")} saved once its writes stopped; " +
                $"the snapshot table read {r.Polls} times, at most {Fmt.N0(r.LongestPollGapMs)} ms apart; mutations/s per window of {SustainedWindow:N0} acknowledged, in order (* a window in which a snapshot was taken): {windows}");
        }
        SustainedFinding(ctx, interval);
    }

    /// <summary>A finding about the forced snapshot under sustained load, stated only as far as this run's figures go.</summary>
    private static void SustainedFinding(BenchContext ctx, int interval)
    {
        var longest = long.Parse(ctx.Facts["sustained-longest"], CultureInfo.InvariantCulture);
        var forced = long.Parse(ctx.Facts["sustained-forced"], CultureInfo.InvariantCulture);
        var count = long.Parse(ctx.Facts["sustained-snapshots"], CultureInfo.InvariantCulture);
        var runs = ctx.Find("persisted-sustained")!.Samples.Count;
        if (longest <= forced + interval) return;
        ctx.Finding($"Under sustained pipelined load a subtree went up to {longest:N0} events without a snapshot, {Fmt.N1(longest / (double)forced)} times the {forced:N0} after which the DOC means to force one " +
            (count == 0
                ? $"(no snapshot was saved within any of the {runs} sustained runs). "
                : $"({count} snapshots were saved within the {runs} sustained runs). ") +
            $"The forced snapshot waits for a moment at which none of the subtree's writes is in flight; by that rule, a stretch longer than {forced:N0} events means no such moment came in it while the driver kept up to " +
            $"{PersistedWindow:N0} mutations unanswered, and a subtree that crashed at the end of the longest one would replay {longest:N0} events on recovery rather than about {forced:N0}.");
    }

    /// <summary>Reads the snapshot table until stopped, then once more; returns how many reads and the longest time between two.</summary>
    private static async Task<(int Polls, double LongestGapMs)> PollSnapshots(string file, Dictionary<(string Pid, long Seq), long> seen, CancellationToken stop)
    {
        using var connection = SqliteFile.Open(file);
        var clock = Stopwatch.StartNew();
        double? last = null;
        double longest = 0;
        var polls = 0;
        while (true)
        {
            var final = stop.IsCancellationRequested;
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT persistence_id, sequence_number, length(snapshot) FROM snapshot WHERE persistence_id LIKE '%/persistent/%'";
                using var reader = command.ExecuteReader();
                while (reader.Read()) seen.TryAdd((reader.GetString(0), reader.GetInt64(1)), reader.IsDBNull(2) ? 0 : reader.GetInt64(2));
            }
            polls++;
            var now = clock.Elapsed.TotalMilliseconds;
            if (last is { } l) longest = Math.Max(longest, now - l);
            last = now;
            if (final) return (polls, longest);
            try { await Task.Delay(SustainedPollMs, stop); }
            catch (OperationCanceledException) { }
        }
    }

    /// <summary>The n of a subtree's persistence id, which ends in /persistent/p{n}.</summary>
    private static int SubtreeIndex(string pid) =>
        int.Parse(pid[(pid.LastIndexOf("/persistent/p", StringComparison.Ordinal) + "/persistent/p".Length)..], CultureInfo.InvariantCulture);
}
