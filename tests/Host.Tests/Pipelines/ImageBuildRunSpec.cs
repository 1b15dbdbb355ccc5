using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using static Caiman.Host.Tests.Pipelines.DocJson;

namespace Caiman.Host.Tests.Pipelines;

/// <summary>A full run of config/pipelines/image-build.conf: the artifacts, their checksums, the manifest and the summary.</summary>
public sealed class ImageBuildRunSpec : IDisposable
{
    private readonly ImageBuild _build = new();

    [Fact]
    public async Task A_full_run_should_build_both_archives_with_matching_checksums_and_a_summary_from_the_doc()
    {
        // Given the pipeline's own directory as it is before the run
        var pipelineDirectory = Path.GetDirectoryName(ImageBuild.PipelineFile)!;
        var before = ImageBuild.Snapshot(pipelineDirectory);

        // When it runs to its end
        var run = await _build.Caiman("run", ImageBuild.PipelineFile, "--run-id", "full");
        var doc = await _build.DocAsync("full");
        var errors = await _build.Caiman("errors", "full");

        // Then every checkpoint completed once, with nothing in the error service (no races either)
        run.AssertExit(0);
        Assert.All(ImageBuild.Checkpoints, name => Assert.Equal(("completed", 1), run.Table()[name]));
        errors.AssertExit(0);
        Assert.Contains("no errors", errors.Stdout, StringComparison.OrdinalIgnoreCase);

        // and everything it wrote is under $TMPDIR/caiman-build/<run id>, nothing next to the pipeline
        var buildDir = Text(Node(doc, "build"), "dir");
        Assert.Equal(Path.Combine(_build.Temp, "caiman-build", "full"), buildDir);
        Assert.Equal(before, ImageBuild.Snapshot(pipelineDirectory));

        // and each artifact exists, its sha256 is in SHA256SUMS and in the DOC, and matches the file
        var artifacts = Children(Node(doc, "artifacts"), "Artifact").ToList();
        Assert.Equal(["gz", "fast"], artifacts.Select(a => a.GetProperty("name").GetString()));
        var sums = File.ReadAllLines(Path.Combine(buildDir, "artifacts", "SHA256SUMS"))
            .Select(l => l.Split("  ")).ToDictionary(w => w[1], w => w[0]);
        Assert.Equal(2, sums.Count);
        foreach (var artifact in artifacts)
        {
            var file = Path.Combine(buildDir, Text(artifact, "file"));
            var digest = ImageBuild.Sha256(file);
            Assert.Equal(digest, Text(artifact, "sha256"));
            Assert.Equal(digest, sums[Path.GetFileName(file)]);
            Assert.Equal(new FileInfo(file).Length, Number(artifact, "bytes"));
        }
        Assert.Equal(["caiman-demo-1.0.tar.gz", "caiman-demo-1.0-fast.tar.gz"], sums.Keys);

        // and the two are two compressions of the same media: the image and both architectures' boot files
        var gz = Untar(Path.Combine(buildDir, Text(artifacts[0], "file")));
        var fast = Untar(Path.Combine(buildDir, Text(artifacts[1], "file")));
        Assert.Equal(gz, fast);
        var names = gz.Select(e => e.Name).ToList();
        Assert.Contains("image/etc/os-release", names);
        Assert.Contains("boot/x86/grub.cfg", names);
        Assert.Contains("boot/arm/extlinux.conf", names);
        Assert.Contains("boot/arm/boot_archive.tar.gz", names);

        // and the manifest in the DOC is every file of the image, with the right size and sha256
        var manifest = Node(doc, "manifest");
        var files = Children(manifest, "File").ToList();
        var image = ImageBuild.Snapshot(Path.Combine(buildDir, "image"));
        Assert.Equal(image.Keys, files.Select(f => f.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(files, f => Assert.Equal(image[f.GetProperty("name").GetString()!], Text(f, "sha256")));
        Assert.Equal(image.Count, Number(manifest, "files"));
        Assert.Equal(files.Sum(f => Number(f, "size")), Number(manifest, "bytes"));

        // and the summary was built from the DOC's values
        var summary = File.ReadAllText(Path.Combine(buildDir, Text(Node(doc, "build"), "summary")));
        Assert.Contains($"Image:          {Text(Node(doc, "image"), "name")} {Text(Node(doc, "image"), "version")}", summary);
        Assert.Contains($"Files:          {image.Count} ({Number(manifest, "bytes")} bytes)", summary);
        Assert.Contains("Architectures:  x86, arm", summary);
        foreach (var artifact in artifacts)
        {
            Assert.Contains(Path.GetFileName(Text(artifact, "file")), summary);
            Assert.Contains($"sha256 {Text(artifact, "sha256")}", summary);
        }
    }

    /// <summary>The entries of a .tar.gz, in archive order: name and a digest of the content.</summary>
    private static List<(string Name, string Digest)> Untar(string file)
    {
        using var gzip = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        var entries = new List<(string, string)>();
        while (tar.GetNextEntry() is { } entry)
        {
            using var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            entries.Add((entry.Name.TrimEnd('/'), Convert.ToHexStringLower(SHA256.HashData(content.ToArray()))));
        }
        return entries;
    }

    public void Dispose() => _build.Dispose();
}
