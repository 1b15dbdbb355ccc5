namespace Caiman.Checkpoints.BuiltIn;

/// <summary>The <c>process</c> checkpoint type (being written).</summary>
public sealed class ProcessCheckpointType : ICheckpointType
{
    /// <inheritdoc />
    public string Name => "process";

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(CheckpointArgs args) => [];

    /// <inheritdoc />
    public ICheckpoint Create(CheckpointArgs args) => throw new NotImplementedException(Name);
}
