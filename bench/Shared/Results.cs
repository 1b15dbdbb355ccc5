using System.Text;

namespace Caiman.Bench;

/// <summary>Which bench ran, when, with which arguments, and the CPU counters at its start: what a report says about the run itself.</summary>
internal sealed record RunInfo(string Project, DateTimeOffset Started, string[] Args, CpuSample CpuStart)
{
    public static RunInfo Begin(string project, string[] args) => new(project, DateTimeOffset.UtcNow, args, CpuSample.Now());
}

/// <summary>What both benches do with a report: its opening lines about the run, and where it is printed and kept.</summary>
internal static class Results
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Caiman.Actors.sln"))) return dir.FullName;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Caiman.Actors.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Caiman.Actors.sln)");
    }

    /// <summary>
    /// The title, then date, command, machine, runtime, the machine's load over the run with
    /// <paramref name="loadCaveat"/> after it, and last <paramref name="method"/>: how the figures were taken.
    /// </summary>
    public static void AppendHeader(StringBuilder md, string title, RunInfo run, TimeSpan elapsed, string loadCaveat, string method)
    {
        md.AppendLine($"# {title}");
        md.AppendLine();
        md.AppendLine($"- Date: {run.Started:yyyy-MM-dd HH:mm} UTC; run time {elapsed.TotalMinutes:N1} min");
        md.AppendLine($"- Command: `dotnet run -c Release --project bench/{run.Project} -- {string.Join(' ', run.Args.DefaultIfEmpty("all"))}`");
        md.AppendLine($"- Machine: {Machine.Describe()}");
        md.AppendLine($"- Runtime: {Machine.Runtime()}");
        md.AppendLine($"- Machine load: {Machine.Load(run.CpuStart, CpuSample.Now())} ({loadCaveat})");
        md.AppendLine($"- {method}");
        md.AppendLine();
    }

    /// <summary>A "## heading" section opening with a table: its header row and its alignment row.</summary>
    public static void AppendTableStart(StringBuilder md, string heading, string header, string alignment)
    {
        md.AppendLine($"## {heading}");
        md.AppendLine();
        md.AppendLine(header);
        md.AppendLine(alignment);
    }

    /// <summary>A "## heading" section with one bullet per item; nothing at all when there is no item.</summary>
    public static void AppendList(StringBuilder md, string heading, IEnumerable<string> items)
    {
        var list = items.ToList();
        if (list.Count == 0) return;
        md.AppendLine($"## {heading}");
        md.AppendLine();
        foreach (var item in list) md.AppendLine($"- {item}");
        md.AppendLine();
    }

    /// <summary>The closing section: the problems seen in the system measured, or <paramref name="none"/> (what it got right) when there was none.</summary>
    public static void AppendProblems(StringBuilder md, string heading, IReadOnlyList<string> problems, string none)
    {
        md.AppendLine($"## {heading}");
        md.AppendLine();
        if (problems.Count == 0) md.AppendLine(none);
        foreach (var p in problems) md.AppendLine($"- {p}");
    }

    /// <summary>
    /// Prints the report and, when <paramref name="fileName"/> is given, writes it to bench/results;
    /// returns the exit code: 1 if the run saw a problem in the system measured, 0 otherwise.
    /// </summary>
    public static async Task<int> PublishAsync<TFigure>(BenchContextBase<TFigure> ctx, string report, string? fileName) where TFigure : FigureBase
    {
        Console.WriteLine();
        Console.WriteLine(report);
        if (fileName is not null)
        {
            var path = Path.Combine(RepoRoot(), "bench", "results", fileName);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, report);
            ctx.Log($"wrote {path}");
        }
        return ctx.Problems.Count == 0 ? 0 : 1;
    }
}
