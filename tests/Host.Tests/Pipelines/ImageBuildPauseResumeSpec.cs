namespace Caiman.Host.Tests.Pipelines;

/// <summary>`--pause-before ba-arch-arm` holds back that branch and what needs it; `resume` finishes the build.</summary>
public sealed class ImageBuildPauseResumeSpec : IDisposable
{
    private readonly ImageBuild _build = new();

    [Fact]
    public async Task Pause_before_ba_arch_arm_then_resume_should_finish_the_build_running_each_checkpoint_once()
    {
        // Given a run paused before the arm boot archive
        var paused = await _build.Caiman("run", ImageBuild.PipelineFile, "--run-id", "paused", "--pause-before", "ba-arch-arm");
        var buildDir = Path.Combine(_build.Temp, "caiman-build", "paused");

        // Then it stopped with exit 3: the x86 branch ran, arm and everything after it did not
        paused.AssertExit(3);
        Assert.Equal([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], paused.Attempts());
        Assert.Equal(("pending", 0), paused.Table()["ba-arch-arm"]);
        Assert.True(File.Exists(Path.Combine(buildDir, "boot", "x86", "boot_archive.tar.gz")));
        Assert.False(Directory.Exists(Path.Combine(buildDir, "boot", "arm")));
        Assert.False(Directory.Exists(Path.Combine(buildDir, "artifacts")));

        // When it is resumed
        var resumed = await _build.Caiman("resume", "paused");

        // Then the rest ran, and nothing that had completed ran again
        resumed.AssertExit(0);
        Assert.All(ImageBuild.Checkpoints, name => Assert.Equal(("completed", 1), resumed.Table()[name]));
        var sums = File.ReadAllLines(Path.Combine(buildDir, "artifacts", "SHA256SUMS")).Select(l => l.Split("  ")).ToList();
        Assert.Equal(2, sums.Count);
        Assert.All(sums, s => Assert.Equal(s[0], ImageBuild.Sha256(Path.Combine(buildDir, "artifacts", s[1]))));
        Assert.True(File.Exists(Path.Combine(buildDir, "boot", "arm", "extlinux.conf")));
    }

    public void Dispose() => _build.Dispose();
}
