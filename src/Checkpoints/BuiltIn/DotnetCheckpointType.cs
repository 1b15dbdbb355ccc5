namespace Caiman.Checkpoints.BuiltIn;

/// <summary>The <c>dotnet</c> checkpoint type (being written).</summary>
public sealed class DotnetCheckpointType : ICheckpointType
{
    /// <inheritdoc />
    public string Name => "dotnet";

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(CheckpointArgs args) => [];

    /// <inheritdoc />
    public ICheckpoint Create(CheckpointArgs args) => throw new NotImplementedException(Name);
}
