using Caiman.Checkpoints.Pipelines;

namespace Caiman.Checkpoints.Tests.Pipelines;

/// <summary>
/// What the built-in types would refuse at run time is refused when the file is validated, with
/// file, line and checkpoint, like every other problem.
/// </summary>
public sealed class BuiltInArgsSpec
{
    private static PipelineProblem Refused(string entry)
    {
        var text = $$"""
            pipeline {
              checkpoints = [
                {{entry}}
              ]
            }
            """;
        var result = PipelineLoader.Parse(text, TestPipelines.FileName, TestPipelines.BaseDirectory, CheckpointTypes.BuiltIn());
        Assert.Null(result.Pipeline);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((TestPipelines.FileName, 3, "a"), (problem.File, problem.Line, problem.Checkpoint));
        return problem;
    }

    [Theory]
    [InlineData("""{ name = a, type = process, command = "true", workdir = "\u0000" }""", "'workdir' has a NUL character (\\u0000) at position 1, which a path cannot hold")]
    [InlineData("""{ name = a, type = process, command = "true\u0000" }""", "'command' has a NUL character (\\u0000) at position 5, which a command line cannot hold")]
    [InlineData("""{ name = a, type = process, command = ["true", "x\u0000"] }""", "'command[1]' has a NUL character (\\u0000) at position 2, which an argument cannot hold")]
    [InlineData("""{ name = a, type = process, command = "true", env { PATH = "\u0000" } }""", "'env.PATH' has a NUL character (\\u0000) at position 1, which an environment variable cannot hold")]
    [InlineData("""{ name = a, type = doc, insert = { parent = "/elsewhere", name = x } }""", "insert[0].parent '/elsewhere' is not under /persistent or /volatile, the only children of the DOC root, so it can never match a node")]
    [InlineData("""{ name = a, type = doc, insert = { parent = "//", name = x } }""", "insert[0].parent '//' always matches both /persistent and /volatile, never one node: name the node (or add #1)")]
    [InlineData("""{ name = a, type = doc, set = { path = "/persistent/x", json { n = "1e999" } } }""", "set[0].json.n is not JSON text: the number 1e999 is too large for the DOC, which holds numbers up to about 1.8e308")]
    public void Loader_should_refuse_args_that_could_only_fail_at_run_time(string entry, string message) =>
        Assert.Equal(message, Refused(entry).Message);

    [Fact]
    public void Loader_should_look_for_a_dotnet_assembly_in_the_pipeline_files_directory()
    {
        // Given an entry naming this test assembly by a relative path
        var assembly = typeof(BuiltInArgsSpec).Assembly.Location;
        var text = $$"""
            pipeline {
              checkpoints = [
                { name = a, type = dotnet, assembly = "{{Path.GetFileName(assembly)}}", class = "{{typeof(Samples.Sample).FullName}}" }
              ]
            }
            """;

        // When the pipeline file is in the assembly's directory, and when it is elsewhere
        var beside = PipelineLoader.Parse(text, TestPipelines.FileName, Path.GetDirectoryName(assembly)!, CheckpointTypes.BuiltIn());
        var elsewhere = PipelineLoader.Parse(text, TestPipelines.FileName, TestPipelines.BaseDirectory, CheckpointTypes.BuiltIn());

        // Then it is found beside the file, and refused elsewhere, naming the path the run would use
        Assert.True(beside.IsValid, string.Join("\n", beside.Problems));
        var problem = Assert.Single(elsewhere.Problems);
        Assert.Equal((3, "a"), (problem.Line, problem.Checkpoint));
        Assert.Equal($"assembly '{Path.Combine(TestPipelines.BaseDirectory, Path.GetFileName(assembly))}' does not exist; if an earlier checkpoint builds it, say so with assembly-built-earlier = true", problem.Message);
    }
}
