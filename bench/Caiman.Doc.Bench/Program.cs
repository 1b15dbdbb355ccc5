using System.Globalization;

namespace Caiman.Doc.Bench;

public static class Program
{
    private static readonly string[] Selections = ["all", "plain", "inproc", "remote", "persisted", "sustained", "journal-bytes", "recovery", "memory"];

    public static async Task<int> Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

        // Child-process roles (started by this program itself).
        if (args.Length > 0 && args[0] == "serve") return await RemoteBench.Serve();
        if (args.Length == 4 && args[0] == "recover")
            return await PersistenceBench.RecoverChild(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3]);

        var quick = args.Contains("--quick");
        var selected = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (selected.Count == 0) selected.Add("all");
        var unknown = selected.Where(s => !Selections.Contains(s)).ToList();
        if (unknown.Count > 0 || args.Contains("--help"))
        {
            Console.Error.WriteLine($"usage: Caiman.Doc.Bench [{string.Join('|', Selections)}]... [--quick]");
            return unknown.Count > 0 ? 2 : 0;
        }
        bool Runs(string name) => selected.Contains("all") || selected.Contains(name);

        var ctx = new BenchContext(quick);
        var started = DateTimeOffset.UtcNow;
        var cpuStart = Report.CpuSample.Now();
        ctx.Log($"Caiman.Doc.Bench {string.Join(' ', args)} ({(quick ? "quick: 3 repetitions, smaller sizes" : "5 repetitions")})");
        try
        {
            // The throughputs are reported against the plain tree, so it runs whenever one of them does.
            if (Runs("plain") || Runs("inproc") || Runs("remote") || Runs("persisted") || Runs("sustained")) InProcessBench.Plain(ctx);
            if (Runs("inproc")) await InProcessBench.InProcess(ctx);
            if (Runs("remote")) await RemoteBench.Run(ctx);
            if (Runs("persisted")) await PersistenceBench.Persisted(ctx);
            if (Runs("persisted") || Runs("sustained")) await PersistenceBench.Sustained(ctx);
            if (Runs("journal-bytes")) await PersistenceBench.JournalBytes(ctx);
            if (Runs("recovery")) await PersistenceBench.Recovery(ctx);
            if (Runs("memory")) MemoryBench.Run(ctx);
        }
        finally
        {
            PersistenceBench.Cleanup();
        }

        var report = Report.Markdown(ctx, started, args, cpuStart);
        Console.WriteLine();
        Console.WriteLine(report);
        if (selected.Contains("all"))
        {
            var path = Path.Combine(Report.RepoRoot(), "bench", "results", quick ? "doc.quick.md" : "doc.md");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, report);
            ctx.Log($"wrote {path}");
        }
        return ctx.Problems.Count == 0 ? 0 : 1;
    }
}
