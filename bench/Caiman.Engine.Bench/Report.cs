using System.Runtime.InteropServices;
using System.Text;

namespace Caiman.Engine.Bench;

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
        var md = new StringBuilder();
        md.AppendLine("# Engine benchmark results");
        md.AppendLine();
        md.AppendLine($"- Date: {started:yyyy-MM-dd HH:mm} UTC; run time {ctx.Elapsed.TotalMinutes:N1} min");
        md.AppendLine($"- Command: `dotnet run -c Release --project bench/Caiman.Engine.Bench -- {string.Join(' ', args.DefaultIfEmpty("all"))}`");
        md.AppendLine($"- Machine: {Environment.ProcessorCount} cores ({CpuModel()}), {TotalRamGiB():N1} GiB RAM, {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})");
        md.AppendLine($"- Runtime: {RuntimeInformation.FrameworkDescription}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC, Release build, TieredPGO on; Akka.NET {typeof(Akka.Actor.ActorSystem).Assembly.GetName().Version}");
        md.AppendLine($"- Machine load: {Load(cpuStart, CpuSample.Now())} (a shared VM: absolute figures move by tens of percent from run to run, so compare figures of the same run)");
        md.AppendLine($"- Each figure is the median of {ctx.Reps} repetitions after an unmeasured one unless its row says otherwise (the cancel latency is judged on its p95); every baseline was measured in this same run. All samples are listed at the end.");
        md.AppendLine();
        md.AppendLine("## Against the targets");
        md.AppendLine();
        md.AppendLine("| # | Figure | Result | Target | Met | Baseline (same run) |");
        md.AppendLine("| --- | --- | ---: | --- | --- | --- |");
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
        var misses = judged.Where(f => f.Met == false).ToList();
        if (misses.Count > 0)
        {
            md.AppendLine("## Why the misses");
            md.AppendLine();
            foreach (var f in misses)
                md.AppendLine($"- **{f.Name}** ({Result(f)}, target {f.Target}): {string.Join(" ", ctx.Why.GetValueOrDefault(f.Key) ?? ["not investigated in this run."])}");
            md.AppendLine();
        }
        if (ctx.Findings.Count > 0)
        {
            md.AppendLine("## Findings");
            md.AppendLine();
            foreach (var finding in ctx.Findings) md.AppendLine($"- {finding}");
            md.AppendLine();
        }
        md.AppendLine("## Figures that explain the others");
        md.AppendLine();
        md.AppendLine("| Figure | Result | How measured |");
        md.AppendLine("| --- | ---: | --- |");
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
        if (ctx.Notes.Count > 0)
        {
            md.AppendLine("## Notes from the run");
            md.AppendLine();
            foreach (var note in ctx.Notes) md.AppendLine($"- {note}");
            md.AppendLine();
        }
        md.AppendLine("## Problems seen in the engine");
        md.AppendLine();
        if (ctx.Problems.Count == 0) md.AppendLine("None: every run measured ended in the phase expected (completed, or cancelled when cancelled) with every checkpoint in the state expected, and every DOC checked held exactly the nodes expected.");
        foreach (var p in ctx.Problems) md.AppendLine($"- {p}");
        return md.ToString();
    }

    private static string Result(Figure f) =>
        f.Samples.Count == 0 ? "—" : Fmt.Value(f.Result, f.Unit) + (f.JudgedBy == Statistic.P95 ? " (p95)" : "");

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
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private static double TotalRamGiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            return kb / 1024.0 / 1024.0;
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidOperationException)
        {
            return double.NaN;
        }
    }
}
