using System.Globalization;
using System.Text.Json;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Protocol;
using Caiman.Host.Control;

namespace Caiman.Host.Output;

/// <summary>How runs, checkpoints and errors look in plain text, and as JSON for scripts.</summary>
internal static class Render
{
    // The control API's shape, indented: scripts read the same JSON from both.
    private static readonly JsonSerializerOptions JsonOptions = new(ControlJson.Options) { WriteIndented = true };

    public static string Json<T>(T value) => JsonSerializer.Serialize(value, JsonOptions);

    public static string Phase(RunPhase phase) => phase.ToString().ToLowerInvariant();

    public static string State(CheckpointState state) => state.ToString().ToLowerInvariant();

    public static string Duration(TimeSpan? duration) => duration is not { } d ? "" : d.TotalSeconds < 60
        ? d.TotalSeconds.ToString("0.00s", CultureInfo.InvariantCulture)
        : $"{(int)d.TotalMinutes}m{d.Seconds:00}s";

    /// <summary>The original's `Checkpoint | Resumable | Description` table, extended with state, attempts and duration.</summary>
    public static void Checkpoints(RunStatus status)
    {
        var nameWidth = Math.Max(10, status.Checkpoints.Select(c => c.Name.Length).DefaultIfEmpty(0).Max());
        Console.WriteLine($"{"Checkpoint".PadRight(nameWidth)}  {"State",-10} {"Attempts",8} {"Duration",9}  {"Resumable",-9}  Description");
        foreach (var c in status.Checkpoints)
            Console.WriteLine($"{c.Name.PadRight(nameWidth)}  {State(c.State),-10} {c.Attempts,8} {Duration(c.Duration),9}  {(c.Resumable ? "X" : ""),-9}  {c.Description}");
    }

    public static void Run(RunStatus status)
    {
        Console.WriteLine($"run {status.RunId}: pipeline '{status.Pipeline}', {Phase(status.Phase)}, {status.Percent:0.0}%"
            + (status.TimeLeft is { } left && !status.IsStopped ? $", about {Duration(left)} left" : "")
            + (status.DryRun ? " (dry run)" : "")
            + (status.PauseBefore.IsEmpty ? "" : $", pausing before {string.Join(", ", status.PauseBefore)}"));
        if (status.Started is { } started)
            Console.WriteLine($"started {started.ToLocalTime():yyyy-MM-dd HH:mm:ss}" + (status.Ended is { } ended ? $", ended {ended.ToLocalTime():yyyy-MM-dd HH:mm:ss}" : ""));
    }

    public static void Runs(IReadOnlyList<RunStatus> runs)
    {
        var idWidth = Math.Max(6, runs.Select(r => r.RunId.Length).DefaultIfEmpty(0).Max());
        Console.WriteLine($"{"Run".PadRight(idWidth)}  {"Pipeline",-20} {"Phase",-10} {"Progress",8}  Started");
        foreach (var r in runs)
            Console.WriteLine($"{r.RunId.PadRight(idWidth)}  {r.Pipeline,-20} {Phase(r.Phase),-10} {r.Percent,7:0.0}%  {r.Started?.ToLocalTime():yyyy-MM-dd HH:mm:ss}");
    }

    public static void Errors(IReadOnlyList<CheckpointError> errors)
    {
        if (errors.Count == 0) Console.WriteLine("no errors");
        foreach (var e in errors)
        {
            Console.WriteLine($"{e.At.ToLocalTime():HH:mm:ss} {e.Kind.ToString().ToLowerInvariant()} {e.Checkpoint} (attempt {e.Attempt}): {e.Message}"
                + (e.ExceptionType is null ? "" : $" [{e.ExceptionType}]"));
            foreach (var (key, value) in e.Data) Console.WriteLine($"    {key}: {value}");
        }
    }

    public static void Blame(IReadOnlyList<NodeBlame> nodes)
    {
        foreach (var node in nodes)
        {
            Console.WriteLine($"{node.Path}  inserted by {Who(node.Inserted)}, last changed by {Who(node.LastChanged)}");
            foreach (var property in node.Properties) Console.WriteLine($"    .{property.Property}  {Who(property.Writer)}");
        }
    }

    private static string Who(Caiman.Doc.Model.Writer? writer) => writer is null ? "(nobody)"
        : writer.Checkpoint.Length == 0 ? "a user edit" : $"{writer.Checkpoint} attempt {writer.Attempt}";

    public static void Pipeline(PipelineDefinition pipeline)
    {
        var graph = new PipelineGraph(pipeline);
        Console.WriteLine($"{pipeline.SourceFile}: pipeline '{pipeline.Name}' is valid: {pipeline.Checkpoints.Length} checkpoints");
        var nameWidth = Math.Max(10, pipeline.Checkpoints.Select(c => c.Name.Length).Max());
        foreach (var c in pipeline.Checkpoints)
            Console.WriteLine($"  {c.Name.PadRight(nameWidth)}  {c.Type,-8} after: {(c.After.IsEmpty ? "-" : string.Join(", ", c.After))}");
        var (length, path) = graph.CriticalPath(name => pipeline.Find(name)!.Estimate ?? TimeSpan.FromSeconds(1));
        Console.WriteLine($"critical path by estimate: {string.Join(" -> ", path)} ({Duration(length)})");
    }
}
