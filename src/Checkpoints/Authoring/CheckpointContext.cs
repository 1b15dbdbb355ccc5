using Caiman.Checkpoints.Processes;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints;

/// <summary>
/// Everything an attempt of a checkpoint gets from the engine (or from the test kit). Built by
/// the runtime; checkpoint authors only read it.
/// </summary>
public sealed class CheckpointContext
{
    private ProcessRunner? _processes;

    /// <summary>Run, checkpoint and attempt; every DOC write through <see cref="Doc"/> is stamped with it.</summary>
    public required Writer Writer { get; init; }

    /// <summary>The run's DOC, writing as <see cref="Writer"/>.</summary>
    public required DocClient Doc { get; init; }

    /// <summary>The checkpoint's entry from the pipeline file, without the engine's own keys.</summary>
    public required CheckpointArgs Args { get; init; }

    /// <summary>When set the step should report what it would do and change nothing outside the DOC.</summary>
    public bool DryRun { get; init; }

    /// <summary>A logger scoped to run and checkpoint, at the checkpoint's own log level.</summary>
    public required ILogger Logger { get; init; }

    /// <summary>The step's own progress, 0 to 100; the engine scales it into the run's overall progress.</summary>
    public required IProgressReporter Progress { get; init; }

    /// <summary>The run's error service.</summary>
    public required IErrorReporter Errors { get; init; }

    /// <summary>Where relative paths in the args resolve: the pipeline file's directory.</summary>
    public required string BaseDirectory { get; init; }

    /// <summary>
    /// Records each external process before it runs, so that a restarted engine can kill what a
    /// crashed one left behind. The test kit records in memory.
    /// </summary>
    public required IProcessLaunchRecorder Launches { get; init; }

    /// <summary>The node's process supervisor, which launches, signals and reaps every external process of the attempt.</summary>
    public required ProcessHost ProcessHost { get; init; }

    /// <summary>How long an external process gets between the polite signal and the kill on cancel.</summary>
    public TimeSpan KillGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Runs external processes: output to the log, <c>::caiman</c> lines honoured, cancel kills the tree.</summary>
    public ProcessRunner Processes => _processes ??= new ProcessRunner(this);

    /// <summary>The run id.</summary>
    public string RunId => Writer.Run;

    /// <summary>The checkpoint's name.</summary>
    public string Checkpoint => Writer.Checkpoint;

    /// <summary>The attempt number, from 1.</summary>
    public int Attempt => Writer.Attempt;
}
