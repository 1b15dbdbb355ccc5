namespace Caiman.Checkpoints.Pipelines;

/// <summary>
/// The checks a pipeline must pass to be run, on the definition itself: what the engine applies
/// to every pipeline it is given (from a file through <see cref="PipelineLoader"/>, or as JSON
/// over the daemon's control API), so no entry point can start a run that `caiman validate` refuses.
/// </summary>
public static class PipelineValidator
{
    /// <summary>Every problem of the definition, each a sentence naming the checkpoint at fault; empty when it can run.</summary>
    public static IReadOnlyList<PipelineProblem> Validate(PipelineDefinition pipeline, CheckpointTypes types)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(types);
        var problems = new List<PipelineProblem>();
        void Add(CheckpointDefinition? checkpoint, string message) =>
            problems.Add(new PipelineProblem(pipeline.SourceFile, checkpoint?.Line ?? 0, checkpoint?.Name, message));

        if (string.IsNullOrEmpty(pipeline.Name)) Add(null, "'name' of the pipeline is empty");
        if (pipeline.Parallelism is < 1) Add(null, $"'parallelism' must be at least 1, not {pipeline.Parallelism}");
        if (pipeline.BaseDirectory.Length > 0 && (!Path.IsPathFullyQualified(pipeline.BaseDirectory) || pipeline.BaseDirectory.Contains('\0')))
            Add(null, $"the base directory '{pipeline.BaseDirectory.Replace("\0", "\\0")}' must be an absolute path");
        if (pipeline.Checkpoints.IsDefaultOrEmpty)
        {
            Add(null, "'checkpoints' is empty: a pipeline needs at least one");
            return problems;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var checkpoint in pipeline.Checkpoints)
        {
            if (checkpoint is null)
            {
                Add(null, "a checkpoint entry is missing (null)");
                return problems;
            }
            var nameProblem = checkpoint.Name is null ? "invalid name: it is missing" : PipelineLoader.NameProblem(checkpoint.Name);
            if (nameProblem is not null)
                Add(checkpoint, nameProblem);
            else if (!names.Add(checkpoint.Name!))
                Add(checkpoint, $"duplicate name '{checkpoint.Name}'");
        }
        if (problems.Count > 0) return problems;

        foreach (var checkpoint in pipeline.Checkpoints)
        {
            foreach (var dependency in checkpoint.After.IsDefault ? [] : checkpoint.After)
            {
                if (dependency == checkpoint.Name)
                    Add(checkpoint, "'after' names the checkpoint itself");
                else if (dependency is null || !names.Contains(dependency))
                {
                    var suggestion = dependency is null ? null : PipelineLoader.ClosestName(dependency, names);
                    Add(checkpoint, $"'after' names unknown checkpoint '{dependency}'{(suggestion is null ? "" : $"; did you mean '{suggestion}'?")}");
                }
            }
            CheckSettings(checkpoint, Add);
            CheckTypeAndArgs(checkpoint, types, Add);
        }
        if (problems.Count > 0) return problems;

        foreach (var cycle in new PipelineGraph(pipeline).FindCycles())
            Add(pipeline.Find(cycle[0]), $"dependency cycle: {string.Join(" -> ", cycle.Append(cycle[0]))} (each runs after the one before it)");
        return problems;
    }

    private static void CheckSettings(CheckpointDefinition checkpoint, Action<CheckpointDefinition, string> add)
    {
        if (checkpoint.Estimate is { } estimate && estimate < TimeSpan.Zero) add(checkpoint, $"'estimate' must not be negative, not {estimate}");
        if (checkpoint.Timeout is { } timeout && timeout <= TimeSpan.Zero) add(checkpoint, $"'timeout' must be longer than zero, not {timeout}");
        if (checkpoint.Retries is not { } retries)
        {
            add(checkpoint, "'retries' is missing");
            return;
        }
        if (retries.Count < 0) add(checkpoint, $"'retries' must not be negative, not {retries.Count}");
        if (retries.Backoff < TimeSpan.Zero) add(checkpoint, $"'retries.backoff' must not be negative, not {retries.Backoff}");
        if (!double.IsFinite(retries.Factor) || retries.Factor < 1) add(checkpoint, $"'retries.factor' must be a number of at least 1, not {retries.Factor}");
    }

    private static void CheckTypeAndArgs(CheckpointDefinition checkpoint, CheckpointTypes types, Action<CheckpointDefinition, string> add)
    {
        if (string.IsNullOrEmpty(checkpoint.Type))
        {
            add(checkpoint, "'type' is required");
            return;
        }
        if (!types.TryGet(checkpoint.Type, out var type))
        {
            var suggestion = PipelineLoader.ClosestName(checkpoint.Type, types.Names);
            add(checkpoint, $"unknown type '{checkpoint.Type}' (known: {string.Join(", ", types.Names)}){(suggestion is null ? "" : $"; did you mean '{suggestion}'?")}");
            return;
        }
        if (checkpoint.Args is null)
        {
            add(checkpoint, "its args are missing");
            return;
        }
        IReadOnlyList<string> problems;
        try
        {
            problems = type.Validate(checkpoint.Args);
        }
        catch (CheckpointArgsException e)
        {
            problems = [e.Message];
        }
        foreach (var problem in problems) add(checkpoint, problem);
    }
}
