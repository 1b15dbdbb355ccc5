namespace Caiman.Checkpoints.BuiltIn;

/// <summary>The <c>doc</c> checkpoint type (being written).</summary>
public sealed class DocCheckpointType : ICheckpointType
{
    /// <inheritdoc />
    public string Name => "doc";

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(CheckpointArgs args) => [];

    /// <inheritdoc />
    public ICheckpoint Create(CheckpointArgs args) => throw new NotImplementedException(Name);
}
