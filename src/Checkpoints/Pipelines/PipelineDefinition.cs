using System.Collections.Immutable;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Pipelines;

/// <summary>
/// A validated pipeline: what a run executes. It is persisted with the run, so a recovered run
/// needs neither the file nor its directory to still be there.
/// </summary>
public sealed record PipelineDefinition(
    string Name,
    string? Description,
    bool StopOnError,
    int? Parallelism,
    ImmutableArray<CheckpointDefinition> Checkpoints)
{
    /// <summary>The file it was read from, for messages; empty for pipelines built in code.</summary>
    public string SourceFile { get; init; } = "";

    /// <summary>Where relative paths in checkpoint args resolve: the file's directory.</summary>
    public string BaseDirectory { get; init; } = "";

    /// <summary>Where the checkpoints run unless their own entry says; null leaves it to the engine (<c>caiman.engine.isolation</c>).</summary>
    public CheckpointIsolation? Isolation { get; init; }

    /// <summary>The checkpoint of this name, or null.</summary>
    public CheckpointDefinition? Find(string name) => Checkpoints.FirstOrDefault(c => c.Name == name);
}

/// <summary>
/// One checkpoint entry. <see cref="After"/> is already resolved: an entry without <c>after</c>
/// depends on the one before it. <see cref="Line"/> is its line in the source file (0 if none).
/// </summary>
public sealed record CheckpointDefinition(
    string Name,
    string Type,
    CheckpointArgs Args,
    ImmutableArray<string> After)
{
    /// <summary>Overrides the checkpoint type's own estimate.</summary>
    public TimeSpan? Estimate { get; init; }

    /// <summary>Retries after a failure (timeouts included).</summary>
    public RetryPolicy Retries { get; init; } = RetryPolicy.None;

    /// <summary>An attempt running longer fails with a timeout.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Overrides the pipeline's stop-on-error for a failure of this checkpoint.</summary>
    public bool? StopOnError { get; init; }

    /// <summary>Shown by <c>caiman list</c>.</summary>
    public string? Description { get; init; }

    /// <summary>The worker role it needs in a cluster (e.g. <c>arch=arm</c>).</summary>
    public string? Role { get; init; }

    /// <summary>Where its attempts run; null takes the pipeline's choice.</summary>
    public CheckpointIsolation? Isolation { get; init; }

    /// <summary>The least severe level its logger writes (the original stored this and ignored it).</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>The line of the entry in the source file.</summary>
    public int Line { get; init; }
}

/// <summary>How often to try again after a failure, waiting <see cref="Backoff"/> times <see cref="Factor"/>^(n-1) before retry n.</summary>
public sealed record RetryPolicy(int Count, TimeSpan Backoff, double Factor = 2)
{
    /// <summary>No retries.</summary>
    public static RetryPolicy None { get; } = new(0, TimeSpan.Zero);

    /// <summary>The wait before retry <paramref name="retry"/> (from 1).</summary>
    public TimeSpan DelayBefore(int retry) => retry <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)(Backoff.Ticks * Math.Pow(Factor, retry - 1)));
}

/// <summary>Where a checkpoint's attempts run.</summary>
public enum CheckpointIsolation
{
    /// <summary>In the engine's own process, on its attempt dispatcher.</summary>
    InProcess,

    /// <summary>
    /// In a worker process (<c>caiman worker</c>) that reaches the run's DOC over Akka.Remote: the
    /// engine can kill it whatever its code does, and a crash of its code ends only the attempt.
    /// </summary>
    Process,
}

/// <summary>The names of <see cref="CheckpointIsolation"/> values in pipeline files and configuration.</summary>
public static class CheckpointIsolations
{
    /// <summary>The names a file may use, for messages.</summary>
    public const string Names = "'in-process' or 'process'";

    /// <summary>Reads <c>in-process</c> or <c>process</c>.</summary>
    public static bool TryParse(string text, out CheckpointIsolation isolation)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text.Trim().ToLowerInvariant())
        {
            case "in-process":
                isolation = CheckpointIsolation.InProcess;
                return true;
            case "process":
                isolation = CheckpointIsolation.Process;
                return true;
            default:
                isolation = default;
                return false;
        }
    }

    /// <summary>The file's name for a value.</summary>
    public static string Name(CheckpointIsolation isolation) => isolation == CheckpointIsolation.Process ? "process" : "in-process";
}
