using System.Text;

namespace Caiman.Doc.Bench;

internal static class Report
{
    public static string Markdown(BenchContext ctx, RunInfo run)
    {
        var plain = ctx.Find("plain")?.Median ?? double.NaN;
        var inproc = ctx.Find("inproc-pipelined")?.Median ?? double.NaN;
        var md = new StringBuilder();
        Results.AppendHeader(md, "DOC benchmark results", run, ctx.Elapsed,
            "this is a shared VM: figures move by tens of percent from run to run, so compare figures of the same run",
            $"Each figure is the median of {ctx.Reps} repetitions (after a warm-up); all samples are listed. Throughputs are also given as a ratio of the plain tree measured in this same run.");
        Results.AppendTableStart(md, "Against the targets", "| Figure | Median | vs plain tree | Target | Met | Samples |", "| --- | ---: | ---: | --- | --- | --- |");
        foreach (var f in ctx.Figures.Where(f => f.Target is not null || f.Key == "plain"))
            md.AppendLine(Row(f, plain));
        md.AppendLine();
        if (ctx.Find("remote-pipelined") is { } remote && remote.Samples.Count > 0 && !double.IsNaN(inproc))
        {
            md.AppendLine(RemoteHeadline(ctx, inproc / remote.Median, plain / remote.Median));
            md.AppendLine();
        }
        Results.AppendList(md, "Why the misses", ctx.Figures.Where(f => f.Met(plain) == false).Select(f =>
            $"**{f.Name}** ({Fmt.Value(f.Median, f.Unit)}, target {f.Target}): {Why.Explain(f, ctx)}"));
        // The comparison of snapshots on, off and the journal floor is reported whether or not the target was met.
        var sustained = ctx.Find("persisted-sustained") is { Samples.Count: > 0 } s ? s : null;
        if (ctx.Find("persisted") is { Samples.Count: > 0 } persisted && persisted.Met(plain) != false)
        {
            md.AppendLine($"## Persisted throughput: snapshots on, snapshots off and the journal floor{(sustained is null ? "" : "; sustained")}");
            md.AppendLine();
            md.AppendLine($"With snapshots on the DOC reaches {Fmt.Value(persisted.Median, persisted.Unit)} (target {persisted.Target}, met); {Why.PersistedComparison(ctx, missed: false)}");
            md.AppendLine();
            if (sustained is not null && sustained.Met(plain) != false)
            {
                md.AppendLine(Why.Sustained(ctx));
                md.AppendLine();
            }
        }
        Results.AppendTableStart(md, "Figures that explain the others", "| Figure | Median | vs plain tree | Samples |", "| --- | ---: | ---: | --- |");
        foreach (var f in ctx.Figures.Where(f => f.Target is null && f.Key != "plain"))
            md.AppendLine($"| {f.Name} | {Fmt.Value(f.Median, f.Unit)} | {Ratio(f, plain)} | {Samples(f)} |");
        md.AppendLine();
        md.AppendLine("## What each figure measured");
        md.AppendLine();
        foreach (var f in ctx.Figures.Where(f => f.Detail is not null)) md.AppendLine($"- **{f.Name}**: {f.Detail}.");
        md.AppendLine();
        Results.AppendList(md, "Findings about the DOC's design", ctx.Findings);
        Results.AppendList(md, "Notes from the run", ctx.Notes);
        Results.AppendProblems(md, "Problems seen in the DOC", ctx.Problems,
            "None: every reply was the expected one, and the trees after the in-process and remote runs matched the plain tree after the same operations.");
        return md.ToString();
    }

    /// <summary>The 2010 design thread's measurement (the team's reference material), quoted as it gives it.</summary>
    private const string Thread2010 = "the caiman-discuss thread of October 2010 on multiprocessing in the install engine";
    private const int Tests2010 = 42;
    private const double InProcess2010 = 0.027, Proxied2010 = 11.611;

    /// <summary>Remote against in-process in this run, next to the 2010 thread's figure for the same architecture in Python.</summary>
    private static string RemoteHeadline(BenchContext ctx, double pipelinedRatio, double plainRatio)
    {
        var awaitedRatio = ctx.Find("inproc-awaited") is { Samples.Count: > 0 } a && ctx.Find("remote-awaited") is { Samples.Count: > 0 } r ? a.Median / r.Median : double.NaN;
        var thisRun = double.IsNaN(awaitedRatio)
            ? $"{Fmt.N1(pipelinedRatio)} (pipelined both)"
            : $"{Fmt.N1(pipelinedRatio)} pipelined and {Fmt.N1(awaitedRatio)} with one awaited call at a time";
        var echo = ctx.Find("remote-echo-pipelined")?.Median ?? double.NaN;
        var echoAsk = ctx.Find("remote-echo-awaited")?.Median ?? double.NaN;
        var remoteAwaited = ctx.Find("remote-awaited")?.Median ?? double.NaN;
        var baselines = $"Against its own baselines over the same connection: pipelined, the DOC reaches {Fmt.N2(ctx.Find("remote-pipelined")!.Median / echo)} of a bare remote echo ({Fmt.N0(echo)} ops/s); " +
            $"awaited, a DOC call takes {Fmt.N2(echoAsk / remoteAwaited)} times a bare remote Ask's round trip ({Fmt.N0(1e6 / remoteAwaited)} µs against {Fmt.N0(1e6 / echoAsk)} µs). ";
        return baselines + $"Over Akka.Remote the DOC is {Fmt.N1(pipelinedRatio)} times slower than in process (pipelined both" +
            (double.IsNaN(awaitedRatio) ? "" : $"; {Fmt.N1(awaitedRatio)} times with one awaited call per op on both sides") +
            $") and {Fmt.N1(plainRatio)} times slower than the plain tree, in this run. " +
            $"For context, the 2010 design thread on moving the DOC behind Python multiprocessing ({Thread2010}, kept in the team's reference material) measured the DOC's {Tests2010} unit tests at {InProcess2010.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} s in process against {Proxied2010.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} s through multiprocessing proxies, " +
            $"about {Fmt.N0(Proxied2010 / InProcess2010)} times slower, which the thread put down to every DataObject copied across carrying the whole tree it belonged to; " +
            $"this run's remote/in-process ratio is {thisRun}, measured on this benchmark's operation mix, not on those tests.";
    }

    private static string Row(Figure f, double plain)
    {
        var met = f.Met(plain) switch { true => "met", false => "**not met**", null => "—" };
        return $"| {f.Name} | {Fmt.Value(f.Median, f.Unit)} | {Ratio(f, plain)} | {f.Target ?? "baseline"} | {met} | {Samples(f)} |";
    }

    private static string Ratio(Figure f, double plain) =>
        f.IsThroughput && plain > 0 && f.Samples.Count > 0 ? $"{Fmt.N3(f.Median / plain)}" : "—";

    private static string Samples(Figure f) => string.Join(", ", f.Samples.Select(s => f.Unit switch
    {
        "s" => Fmt.N3(s),
        "µs/op" => Fmt.N2(s),
        _ when f.Unit.StartsWith('B') => Fmt.N1(s),
        _ => Fmt.N0(s),
    }));
}

/// <summary>
/// Why a figure misses its target, in terms of the other figures of the same run: every number is
/// read from this run, and every comparison is stated only as far as those numbers bear it out.
/// </summary>
internal static class Why
{
    public static string Explain(Figure f, BenchContext ctx)
    {
        double M(string key) => ctx.Find(key) is { Samples.Count: > 0 } x ? x.Median : double.NaN;
        string R(string key) => Fmt.N0(M(key));
        string U(string key) => Fmt.N2(M(key));
        double Us(string key) => 1e6 / M(key); // µs of wall-clock time per op at a throughput
        // Said when a floor's median is below a target but one of its samples is not.
        string Fastest(string key, double target) =>
            ctx.Find(key) is { Samples.Count: > 0 } x && x.Samples.Max() >= target ? $" (the median; its fastest sample, {Fmt.N0(x.Samples.Max())}, was not below)" : "";
        var plain = M("plain");
        var cores = Environment.ProcessorCount;
        switch (f.Key)
        {
            case "inproc-pipelined":
            {
                var domain = M("domain") / plain;
                var actorPart = Us("inproc-pipelined") - Us("domain");
                return $"the DOC spends {U("inproc-pipelined-cpu")} µs of CPU per op (all threads) where the plain tree takes {Fmt.N2(1e6 / plain)} µs. " +
                       $"The domain layer alone (SubtreeState called directly, no actors) does {R("domain")} ops/s, {Fmt.N2(domain)} of the plain tree" +
                       (domain < 0.8 ? ", already below the 0.8 target before any messaging, so cheaper messaging alone cannot meet it. " : ", which would meet the target: the gap is in the actor path. ") +
                       $"In the domain layer a find costs {U("us-find")} µs, a set {U("us-set")} µs and an insert {U("us-insert")} µs (each including its path parse, {U("us-parse")} µs on its own) against {U("us-plain")} µs for an average op of the plain tree. " +
                       (actorPart > 0
                           ? $"Through the actors an op takes {Fmt.N2(Us("inproc-pipelined"))} µs of wall-clock time, {Fmt.N2(actorPart)} µs more than the domain layer's {Fmt.N2(Us("domain"))} µs: "
                           : $"Through the actors an op takes {Fmt.N2(Us("inproc-pipelined"))} µs of wall-clock time, no more than the domain layer's {Fmt.N2(Us("domain"))} µs on one thread, though it costs {U("inproc-pipelined-cpu")} µs of CPU across threads: ") +
                       "each op crosses one mailbox (the client sends it straight to the subtree actor, which handles its messages one at a time) and its reply another (the driver's), " +
                       $"and the driver builds the messages and checks the replies, all on {cores} cores; a pipelined echo through the same driver does {R("inproc-echo-pipelined")} ops/s ({Fmt.N2(Us("inproc-echo-pipelined"))} µs per op).";
            }
            case "inproc-awaited":
            {
                var echo = M("inproc-echo-awaited");
                return (echo < 500_000
                        ? $"the target is above what one awaited Ask reaches on this machine before the DOC does anything: a bare awaited Ask to an echo actor does {R("inproc-echo-awaited")} ops/s{Fastest("inproc-echo-awaited", 500_000)}. "
                        : $"a bare awaited Ask to an echo actor does {R("inproc-echo-awaited")} ops/s on this machine, above the target, so the DOC's own cost is what misses it. ") +
                       "Each Ask allocates a temporary actor ref, a TaskCompletionSource and a timeout registration, and resumes on the thread pool. " +
                       $"Per call the DOC takes {Fmt.N2(Us("inproc-awaited"))} µs against {Fmt.N2(Us("inproc-echo-awaited"))} µs for the bare Ask, {Fmt.N2(Us("inproc-awaited") - Us("inproc-echo-awaited"))} µs more: the domain work " +
                       $"(the domain layer alone takes {Fmt.N2(Us("domain"))} µs per op); with one call in flight nothing overlaps. CPU per op: {U("inproc-awaited-cpu")} µs (all threads).";
            }
            case "remote-pipelined":
            {
                var echo = M("remote-echo-pipelined");
                var perOp = Us("remote-pipelined") - Us("remote-echo-pipelined");
                return $"a pipelined echo of a short string over the same connection reaches {R("remote-echo-pipelined")} ops/s ({Fmt.N2(Us("remote-echo-pipelined"))} µs per op), the floor of Akka.Remote here; the DOC takes {Fmt.N2(Us("remote-pipelined"))} µs per op, {Fmt.N2(perOp)} µs more. " +
                       $"Of that, its wire format costs {U("us-binary")} µs per op (request and reply each written once and read once, measured in process; System.Text.Json took {U("us-json")} µs), " +
                       $"its domain work {Fmt.N2(Us("domain"))} µs, and its messages are larger than a 4-character string: {ctx.Facts.GetValueOrDefault("wire-bytes", "see the notes")}; " +
                       $"all of it on {cores} cores shared by the client, the server and both DotNetty stacks, where the echo alone keeps both cores busy.";
            }
            case "remote-awaited":
                return $"a bare awaited Ask to an echo actor in the same child process takes {Fmt.N0(Us("remote-echo-awaited"))} µs per round trip; a DOC call {Fmt.N0(Us("remote-awaited"))} µs: " +
                       $"the same round trip plus the domain work ({Fmt.N2(Us("domain"))} µs), the wire format ({U("us-binary")} µs) and the client's routing, with nothing overlapping.";
            case "persisted":
                return PersistedComparison(ctx, missed: true) + (ctx.Find("persisted-sustained") is { Samples.Count: > 0 } sustained
                    ? " " + (sustained.Met(plain) == false ? "The sustained figure (no pauses) also missed the target; see its own entry." : Sustained(ctx))
                    : "");
            case "persisted-sustained":
            {
                var floor = M("persisted-floor");
                return (double.IsNaN(floor) ? ""
                        : floor < 50_000 ? $"the journal stack alone (trivial persistent actors, interleaved with the DOC's pausing repetitions) reaches {R("persisted-floor")} mutations/s in this run, below the target before any DOC work. "
                        : $"the journal stack alone (trivial persistent actors, interleaved with the DOC's pausing repetitions) reaches {R("persisted-floor")} mutations/s in this run. ") +
                       Sustained(ctx);
            }
            case "recovery-snapshots-warm":
            {
                var snap = M("recovery-snapshots-warm");
                var events = M("recovery-events-warm");
                return (snap < events
                        ? $"loading the snapshot is faster than replaying the same history's events ({Fmt.Value(events, "s")} in the same setting), but not enough. "
                        : $"loading the snapshot is not faster than replaying the same history's events ({Fmt.Value(events, "s")} in the same setting); see the findings for the snapshot's size. ") +
                       $"In a newly started process add the fixed start-up cost (JIT compilation, journal plugin start-up): a 1-node DOC takes {Fmt.Value(M("recovery-tiny-cold"), "s")} to recover there, and the 100k-node one {Fmt.Value(M("recovery-snapshots-cold"), "s")} with its snapshot, {Fmt.Value(M("recovery-events-cold"), "s")} from events only.";
            }
            case "journal-bytes-big":
                return "the change event itself is larger than the target; see the per-row detail below.";
            case "memory":
                return $"the plain tree needs {R("memory-plain")} B per node for the same nodes and property, for comparison; see the detail below for what the figure includes.";
            default:
                return "no explanation recorded for this figure.";
        }
    }

    /// <summary>
    /// The sustained figure: against the interleaved one, the snapshots saved within its runs (read from
    /// SQLite), and its windows; every number from this run, every comparison as far as they bear it out.
    /// </summary>
    public static string Sustained(BenchContext ctx)
    {
        var sustained = ctx.Find("persisted-sustained")!;
        long L(string key) => long.Parse(ctx.Facts[key], System.Globalization.CultureInfo.InvariantCulture);
        static double D(string text) => double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        var total = L("sustained-total");
        var events = L("sustained-events");
        var forced = L("sustained-forced");
        var longest = L("sustained-longest");
        var count = L("sustained-snapshots");
        var runs = sustained.Samples.Count;
        var text = new StringBuilder();
        text.Append($"Sustained, with no pauses: one pipelined run of {total:N0} mutations per repetition, {events:N0} events per subtree, {Fmt.N1(events / (double)forced)} times the {forced:N0} events after which a subtree that has had no quiet pause saves a snapshot at the next moment none of its writes is in flight. ");
        var plain = ctx.Find("plain")?.Median ?? double.NaN;
        var throughput = $"{Fmt.N0(sustained.Median)} mutations/s (the median of {runs} runs, {(sustained.Met(plain) == true ? "meeting" : "below")} the target";
        if (ctx.Find("persisted") is { Samples.Count: > 0 } interleaved)
        {
            var overlap = sustained.Samples.Max() >= interleaved.Samples.Min() && interleaved.Samples.Max() >= sustained.Samples.Min();
            throughput += $"; {Fmt.N2(sustained.Median / interleaved.Median)} of the interleaved median with snapshots on, {Fmt.N0(interleaved.Median)}; " +
                (overlap ? "the two sets of samples overlap, so this run does not separate them"
                : sustained.Median < interleaved.Median ? "the two sets of samples do not overlap, the sustained one is the lower"
                : "the two sets of samples do not overlap, the sustained one is the higher");
        }
        throughput += ")";
        text.Append(count == 0
            ? $"No snapshot was saved within any of the {runs} runs (the snapshot table was read every {PersistenceBench.SustainedPollMs} ms while they ran): a subtree went up to {longest:N0} events without one ({Fmt.N1(longest / (double)forced)} times that point) " +
              $"and saved it only once the run's writes stopped ({ctx.Facts["sustained-after"]} snapshots then, outside the timing), so this figure{(ctx.Facts.TryGetValue("persisted-snapshot-reps", out var timed) && timed.Length == 0 ? ", like the interleaved one," : "")} excludes the cost of saving snapshots{(longest > forced + forced / PersistenceBench.ForcedFactor ? " (see the findings)" : "")}. Sustained throughput is {throughput}. "
            : $"With snapshots forced mid-burst ({count} saved within the {runs} runs, by run: {ctx.Facts["sustained-per-rep"]}; each after {(L("sustained-since-min") == L("sustained-since-max") ? $"{L("sustained-since-min"):N0}" : $"{L("sustained-since-min"):N0} to {L("sustained-since-max"):N0}")} events since the subtree's previous one; " +
              $"the longest stretch without one {longest:N0} events), sustained throughput is {throughput}. ");
        var slow = ctx.Facts["sustained-slowest"].Split('|');
        var windows = L("sustained-windows");
        var inSlowest = int.Parse(slow[3], System.Globalization.CultureInfo.InvariantCulture);
        text.Append($"The slowest window of {PersistenceBench.SustainedWindow:N0} acknowledged mutations was {Fmt.N0(D(slow[0]))} mutations/s (run {slow[1]}, window {int.Parse(slow[2], System.Globalization.CultureInfo.InvariantCulture) + 1} of {windows}; " +
            (inSlowest == 0 ? "no snapshot was taken in it" : $"{Fmt.Count(inSlowest, "snapshot was", "snapshots were")} taken in it") +
            $"), against a median window of {Fmt.N0(D(ctx.Facts["sustained-median-window"]))} mutations/s over all {runs} runs");
        if (ctx.Facts.TryGetValue("sustained-with", out var with) && ctx.Facts.TryGetValue("sustained-without", out var without))
        {
            var (w, wn) = (D(with.Split('|')[0]), with.Split('|')[1]);
            var (o, on) = (D(without.Split('|')[0]), without.Split('|')[1]);
            text.Append($"; the windows in which a snapshot was taken had a median of {Fmt.N0(w)} mutations/s ({wn} windows), the others {Fmt.N0(o)} ({on} windows)");
        }
        text.Append(". Every window of every run is listed in the notes.");
        return text.ToString();
    }

    /// <summary>Snapshots on against off and against the journal floor; <paramref name="missed"/> says whether the figure with snapshots missed its target.</summary>
    public static string PersistedComparison(BenchContext ctx, bool missed)
    {
        double M(string key) => ctx.Find(key) is { Samples.Count: > 0 } x ? x.Median : double.NaN;
        var snap = ctx.Find("persisted")!;
        var noSnap = ctx.Find("persisted-nosnap");
        var floorFigure = ctx.Find("persisted-floor");
        var floor = M("persisted-floor");
        var text = new StringBuilder();
        text.Append(!missed
            ? $"the journal stack alone (trivial persistent actors on their own SQLite file with the same settings, same batching and acknowledgement) reaches {Fmt.N0(floor)} mutations/s in this run. "
            : floor < 50_000
            ? $"the journal stack alone (trivial persistent actors on their own SQLite file with the same settings, same batching and acknowledgement) reaches {Fmt.N0(floor)} mutations/s in this run, below the target before any DOC work. "
            : $"the journal stack alone (trivial persistent actors on their own SQLite file with the same settings, same batching and acknowledgement) reaches {Fmt.N0(floor)} mutations/s in this run, so the journal by itself does not keep the DOC below the target. ");
        // Repetitions during whose timing a snapshot was saved, and the ones right after them (a snapshot
        // is written asynchronously, so its cost may spill into the next repetition).
        static HashSet<int> Reps(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => int.Parse(r, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var taken = Reps(ctx.Facts.GetValueOrDefault("persisted-snapshot-reps", ""));
        if (1e6 / snap.Median > 1e6 / floor)
            text.Append($"Per mutation the DOC takes {Fmt.N1(1e6 / snap.Median)} µs of wall-clock time against {Fmt.N1(1e6 / floor)} µs for the floor, {Fmt.N1(1e6 / snap.Median - 1e6 / floor)} µs more: its own work on this path (routing by the path's first two steps, Decide, the event's JSON)" +
                (taken.Count > 0 ? " and the snapshots it saved within the timing. " : ". "));
        else
            text.Append($"Per mutation the DOC takes {Fmt.N1(1e6 / snap.Median)} µs of wall-clock time against {Fmt.N1(1e6 / floor)} µs for the floor, no more. ");
        var inPauses = Reps(ctx.Facts.GetValueOrDefault("persisted-snapshot-pause-reps", ""));
        var clean = Enumerable.Range(0, snap.Samples.Count).Where(r => !taken.Contains(r) && !taken.Contains(r - 1)).Select(r => snap.Samples[r]).ToList();
        var quiet = ctx.Facts.GetValueOrDefault("snapshot-quiet-period", "the quiet period");
        var perRep = ctx.Facts.GetValueOrDefault("persisted-snapshots-per-rep", "not recorded");
        text.Append($"A subtree saves a snapshot once max(snapshot-every, nodes / 2) events have been persisted since its last one ({ctx.Facts.GetValueOrDefault("persisted-snapshot-interval", "?")} for these subtrees), and only when it has had no write for caiman.doc.snapshot-quiet-period ({quiet}) and none is in flight; " +
            "after ten times that many events without such a pause it saves one at the next moment no write is in flight. " +
            (taken.Count == 0 && inPauses.Count == 0
                ? "No snapshot was saved during the measured rounds, so the figure with snapshots on includes no snapshot's cost. "
                : taken.Count == 0
                    ? $"No snapshot was saved while a repetition was being timed: the subtrees saved theirs in the pauses between repetitions, when their writes had stopped ({ctx.Facts.GetValueOrDefault("persisted-snapshot-pause-summary", perRep)}), so the figure with snapshots on does not include the time to save one; it is the throughput between snapshots. "
                    : $"Snapshots saved, by repetition: {perRep}. "));
        if (noSnap is { Samples.Count: > 0 })
        {
            var overlap = snap.Samples.Max() >= noSnap.Samples.Min() && noSnap.Samples.Max() >= snap.Samples.Min();
            text.Append($"With snapshots off the same run reaches {Fmt.N0(noSnap.Median)} mutations/s ({Fmt.N2(noSnap.Median / snap.Median)} times the figure with snapshots){(noSnap.Median >= 50_000 ? ", meeting the target" : "")}; ");
            if (overlap)
                text.Append("the two sets of samples overlap, so this run does not separate the two configurations from the run-to-run spread. ");
            else if (noSnap.Median <= snap.Median)
                text.Append(missed ? "the two sets of samples do not overlap, and snapshots off is the slower one, so snapshots do not explain the miss. "
                    : "the two sets of samples do not overlap, and snapshots off is the slower one. ");
            else if (taken.Count == 0)
                text.Append("the two sets of samples do not overlap, yet no snapshot was saved within the timing of any repetition, so the difference is not the time spent saving snapshots. ");
            else if (clean.Count > 0 && clean.Max() < noSnap.Samples.Min())
                text.Append($"the two sets of samples do not overlap, but the repetitions with snapshots on during which no snapshot was saved and which did not follow one ({string.Join(", ", clean.Select(Fmt.N0))} mutations/s) were also below every sample with snapshots off, " +
                            "so saving snapshots does not account for the whole difference. ");
            else
                text.Append("the two sets of samples do not overlap, so snapshots cost throughput in this run. ");
            var rounds = Math.Min(snap.Samples.Count, noSnap.Samples.Count);
            var ratios = Enumerable.Range(0, rounds).Select(i => noSnap.Samples[i] / snap.Samples[i]).ToList();
            text.Append($"Round by round (the two measured in the same round), snapshots off / on: {string.Join(", ", ratios.Select(Fmt.N2))}; off was the faster in {ratios.Count(r => r > 1)} of {rounds} rounds. ");
        }
        if (ctx.Facts.TryGetValue("persisted-method-short", out var method))
            text.Append($"The three configurations (snapshots on, snapshots off, journal floor) were interleaved, not run one after the other: {method}. ");
        text.Append($"Repetitions in order, snapshots on: {Fmt.Trend(snap.Samples, "mutations/s")}");
        if (noSnap is { Samples.Count: > 0 }) text.Append($"; snapshots off: {Fmt.Trend(noSnap.Samples, "mutations/s")}");
        if (floorFigure is { Samples.Count: > 0 }) text.Append($"; journal floor: {Fmt.Trend(floorFigure.Samples, "mutations/s")}");
        text.Append(". ");
        var awaited = M("persisted-awaited");
        text.Append($"A single awaited durable write takes {Fmt.N2(1000 / awaited)} ms (one commit each)");
        text.Append(snap.Median > 2 * awaited
            ? $"; pipelined, with up to the window's writes in flight, the DOC reaches {Fmt.N0(snap.Median / awaited)} times that rate."
            : ".");
        return text.ToString();
    }
}
