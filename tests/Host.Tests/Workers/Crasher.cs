using Caiman.Checkpoints;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Model;

namespace Caiman.Host.Tests.Workers;

// Checkpoint classes the `dotnet` type loads from this test assembly's own file, in a worker
// process. They report through the DOC and files, never statics: they run in another process.

/// <summary>
/// Marks <c>/persistent/marks</c> with its attempt (a write that a failed attempt's revert must
/// undo), writes its process id to <c>&lt;checkpoint&gt;.pid</c> in the base directory (whole, by a
/// rename), then, on attempts up to arg <c>crash-until</c> (default 1), misbehaves as arg
/// <c>mode</c> says: <c>fail-fast</c>, <c>stack-overflow</c>, <c>thread</c> (an unhandled exception on
/// another thread), <c>spin</c> (a busy loop that ignores its token), <c>wait</c> (waits on its
/// token), <c>wait-with-process</c> (starts <c>sleep 600</c> and waits on it). Later attempts complete.
/// </summary>
public sealed class Crasher(CheckpointArgs args) : ICheckpoint
{
    public TimeSpan Estimate => TimeSpan.FromSeconds(1);

    public async Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken)
    {
        await context.Doc.SetAsync("/persistent/marks", context.Checkpoint, $"attempt-{context.Attempt}");
        var pidFile = Path.Combine(context.BaseDirectory, $"{context.Checkpoint}.pid");
        File.WriteAllText(pidFile + ".tmp", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Move(pidFile + ".tmp", pidFile, overwrite: true);
        if (context.Attempt > (args.GetInt64("crash-until") ?? 1)) return;
        switch (args.GetString("mode"))
        {
            case "fail-fast":
                Environment.FailFast("the checkpoint gave up on its process");
                break;
            case "stack-overflow":
                Recurse(0);
                break;
            case "thread":
                new Thread(() => throw new InvalidOperationException("an exception no one catches")).Start();
                await Task.Delay(Timeout.Infinite, CancellationToken.None);
                break;
            case "spin":
                // Busy, and deaf to its token: only killing its process stops it.
                while (Volatile.Read(ref _forever)) Thread.SpinWait(1000);
                break;
            case "wait":
                await Task.Delay(Timeout.Infinite, cancellationToken);
                break;
            case "wait-with-process":
                // The process says it runs by <checkpoint>-child.pid, written whole.
                var child = $"{context.Checkpoint}-child.pid";
                await context.Processes.RunAsync(ProcessSpec.ShellCommand($"echo $$ > {child}.tmp; mv {child}.tmp {child}; exec sleep 600"), cancellationToken);
                break;
            default:
                throw new ArgumentException($"unknown mode '{args.GetString("mode")}'");
        }
    }

    private static bool _forever = true;

    private static int Recurse(int depth) => Recurse(depth + 1) + 1;
}
