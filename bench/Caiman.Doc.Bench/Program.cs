using System.Globalization;

namespace Caiman.Doc.Bench;

public static class Program
{
    private static readonly string[] Selections = ["all", "plain", "inproc", "remote", "persisted", "sustained", "journal-bytes", "recovery", "memory"];

    public static async Task<int> Main(string[] args)
    {
        Selection.UseInvariantCulture();

        // Child-process roles (started by this program itself).
        if (args.Length > 0 && args[0] == "serve") return await RemoteBench.Serve();
        if (args.Length > 0 && args[0] == "profile") return DomainProfile.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15);
        if (args.Length == 4 && args[0] == "recover")
            return await PersistenceBench.RecoverChild(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3]);

        if (!Selection.TryParse("Caiman.Doc.Bench", args, Selections, out var selection, out var exitCode)) return exitCode;
        var quick = selection.Quick;
        bool Runs(string name) => selection.Runs(name);

        var ctx = new BenchContext(quick);
        var run = RunInfo.Begin("Caiman.Doc.Bench", args);
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
            PersistenceBench.Scratch.Delete();
        }

        var report = Report.Markdown(ctx, run);
        return await Results.PublishAsync(ctx, report, selection.All ? (quick ? "doc.quick.md" : "doc.md") : null);
    }
}
