using System.Collections.Concurrent;
using Caiman.Checkpoints;

namespace Caiman.Actors.Tests.Runs;

/// <summary>
/// A checkpoint type for engine specs: each checkpoint's behaviour is a delegate registered under
/// its name (arg <c>script</c>, or the checkpoint's own name), and every execution is counted.
/// </summary>
public sealed class ScriptedType : ICheckpointType
{
    private readonly ConcurrentDictionary<string, Func<CheckpointContext, CancellationToken, Task>> _scripts = new();
    private readonly ConcurrentDictionary<string, int> _runs = new();
    private int _running;
    private int _maxRunning;

    public string Name => "scripted";

    /// <summary>How many attempts of each checkpoint started.</summary>
    public int Runs(string checkpoint) => _runs.GetValueOrDefault(checkpoint);

    /// <summary>The most attempts that ran at the same time.</summary>
    public int MaxConcurrent => Volatile.Read(ref _maxRunning);

    public ScriptedType On(string script, Func<CheckpointContext, CancellationToken, Task> behaviour)
    {
        _scripts[script] = behaviour;
        return this;
    }

    public IReadOnlyList<string> Validate(CheckpointArgs args) => [];

    public ICheckpoint Create(CheckpointArgs args) => new Scripted(this, args.GetString("script"));

    private sealed class Scripted(ScriptedType type, string? script) : ICheckpoint
    {
        public TimeSpan Estimate => TimeSpan.FromSeconds(1);

        public async Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken)
        {
            type._runs.AddOrUpdate(context.Checkpoint, 1, (_, n) => n + 1);
            var running = Interlocked.Increment(ref type._running);
            int max;
            while ((max = Volatile.Read(ref type._maxRunning)) < running && Interlocked.CompareExchange(ref type._maxRunning, running, max) != max) { }
            try
            {
                if (type._scripts.TryGetValue(script ?? context.Checkpoint, out var behaviour)) await behaviour(context, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref type._running);
            }
        }
    }
}
