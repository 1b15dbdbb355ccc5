using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;

namespace Caiman.Host.Tests.Pipelines;

/// <summary>config/pipelines/image-build.conf loads without problems, with the graph it documents.</summary>
public sealed class ImageBuildPipelineSpec
{
    [Fact]
    public void The_pipeline_should_load_without_problems_with_its_parallel_branches()
    {
        // When the file is loaded as the engine loads it
        var loaded = PipelineLoader.Load(ImageBuild.PipelineFile, CheckpointTypes.BuiltIn());

        // Then it is valid, every checkpoint says what it does and how long it takes
        Assert.True(loaded.IsValid, string.Join('\n', loaded.Problems));
        var pipeline = loaded.Pipeline!;
        Assert.Equal("image-build", pipeline.Name);
        Assert.Equal(ImageBuild.Checkpoints, pipeline.Checkpoints.Select(c => c.Name));
        Assert.All(pipeline.Checkpoints, c => Assert.False(string.IsNullOrWhiteSpace(c.Description), $"{c.Name} has no description"));
        Assert.All(pipeline.Checkpoints, c => Assert.NotNull(c.Estimate));

        // and the independent steps are not ordered, so they may run side by side
        var graph = new PipelineGraph(pipeline);
        Assert.False(graph.AreOrdered("prepare", "create-build-dir"));
        Assert.False(graph.AreOrdered("ba-arch-x86", "ba-arch-arm"));
        Assert.False(graph.AreOrdered("create-archive-gz", "create-archive-fast"));
        Assert.Equal(["checksums", "create-archive-fast", "create-archive-gz", "summary"], graph.TransitiveDependents("ba-arch-x86").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Caiman_validate_should_report_no_problems()
    {
        using var build = new ImageBuild();

        var validate = await build.Caiman("validate", ImageBuild.PipelineFile);

        validate.AssertExit(0);
        Assert.Equal("", validate.Stderr.Trim());
        Assert.Contains("is valid: 10 checkpoints", validate.Stdout);
    }
}
