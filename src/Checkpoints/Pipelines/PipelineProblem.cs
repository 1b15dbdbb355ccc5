namespace Caiman.Checkpoints.Pipelines;

/// <summary>One thing wrong with a pipeline file, with where it is.</summary>
public sealed record PipelineProblem(string File, int Line, string? Checkpoint, string Message)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{File}{(Line > 0 ? $":{Line}" : "")}: {(Checkpoint is null ? "" : $"checkpoint '{Checkpoint}': ")}{Message}";
}

/// <summary>A pipeline, or every problem that kept it from being one.</summary>
public sealed record PipelineLoadResult(PipelineDefinition? Pipeline, IReadOnlyList<PipelineProblem> Problems)
{
    /// <summary>True when there are no problems.</summary>
    public bool IsValid => Pipeline is not null && Problems.Count == 0;
}
