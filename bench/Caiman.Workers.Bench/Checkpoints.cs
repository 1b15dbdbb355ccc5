using System.Globalization;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Processes;

namespace Caiman.Workers.Bench;

// Checkpoint classes the `dotnet` type loads from this bench's own assembly, in process or in a
// worker process: the same code both ways, so the difference is the isolation.

/// <summary>Does nothing: a run of them times the engine and the isolation alone.</summary>
public sealed class NoOp : ICheckpoint
{
    public TimeSpan Estimate => TimeSpan.FromSeconds(1);

    public Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Writes its process id to arg <c>pid-file</c>, starts <c>sleep 600</c> (which writes its own pid
/// to arg <c>child-file</c>) and then, with arg <c>deaf</c>, spins ignoring its token; without, waits
/// on the process with its token. Files are written whole, by a rename.
/// </summary>
public sealed class Holder(CheckpointArgs args) : ICheckpoint
{
    public TimeSpan Estimate => TimeSpan.FromSeconds(1);

    public async Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken)
    {
        var pidFile = args.GetString("pid-file")!;
        var childFile = args.GetString("child-file")!;
        File.WriteAllText(pidFile + ".tmp", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        File.Move(pidFile + ".tmp", pidFile, overwrite: true);
        var child = ProcessSpec.ShellCommand($"echo $$ > '{childFile}.tmp'; mv '{childFile}.tmp' '{childFile}'; exec sleep 600");
        if (args.GetBoolean("deaf") != true)
        {
            await context.Processes.RunAsync(child, cancellationToken);
            return;
        }
        _ = context.Processes.RunAsync(child, CancellationToken.None);
        // Deaf to its token: only killing its process stops it.
        while (Volatile.Read(ref _forever)) Thread.SpinWait(1000);
    }

    private static bool _forever = true;
}
