using Caiman.Checkpoints.Pipelines;

namespace Caiman.Checkpoints.Tests.Pipelines;

/// <summary>
/// Text that is not HOCON is reported with its line. Some of it would make Akka's parser hang,
/// overflow the stack or silently drop part of the file, so each case must end with a problem.
/// </summary>
public sealed class MalformedPipelineSpec
{
    [Theory]
    [InlineData("pipeline {\n  name = \"image\n}\n", 2, "malformed HOCON: unterminated string: '\"' without a closing '\"' on the same line")]
    [InlineData("pipeline {\n  description = \"\"\"never closed\n}\n", 2, "malformed HOCON: unterminated string: '\"\"\"' without a closing '\"\"\"'")]
    [InlineData("pipeline {\n  checkpoints = [\n    { name = a, type = fake }\n}\n", 4, "malformed HOCON: '}' does not match the '[' opened at line 2")]
    [InlineData("pipeline {\n  checkpoints = [ { name = a ]\n}\n", 2, "malformed HOCON: ']' does not match the '{' opened at line 2")]
    [InlineData("pipeline {\n  name = x\n", 1, "malformed HOCON: '{' is never closed")]
    [InlineData("pipeline {\n  checkpoints = [\n", 2, "malformed HOCON: '[' is never closed")]
    [InlineData("pipeline {\n  name = x\n}\n}\n", 4, "malformed HOCON: '}' closes nothing")]
    [InlineData("pipeline {\n  name = x!\n}\n", 2, "malformed HOCON: character '!' is not allowed outside quotes; put the value in double quotes")]
    [InlineData("pipeline {\n  name =\n}\n", 3, "malformed HOCON: key 'name' has no value (found '}')")]
    [InlineData("pipeline {\n  name\n}\n", 2, "malformed HOCON: key 'name' has no value")]
    [InlineData("pipeline {\n  = 1\n}\n", 2, "malformed HOCON: expected a key, found '='")]
    [InlineData("pipeline {\n  checkpoints = [ 1 ] { a = 1 }\n}\n", 2, "malformed HOCON: key 'checkpoints' joins a list and an object in one value; put text in quotes or separate the values with a comma or a new line")]
    [InlineData("include \"other.conf\"\npipeline { }\n", 1, "malformed HOCON: 'include' is not supported in pipeline files")]
    [InlineData("pipeline {\n  checkpoints += { name = a }\n}\n", 2, "malformed HOCON: '+=' is not supported (key 'checkpoints'); write the whole list")]
    [InlineData("pipeline {\n  env. { A = 1 }\n}\n", 2, "malformed HOCON: key 'env.' has an empty part between dots; put a key that contains dots in double quotes")]
    [InlineData("shared { A = 1 }\npipeline {\n  env = ${shared} { B = 2 }\n}\n", 3, "malformed HOCON: key 'env' joins a substitution with an object, which Akka's parser merges wrongly (it keeps only part of it); write the whole value out")]
    [InlineData("pipeline {\n  name = ${oops\n}\n", 2, "malformed HOCON: unterminated substitution: '${' without a closing '}' on the same line")]
    public void Loader_should_report_malformed_hocon_with_its_line(string text, int line, string message)
    {
        // Given text that is not valid HOCON
        // When it is parsed
        var result = TestPipelines.Parse(text);

        // Then there is a problem at the line of the mistake, and no pipeline
        Assert.Null(result.Pipeline);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((line, message), (problem.Line, problem.Message));
        Assert.Null(problem.Checkpoint);
    }

    [Fact]
    public void Loader_should_report_a_mismatched_bracket_that_would_hang_akkas_parser()
    {
        // Given `[1, }`, on which Akka's parser never returns
        var result = TestPipelines.Parse("pipeline {\n  checkpoints = [1, }\n");

        // Then it is reported instead
        var problem = Assert.Single(result.Problems);
        Assert.Equal(2, problem.Line);
        Assert.Equal("malformed HOCON: '}' does not match the '[' opened at line 2", problem.Message);
    }

    [Fact]
    public void Loader_should_refuse_nesting_too_deep_to_parse_safely()
    {
        // Given lists nested 100,000 deep, which would overflow a recursive parser's stack
        var text = "pipeline {\n  x = " + new string('[', 100_000) + new string(']', 100_000) + "\n}\n";

        // When it is parsed
        var result = TestPipelines.Parse(text);

        // Then it is a problem
        var problem = Assert.Single(result.Problems);
        Assert.Equal((2, "malformed HOCON: '[' nests more than 100 levels deep"), (problem.Line, problem.Message));
    }

    [Theory]
    [InlineData("a = ${a}\npipeline { name = ${a} }\n", 1, "substitution ${a} refers to the value it is part of")]
    [InlineData("pipeline {\n  name = ${pipeline}\n}\n", 2, "substitution ${pipeline} refers to the value it is part of")]
    [InlineData("a = ${b}\nb = ${a}\npipeline { }\n", 1, "substitution cycle: a -> b -> a (each refers to the next)")]
    [InlineData("pipeline {\n  name = ${?missing}\n}\n", 2, "optional substitution ${?missing} is not supported in pipeline files; use ${missing}")]
    [InlineData("d = x\npipeline {\n  checkpoints = [ { name = ${?d} } ]\n}\n", 3, "optional substitution ${?d} is not supported in pipeline files; use ${d}")]
    [InlineData("pipeline {\n  name = ${\"a.b}\n}\n", 2, "malformed substitution '${\"a.b}': write ${path.to.value}")]
    [InlineData("pipeline {\n  name = ${missing}\n}\n", 2, "substitution ${missing} refers to nothing defined in this file")]
    public void Loader_should_report_substitutions_akkas_parser_cannot_take(string text, int line, string message)
    {
        // Given substitutions that overflow Akka's parser's stack or refer to nothing
        // When it is parsed
        var result = TestPipelines.Parse(text);

        // Then they are problems, and the process is still alive to say so
        var problem = Assert.Single(result.Problems);
        Assert.Equal((line, $"malformed HOCON: {message}"), (problem.Line, problem.Message));
    }

    [Fact]
    public void Loader_should_take_the_line_from_the_position_in_an_error_of_akkas_parser()
    {
        // Given an error from Akka's parser, which gives an offset into the text it was given
        var source = HoconSource.Scan("pipeline {\n  env { A = 1 }, b = 2\n}\n");
        var offset = source.PreparedText.IndexOf(", b", StringComparison.Ordinal);
        var error = new FormatException($"Unknown token at position {offset}: \n  env = {{ A = 1 }}, b = 2\n          ^\n");

        // When it is described
        var (line, message) = PipelineLoader.DescribeParserError(error, source);

        // Then the line is that of the offset in the file as written
        Assert.Equal(2, line);
        Assert.Equal("Unknown token", message);
    }

    [Fact]
    public void Loader_should_accept_a_comma_after_an_object_written_without_a_separator()
    {
        // Given `env { ... }, workdir = ...`, valid HOCON that Akka's parser refuses as written
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x, env { A = "1" }, workdir = out }
              ]
            }
            """;

        // When it is parsed
        var result = TestPipelines.Parse(text);

        // Then both keys are read
        Assert.Empty(result.Problems);
        var args = result.Pipeline!.Checkpoints[0].Args;
        Assert.Equal("1", args.GetStringMap("env")!["A"]);
        Assert.Equal("out", args.GetString("workdir"));
    }
}
