using System.Diagnostics;
using Caiman.Checkpoints.Pipelines;

namespace Caiman.Checkpoints.Tests.Pipelines;

/// <summary>
/// Only a regular file of at most <see cref="PipelineLoader.MaxFileBytes"/> is read: a FIFO would
/// block the loader until something writes to it, and a device such as /dev/zero never ends.
/// </summary>
public sealed class PipelineFileSpec : IDisposable
{
    // A loader that blocks or reads without end fails the test instead of hanging it.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("caiman-pipeline-file-");

    public void Dispose() => _directory.Delete(recursive: true);

    private static async Task<PipelineProblem> RefusedAsync(string path)
    {
        var result = await Task.Run(() => PipelineLoader.Load(path, TestPipelines.Types())).WaitAsync(Bound);
        Assert.Null(result.Pipeline);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((path, 0, null), (problem.File, problem.Line, problem.Checkpoint));
        Assert.StartsWith($"cannot read pipeline file '{path}': ", problem.Message);
        return problem;
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Loader_should_refuse_a_character_device_without_reading_it()
    {
        // Given /dev/zero, which reads as an endless run of zero bytes
        // When it is loaded, within the bound and allocating less than a file's worth
        var result = HostileInput.Run("/dev/zero", () => PipelineLoader.Load("/dev/zero", TestPipelines.Types()), Bound, maxBytes: 64 * 1024);

        // Then it is refused as what it is
        var problem = Assert.Single(result.Problems);
        Assert.Equal("cannot read pipeline file '/dev/zero': it is a character device, not a regular file", problem.Message);
    }

    [Fact]
    public async Task Loader_should_refuse_a_fifo_without_blocking_on_it()
    {
        // Given a named pipe that nothing writes to (opening it to read would wait for a writer)
        var fifo = Path.Combine(_directory.FullName, "pipeline.conf");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // When it is loaded, then it is refused at once
        var problem = await RefusedAsync(fifo);

        Assert.EndsWith("it is a named pipe (FIFO), not a regular file", problem.Message);
    }

    [Fact]
    public async Task Loader_should_refuse_a_symbolic_link_to_a_device_and_follow_one_to_a_file()
    {
        // Given a link to /dev/zero and a link to a good pipeline file
        var device = Path.Combine(_directory.FullName, "zero.conf");
        File.CreateSymbolicLink(device, "/dev/zero");
        var target = Write("real.conf", "pipeline { checkpoints = [ { name = a, type = fake, command = x } ] }\n");
        var link = Path.Combine(_directory.FullName, "link.conf");
        File.CreateSymbolicLink(link, target);

        // When both are loaded
        var refused = await RefusedAsync(device);
        var followed = PipelineLoader.Load(link, TestPipelines.Types());

        // Then the link to the device is refused and the link to the file is read
        Assert.EndsWith("it is a character device, not a regular file", refused.Message);
        Assert.True(followed.IsValid, string.Join("\n", followed.Problems));
    }

    [Fact]
    public async Task Loader_should_refuse_a_file_larger_than_the_limit_naming_the_limit()
    {
        // Given a file one byte over the limit
        var path = Path.Combine(_directory.FullName, "huge.conf");
        await using (var file = File.Create(path))
            file.SetLength(PipelineLoader.MaxFileBytes + 1L);

        // When it is loaded, then it is refused before it is read
        var problem = await RefusedAsync(path);

        Assert.EndsWith($"it is {PipelineLoader.MaxFileBytes + 1} bytes long; a pipeline file may be at most 4 MiB ({PipelineLoader.MaxFileBytes} bytes)", problem.Message);
    }

    [Fact]
    public void Loader_should_read_a_file_of_exactly_the_limit()
    {
        // Given a valid pipeline padded with a comment to exactly the limit
        var pipeline = "pipeline { checkpoints = [ { name = a, type = fake, command = x } ] }\n#";
        var path = Write("full.conf", pipeline + new string('x', PipelineLoader.MaxFileBytes - pipeline.Length - 1) + "\n");
        Assert.Equal(PipelineLoader.MaxFileBytes, new FileInfo(path).Length);

        // When it is loaded, then it is read whole
        var result = PipelineLoader.Load(path, TestPipelines.Types());

        Assert.True(result.IsValid, string.Join("\n", result.Problems));
    }

    [Fact]
    public void Parser_should_refuse_text_longer_than_the_limit()
    {
        var result = TestPipelines.Parse(new string(' ', PipelineLoader.MaxFileBytes + 1));

        var problem = Assert.Single(result.Problems);
        Assert.Equal(0, problem.Line);
        Assert.Equal($"the pipeline text is {PipelineLoader.MaxFileBytes + 1} characters long; a pipeline file may be at most 4 MiB ({PipelineLoader.MaxFileBytes} bytes)", problem.Message);
    }

    [Fact]
    public void Loader_should_name_a_path_holding_a_nul()
    {
        var result = PipelineLoader.Load("pipeline\0.conf", TestPipelines.Types());

        Assert.Equal("cannot read pipeline file 'pipeline\\u0000.conf': the path contains a NUL character", Assert.Single(result.Problems).Message);
    }
}
