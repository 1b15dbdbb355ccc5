using Caiman.Checkpoints.Pipelines;

namespace Caiman.Checkpoints.Tests.Pipelines;

/// <summary>
/// A checkpoint type for validation only: it requires an arg <c>command</c> and reads an
/// optional integer <c>level</c> (a bad one throws <see cref="CheckpointArgsException"/>).
/// </summary>
internal sealed class FakeCheckpointType(string name) : ICheckpointType
{
    public string Name => name;

    public IReadOnlyList<string> Validate(CheckpointArgs args)
    {
        var problems = new List<string>();
        if (!args.Has("command"))
            problems.Add("'command' is required");
        _ = args.GetInt64("level");
        return problems;
    }

    public ICheckpoint Create(CheckpointArgs args) => throw new NotSupportedException("only used to validate");
}

/// <summary>A type whose validation throws something other than <see cref="CheckpointArgsException"/>.</summary>
internal sealed class BrokenCheckpointType : ICheckpointType
{
    public string Name => "broken";

    public IReadOnlyList<string> Validate(CheckpointArgs args) => throw new InvalidOperationException("validator bug");

    public ICheckpoint Create(CheckpointArgs args) => throw new NotSupportedException("only used to validate");
}

internal static class TestPipelines
{
    public const string FileName = "image-build.conf";

    public static string BaseDirectory { get; } = Path.Combine(Path.GetTempPath(), "pipelines");

    /// <summary>Types <c>fake</c> and <c>process</c> (a fake too: the real one is not needed to validate).</summary>
    public static CheckpointTypes Types() => new CheckpointTypes()
        .Add(new FakeCheckpointType("fake"))
        .Add(new FakeCheckpointType("process"));

    public static PipelineLoadResult Parse(string text, CheckpointTypes? types = null) =>
        PipelineLoader.Parse(text, FileName, BaseDirectory, types ?? Types());
}
