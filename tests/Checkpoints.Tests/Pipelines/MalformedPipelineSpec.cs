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
        // Given lists nested 50,000 deep, which would overflow a recursive parser's stack
        var text = "pipeline {\n  x = " + new string('[', 50_000) + new string(']', 50_000) + "\n}\n";

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
    // Found by the hostile-input specs: Akka's parser refuses these without saying where, reads
    // them other than HOCON does, or hangs on what follows, so the scanner refuses them first.
    [Theory]
    [InlineData("pipeline {\n  name = \"a\\db\"\n}\n", 2, "malformed HOCON: unknown escape '\\d' in a quoted string (known: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX); write a backslash as \\\\")]
    [InlineData("pipeline {\n  name = \"\\u12\"\n}\n", 2, "malformed HOCON: escape '\\u' must be followed by four hex digits, e.g. \\u00e9")]
    [InlineData("pipeline {\n  name = \"x\\ud800\"\n}\n", 2, "malformed HOCON: escape '\\uD800' is half of a UTF-16 surrogate pair without its other half: the text would not be valid Unicode")]
    [InlineData("pipeline {\n  description = \"\"\"it says \"hi\"\"\"\"\n  name = x\n}\n", 2, "malformed HOCON: a triple-quoted string ends with more than three quotes, which Akka's parser misreads; end the text with something else, or write it as \"...\\\"\"")]
    [InlineData("pipeline {\n  checkpoints = [ { name = a, type\"\"\"x\"\"\" = fake } ]\n}\n", 2, "malformed HOCON: a key cannot be a triple-quoted string; write it in \"...\"")]
    [InlineData("pipeline {\n  checkpoints = [ { name = a, type = fake, env { A = 1 }\n    env = [1] } ]\n}\n", 3, "malformed HOCON: key 'env' is set to a list after it was made an object at line 2; Akka's parser would keep the object and drop the new value: set the key once")]
    [InlineData("list = [1]\npipeline {\n  x.y = 1\n  x = ${list}\n}\n", 4, "malformed HOCON: key 'pipeline.x' is set to a substitution after it was made an object at line 3; Akka's parser would keep the object and drop the new value: set the key once")]
    public void Loader_should_refuse_what_akkas_parser_misreads_or_refuses_without_a_line(string text, int line, string message)
    {
        var result = TestPipelines.Parse(text);

        var problem = Assert.Single(result.Problems);
        Assert.Equal((line, message), (problem.Line, problem.Message));
    }

    [Fact]
    public void Loader_should_refuse_a_lone_surrogate_in_the_text_itself()
    {
        var result = TestPipelines.Parse("pipeline {\n  name = x" + '\udc00' + "\n}\n");

        var problem = Assert.Single(result.Problems);
        Assert.Equal((2, "malformed HOCON: character U+DC00 is half of a UTF-16 surrogate pair: the text is not valid Unicode"), (problem.Line, problem.Message));
    }

    [Fact]
    public void Loader_should_still_read_an_object_replaced_by_text_and_objects_merged()
    {
        // What Akka's parser does read as HOCON says: text replaces an object, objects merge.
        var result = TestPipelines.Parse("pipeline {\n  checkpoints = [ { name = a, type = fake, command = x, k { a = 1 }, k = 2, o { a = 1 }, o { b = 2 } } ]\n}\n");

        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        var args = result.Pipeline!.Checkpoints[0].Args;
        Assert.Equal("2", args.GetString("k"));
        Assert.Equal(["a", "b"], args.GetStringMap("o")!.Keys.Order());
    }

    // Sizes on which Akka's parser or the loader took minutes, ran out of memory or overflowed the
    // stack: each is now refused at once, at the line where a limit is passed.
    private static readonly Dictionary<string, (Func<string> Text, string Message)> Oversized = new()
    {
        ["20,001 values"] = (() => Entries(7_000, i => $"{{ name = n{i}, type = fake, command = x }}"), "the file holds more than 20000 values (keys and list elements); a pipeline file may hold at most that many"),
        ["200,001 tokens"] = (() => "pipeline { checkpoints = [ { name = a, type = fake, command = x } ] }\n" + string.Concat(Enumerable.Repeat("a\n", 200_000)), "the file holds more than 200000 words and symbols; a pipeline file may hold at most that many"),
        ["1,001 substitutions"] = (() => "a = x\nb = [" + string.Concat(Enumerable.Repeat("${a}, ", 1_001)) + "]\npipeline { }\n", "the file holds more than 1000 substitutions; a pipeline file may hold at most that many"),
        ["a chain of 2,000 substitutions"] = (() => "a0 = x\n" + string.Concat(Enumerable.Range(1, 2_000).Select(i => $"a{i} = ${{a{i - 1}}}\n")) + "pipeline { }\n", "the file holds more than 1000 substitutions; a pipeline file may hold at most that many"),
        ["1,001 parts in a value"] = (() => "pipeline { name = " + string.Join(" ", Enumerable.Repeat("[1]", 1_001)) + " }\n", "joins more than 1000 parts in one value; quote text that has many words"),
        ["a key 102 parts deep"] = (() => string.Join('.', Enumerable.Repeat("a", 102)) + " = 1\npipeline { }\n", "nests more than 100 levels deep (each part of a dotted key is a level)"),
    };

    private static string Entries(int count, Func<int, string> entry) =>
        "pipeline {\n  checkpoints = [\n" + string.Concat(Enumerable.Range(0, count).Select(i => "    " + entry(i) + "\n")) + "  ]\n}\n";

    public static TheoryData<string> OversizedFiles() => [.. Oversized.Keys];

    [Theory]
    [MemberData(nameof(OversizedFiles))]
    public void Loader_should_refuse_structures_too_large_to_parse_safely_at_once(string what)
    {
        var (text, message) = Oversized[what];

        var problem = Assert.Single(HostileInput.Run(what, () => TestPipelines.Parse(text()), TimeSpan.FromSeconds(10), 256L * 1024 * 1024).Problems);

        Assert.StartsWith("malformed HOCON: ", problem.Message);
        Assert.EndsWith(message, problem.Message);
        Assert.True(problem.Line > 0);
    }

    [Fact]
    public void Loader_should_not_compare_names_too_long_to_be_names()
    {
        // Given a megabyte name and a megabyte unknown dependency (a suggestion compared them in a terabyte table)
        var text = Entries(1, _ => "{ name = " + new string('a', 1 << 20) + ", type = fake, command = x, after = [" + new string('b', 1 << 20) + "] }");

        var result = HostileInput.Run("megabyte names", () => TestPipelines.Parse(text), TimeSpan.FromSeconds(10), 512L * 1024 * 1024);

        Assert.Equal(2, result.Problems.Count);
        Assert.All(result.Problems, p => Assert.Equal(3, p.Line));
    }

    [Fact]
    public void Loader_should_suggest_names_for_the_first_unknown_dependencies_only()
    {
        // Given 3,000 entries each after a name that does not exist (suggesting for each compared every pair)
        var text = Entries(3_000, i => $"{{ name = n{i}, type = fake, command = x, after = [m{i}] }}");

        var result = HostileInput.Run("3,000 unknown dependencies", () => TestPipelines.Parse(text), TimeSpan.FromSeconds(10), 256L * 1024 * 1024);

        Assert.Equal(3_000, result.Problems.Count);
        Assert.Equal(100, result.Problems.Count(p => p.Message.Contains("did you mean", StringComparison.Ordinal)));
    }
}

