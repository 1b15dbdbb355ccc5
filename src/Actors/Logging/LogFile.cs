using System.Runtime.CompilerServices;

namespace Caiman.Actors.Logging;

/// <summary>Reading a run's log file, optionally following it as it grows.</summary>
public static class LogFile
{
    /// <summary>Whether a line of the run log belongs to the checkpoint (its <c>checkpoint=</c> field).</summary>
    public static bool IsOf(string line, string checkpoint) => line.Contains($" checkpoint={checkpoint} ", StringComparison.Ordinal);

    /// <summary>
    /// The file's lines; with <paramref name="follow"/>, also the lines written later, until
    /// <paramref name="stopped"/> completes (then what is left is read) or the token fires.
    /// </summary>
    public static async IAsyncEnumerable<string> ReadAsync(string file, bool follow, Task stopped, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!File.Exists(file))
        {
            if (!follow) yield break;
            while (!File.Exists(file) && !stopped.IsCompleted && !cancellationToken.IsCancellationRequested)
                await Task.WhenAny(stopped, Task.Delay(100, cancellationToken)).ConfigureAwait(false);
            if (!File.Exists(file)) yield break;
        }
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        // The run log writes whole lines, each flushed at once, so a line read is a line written.
        while (!cancellationToken.IsCancellationRequested)
        {
            var text = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (text is not null)
            {
                yield return text;
                continue;
            }
            if (!follow) yield break;
            if (stopped.IsCompleted)
            {
                // Drain what was written before the stop, then end.
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } rest) yield return rest;
                yield break;
            }
            try
            {
                await Task.WhenAny(stopped, Task.Delay(100, cancellationToken)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }
}
