namespace Caiman.Checkpoints.Processes;

/// <summary>Runs external processes for one checkpoint attempt (being written).</summary>
public sealed class ProcessRunner
{
    private readonly CheckpointContext _context;

    /// <summary>A runner for the attempt the context belongs to.</summary>
    public ProcessRunner(CheckpointContext context) => _context = context;

    /// <summary>Runs the process to its end; see the class remarks.</summary>
    public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken) =>
        throw new NotImplementedException(_context.Checkpoint);
}
