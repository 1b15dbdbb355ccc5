using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Caiman.Doc.Bench;

internal static class Report
{
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Caiman.Actors.sln"))) return dir.FullName;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Caiman.Actors.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Caiman.Actors.sln)");
    }

    public static string Markdown(BenchContext ctx, DateTimeOffset started, string[] args, CpuSample cpuStart)
    {
        var plain = ctx.Find("plain")?.Median ?? double.NaN;
        var inproc = ctx.Find("inproc-pipelined")?.Median ?? double.NaN;
        var md = new StringBuilder();
        md.AppendLine("# DOC benchmark results");
        md.AppendLine();
        md.AppendLine($"- Date: {started:yyyy-MM-dd HH:mm} UTC; run time {ctx.Elapsed.TotalMinutes:N1} min");
        md.AppendLine($"- Command: `dotnet run -c Release --project bench/Caiman.Doc.Bench -- {string.Join(' ', args.DefaultIfEmpty("all"))}`");
        md.AppendLine($"- Machine: {Environment.ProcessorCount} cores ({CpuModel()}), {TotalRamGiB():N1} GiB RAM, {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})");
        md.AppendLine($"- Runtime: {RuntimeInformation.FrameworkDescription}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC, Release build, TieredPGO on; Akka.NET {typeof(Akka.Actor.ActorSystem).Assembly.GetName().Version}");
        md.AppendLine($"- Machine load: {Load(cpuStart, CpuSample.Now())} (this is a shared VM: figures move by tens of percent from run to run, so compare figures of the same run)");
        md.AppendLine($"- Each figure is the median of {ctx.Reps} repetitions (after a warm-up); all samples are listed. Throughputs are also given as a ratio of the plain tree measured in this same run.");
        md.AppendLine();
        md.AppendLine("## Against the targets");
        md.AppendLine();
        md.AppendLine("| Figure | Median | vs plain tree | Target | Met | Samples |");
        md.AppendLine("| --- | ---: | ---: | --- | --- | --- |");
        foreach (var f in ctx.Figures.Where(f => f.Target is not null || f.Key == "plain"))
            md.AppendLine(Row(f, plain));
        md.AppendLine();
        if (ctx.Find("remote-pipelined") is { } remote && remote.Samples.Count > 0 && !double.IsNaN(inproc))
        {
            md.AppendLine($"Over Akka.Remote the DOC is {Fmt.N1(inproc / remote.Median)} times slower than in process (pipelined both) and {Fmt.N1(plain / remote.Median)} times slower than the plain tree; the 2010 thread measured 430 times for the same architecture.");
            md.AppendLine();
        }
        var misses = ctx.Figures.Where(f => f.Met(plain) == false).ToList();
        if (misses.Count > 0)
        {
            md.AppendLine("## Why the misses");
            md.AppendLine();
            foreach (var f in misses) md.AppendLine($"- **{f.Name}** ({Fmt.Value(f.Median, f.Unit)}, target {f.Target}): {Why.Explain(f, ctx)}");
            md.AppendLine();
        }
        md.AppendLine("## Figures that explain the others");
        md.AppendLine();
        md.AppendLine("| Figure | Median | vs plain tree | Samples |");
        md.AppendLine("| --- | ---: | ---: | --- |");
        foreach (var f in ctx.Figures.Where(f => f.Target is null && f.Key != "plain"))
            md.AppendLine($"| {f.Name} | {Fmt.Value(f.Median, f.Unit)} | {Ratio(f, plain)} | {Samples(f)} |");
        md.AppendLine();
        md.AppendLine("## What each figure measured");
        md.AppendLine();
        foreach (var f in ctx.Figures.Where(f => f.Detail is not null)) md.AppendLine($"- **{f.Name}**: {f.Detail}.");
        md.AppendLine();
        if (ctx.Findings.Count > 0)
        {
            md.AppendLine("## Findings about the DOC's design");
            md.AppendLine();
            foreach (var finding in ctx.Findings) md.AppendLine($"- {finding}");
            md.AppendLine();
        }
        if (ctx.Notes.Count > 0)
        {
            md.AppendLine("## Notes from the run");
            md.AppendLine();
            foreach (var note in ctx.Notes) md.AppendLine($"- {note}");
            md.AppendLine();
        }
        md.AppendLine("## Problems seen in the DOC");
        md.AppendLine();
        if (ctx.Problems.Count == 0) md.AppendLine("None: every reply was the expected one, and the trees after the in-process and remote runs matched the plain tree after the same operations.");
        foreach (var p in ctx.Problems) md.AppendLine($"- {p}");
        return md.ToString();
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

    /// <summary>Load average and the share of CPU time the hypervisor took (steal) while the run went on.</summary>
    public static string Load(CpuSample start, CpuSample end)
    {
        var total = end.Total - start.Total;
        var steal = total > 0 ? 100.0 * (end.Steal - start.Steal) / total : 0;
        var idle = total > 0 ? 100.0 * (end.Idle - start.Idle) / total : 0;
        return $"load average {start.LoadAverage} at the start, {end.LoadAverage} at the end; over the run the CPUs were {Fmt.N1(idle)}% idle and {Fmt.N1(steal)}% stolen by the hypervisor";
    }

    internal sealed record CpuSample(long Total, long Idle, long Steal, string LoadAverage)
    {
        public static CpuSample Now()
        {
            try
            {
                var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
                var load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
                return new CpuSample(cpu.Take(8).Sum(), cpu[3] + cpu[4], cpu.Length > 7 ? cpu[7] : 0, load);
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or InvalidOperationException)
            {
                return new CpuSample(0, 0, 0, "unknown");
            }
        }
    }

    private static string CpuModel()
    {
        try
        {
            using var lscpu = Process.Start(new ProcessStartInfo("lscpu") { RedirectStandardOutput = true, UseShellExecute = false });
            if (lscpu is not null)
            {
                var output = lscpu.StandardOutput.ReadToEnd();
                lscpu.WaitForExit(5000);
                var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("Model name:", StringComparison.Ordinal));
                if (line is not null) return line["Model name:".Length..].Trim();
            }
        }
        catch (System.ComponentModel.Win32Exception) { }
        if (File.Exists("/proc/cpuinfo"))
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static double TotalRamGiB()
    {
        if (File.Exists("/proc/meminfo"))
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out var kb)) return kb / 1024.0 / 1024.0;
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
    }
}

/// <summary>Why a figure misses its target, in terms of the other figures of the same run.</summary>
internal static class Why
{
    public static string Explain(Figure f, BenchContext ctx)
    {
        double M(string key) => ctx.Find(key) is { Samples.Count: > 0 } x ? x.Median : double.NaN;
        string R(string key) => Fmt.N0(M(key));
        string U(string key) => Fmt.N2(M(key));
        var plain = M("plain");
        switch (f.Key)
        {
            case "inproc-pipelined":
                return $"the DOC spends {U("inproc-pipelined-cpu")} µs of CPU per op (all threads) where the plain tree spends {Fmt.N2(1e6 / plain)} µs, and a single subtree actor handles its messages one at a time. " +
                       $"Its own work is already most of the gap: the domain layer alone (SubtreeState called directly, no actors) does {R("domain")} ops/s, {Fmt.N2(M("domain") / plain)} of the plain tree, before any messaging. " +
                       $"Per op it parses the path into a DocPath ({U("us-parse")} µs), and a find costs {U("us-find")} µs, a set {U("us-set")} µs and an insert {U("us-insert")} µs against {U("us-plain")} µs for an average op of the plain tree " +
                       "(validation of names, kinds and values; a path string built for every result and every value check; an event record and an undo-log entry per change; the property map rebuilt through a SortedDictionary on every set; an immutable DocNode copy for every find). " +
                       $"On top of that the DocActor parses every path a second time to route it, every op crosses two mailboxes, and the driver builds the messages and checks the replies, all on 2 cores; Akka messaging itself is cheap by comparison (a pipelined echo does {R("inproc-echo-pipelined")} ops/s). " +
                       "Getting near 0.8 of the plain tree would take routing without the second parse and a domain layer that does not allocate per op.";
            case "inproc-awaited":
                return $"the target is above what one awaited Ask costs on this machine before the DOC does anything: a bare awaited Ask to an echo actor reaches {R("inproc-echo-awaited")} ops/s " +
                       "(each call allocates a temporary actor ref, a TaskCompletionSource and a timeout registration, and resumes on the thread pool). " +
                       $"The DOC adds a second hop (DocActor → subtree actor) and its domain work (see the in-process pipelined figure: {R("domain")} ops/s for the domain layer alone), and with one call in flight nothing overlaps.";
            case "remote-pipelined":
                return $"Akka.Remote itself is below the target here: a pipelined echo of a short string over the same connection reaches {R("remote-echo-pipelined")} ops/s with no DOC work. " +
                       $"Every DOC request and reply also goes through the DOC's System.Text.Json serializer, {U("us-json")} µs per op (request and reply each written once and read once), " +
                       "on 2 cores shared by the client, the server, both DotNetty stacks and the DOC itself. " +
                       $"Awaiting each call over the network is far worse ({R("remote-awaited")} ops/s): it pays a full loopback round trip per op.";
            case "persisted":
                var noSnap = M("persisted-nosnap");
                var trend = ctx.Find("persisted") is { } p ? string.Join(" → ", p.Samples.Select(Fmt.N0)) : "";
                return $"two costs, in this order. Snapshots: with snapshots off the same run reaches {R("persisted-nosnap")} mutations/s{(noSnap >= 50_000 ? ", meeting the target" : "")}. " +
                       "With the default snapshot-every = 1000 each subtree saves a snapshot every 1,000 mutations, and a snapshot carries the subtree's whole undo log (one entry per mutation ever made, so that reverting a writer still works after recovery): " +
                       "the snapshots of these 111-node subtrees grow with their history, not with the tree (see the notes for their size at the end), so each costs more to serialize and write than the last " +
                       $"(repetitions: {trend} mutations/s). The DOC's work per mutation: the journal stack alone (trivial persistent actors, same SQLite file, same batching and acknowledgement) does {R("persisted-floor")} mutations/s, " +
                       "so routing (the DocActor parses each path), Decide, and the JSON of each event take the rest. " +
                       $"The journal itself batches well: a single awaited durable write takes {Fmt.N2(1000 / M("persisted-awaited"))} ms (one commit with fsync each), yet pipelined writes share commits.";
            case "recovery-snapshots-warm":
                return $"the snapshot is slower to read than the events it replaces. Replaying all 1,001 events takes {Fmt.N2(M("recovery-events-warm"))} s in the same setting, " +
                       "but the snapshot is about twice their size (see the notes: each snapshot node also carries its version, insert and structure stamps and property stamps, all as JSON) and is one blob deserialized in one piece before SubtreeState.FromSnapshot rebuilds the tree. " +
                       $"In a newly started process add the fixed start-up cost (JIT compilation, Akka.Persistence.Sql/linq2db initialization): a 1-node DOC takes {Fmt.N2(M("recovery-tiny-cold"))} s to recover there, and the 100k-node one {Fmt.N2(M("recovery-snapshots-cold"))} s with its snapshot, {Fmt.N2(M("recovery-events-cold"))} s from events only.";
            case "journal-bytes-big":
                return "the change event itself is larger than expected; see the per-row detail below.";
            case "memory":
                return $"each node holds a TreeNode (serial, name, kind, property map, parent, children, version, two change stamps and property stamps), an entry in the subtree's serial index and a PropertyMap with its own array and DocValue; the plain tree needs {Fmt.N0(M("memory-plain"))} B per node for comparison.";
            default:
                return "no explanation recorded for this figure.";
        }
    }
}
