namespace Caiman.Checkpoints;

/// <summary>
/// One step of a pipeline. An instance is created for every attempt, so it may keep state for
/// the length of one execution; everything it shares with other checkpoints goes through the DOC.
/// </summary>
public interface ICheckpoint
{
    /// <summary>
    /// How long the step takes on a reference machine. It weighs the step's share of overall
    /// progress; a pipeline file's <c>estimate</c> overrides it. Anything under a second counts as one.
    /// </summary>
    TimeSpan Estimate { get; }

    /// <summary>
    /// Does the work. Returning completes the attempt; throwing (or reporting an error of kind
    /// <see cref="CheckpointErrorKind.Error"/>) fails it. The token fires on cancel, on timeout and
    /// when the run stops; a step that ignores it is abandoned after the grace period, its late
    /// DOC writes refused and its changes reverted.
    /// </summary>
    Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken);
}

/// <summary>
/// A kind of checkpoint a pipeline file can name in <c>type = ...</c>: it checks the entry's
/// args when the file is validated and creates a checkpoint for each attempt.
/// </summary>
public interface ICheckpointType
{
    /// <summary>The name used in pipeline files, e.g. <c>process</c>.</summary>
    string Name { get; }

    /// <summary>Every problem with the args, each a sentence naming the key at fault; empty when they are good.</summary>
    IReadOnlyList<string> Validate(CheckpointArgs args);

    /// <summary>A checkpoint for one attempt; only called with args that passed <see cref="Validate"/>.</summary>
    ICheckpoint Create(CheckpointArgs args);
}
