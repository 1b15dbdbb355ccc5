namespace Caiman.Checkpoints.Pipelines;

/// <summary>
/// A checkpoint type whose args name files relative to the pipeline file (the <c>dotnet</c> type's
/// assembly): the loader validates them against the pipeline's directory, as the run resolves them,
/// rather than against the current directory.
/// </summary>
internal interface IBaseDirectoryValidation
{
    /// <summary>Every problem with the args, relative paths resolved against <paramref name="baseDirectory"/>.</summary>
    IReadOnlyList<string> Validate(CheckpointArgs args, string baseDirectory);
}
