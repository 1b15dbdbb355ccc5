using static Caiman.Host.Tests.Pipelines.DocJson;

namespace Caiman.Host.Tests.Pipelines;

/// <summary>`resume --from ba-arch-x86` re-runs that checkpoint and its dependents only, and leaves a consistent DOC.</summary>
public sealed class ImageBuildResumeFromSpec : IDisposable
{
    private readonly ImageBuild _build = new();

    [Fact]
    public async Task Resume_from_ba_arch_x86_should_rerun_only_it_and_its_dependents_and_rebuild_the_same_artifacts()
    {
        // Given a completed build
        var run = await _build.Caiman("run", ImageBuild.PipelineFile, "--run-id", "again");
        run.AssertExit(0);
        var buildDir = Path.Combine(_build.Temp, "caiman-build", "again");
        var artifacts = ImageBuild.Snapshot(Path.Combine(buildDir, "artifacts"));
        var image = ImageBuild.Snapshot(Path.Combine(buildDir, "image"));

        // When it is resumed from the x86 boot archive
        var resumed = await _build.Caiman("resume", "again", "--from", "ba-arch-x86");
        var doc = await _build.DocAsync("again");

        // Then that checkpoint and what depends on it ran a second time, and nothing else did
        resumed.AssertExit(0);
        Assert.All(ImageBuild.Checkpoints, name => Assert.Equal("completed", resumed.Table()[name].State));
        //                 prepare, create-build-dir, transfer-files, set-image-attributes, ba-arch-x86, ba-arch-arm, gz, fast, checksums, summary
        Assert.Equal([1, 1, 1, 1, 2, 1, 2, 2, 2, 2], resumed.Attempts());

        // and the DOC holds each thing once: the second attempts' nodes replaced the first ones'
        Assert.Equal(["x86", "arm"], All(doc, "BootArchive").Select(b => Text(b, "file").Split('/')[1]));
        Assert.All(Children(Node(doc, "image"), "Arch"), arch => Assert.Single(Children(arch, "BootArchive")));
        var files = Children(Node(doc, "manifest"), "File").Select(f => f.GetProperty("name").GetString()!).ToList();
        Assert.Equal(image.Keys, files.Order(StringComparer.Ordinal));
        Assert.Equal(files.Count, Number(Node(doc, "manifest"), "files"));
        Assert.Equal(["gz", "fast"], Children(Node(doc, "artifacts"), "Artifact").Select(a => a.GetProperty("name").GetString()));

        // and the rebuilt artifacts are byte for byte the first ones (the build is reproducible), as the DOC says
        Assert.Equal(artifacts, ImageBuild.Snapshot(Path.Combine(buildDir, "artifacts")));
        Assert.All(Children(Node(doc, "artifacts"), "Artifact"),
            a => Assert.Equal(ImageBuild.Sha256(Path.Combine(buildDir, Text(a, "file"))), Text(a, "sha256")));
    }

    public void Dispose() => _build.Dispose();
}
