namespace Caiman.Checkpoints.Testing;

/// <summary>A checkpoint whose body is a lambda: for tests of code that runs checkpoints, and of the kit itself.</summary>
/// <param name="execute">The body of <see cref="ICheckpoint.ExecuteAsync"/>.</param>
/// <param name="estimate">The estimate; one second when null.</param>
public sealed class DelegateCheckpoint(Func<CheckpointContext, CancellationToken, Task> execute, TimeSpan? estimate = null) : ICheckpoint
{
    /// <inheritdoc />
    public TimeSpan Estimate { get; } = estimate ?? TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken) => execute(context, cancellationToken);

    /// <summary>A checkpoint whose body runs synchronously to the end (or throws).</summary>
    public static DelegateCheckpoint Sync(Action<CheckpointContext> execute) => new((context, _) =>
    {
        execute(context);
        return Task.CompletedTask;
    });
}
