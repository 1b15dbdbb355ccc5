using Caiman.Checkpoints.Pipelines;

namespace Caiman.Checkpoints.Tests.Pipelines;

/// <summary>Each kind of mistake in a pipeline file is reported with its file, line and checkpoint.</summary>
public sealed class PipelineProblemsSpec
{
    private static PipelineProblem Single(string text, CheckpointTypes? types = null)
    {
        var result = TestPipelines.Parse(text, types);
        Assert.Null(result.Pipeline);
        Assert.False(result.IsValid);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(TestPipelines.FileName, problem.File);
        return problem;
    }

    [Fact]
    public void Loader_should_report_a_missing_file_naming_its_path()
    {
        // Given a path where there is no file
        var path = Path.Combine(Path.GetTempPath(), $"caiman-missing-{Guid.NewGuid():N}", "gone.conf");

        // When it is loaded
        var result = PipelineLoader.Load(path, TestPipelines.Types());

        // Then that is a problem at line 0 naming the path, not an exception
        Assert.Null(result.Pipeline);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(path, problem.File);
        Assert.Equal(0, problem.Line);
        Assert.Null(problem.Checkpoint);
        Assert.Contains(path, problem.Message);
        Assert.Contains("does not exist", problem.Message);
    }

    [Fact]
    public void Loader_should_report_a_directory_given_as_the_file()
    {
        // Given a directory
        var path = Path.GetTempPath();

        // When it is loaded as a pipeline file
        var result = PipelineLoader.Load(path, TestPipelines.Types());

        // Then that is a problem, not an exception
        var problem = Assert.Single(result.Problems);
        Assert.Equal(0, problem.Line);
        Assert.Contains("is a directory", problem.Message);
    }

    [Fact]
    public void Loader_should_report_a_missing_pipeline_block()
    {
        // Given a file without the pipeline block
        var problem = Single("other { a = 1 }\n");

        // Then the whole file is at fault
        Assert.Equal(0, problem.Line);
        Assert.Null(problem.Checkpoint);
        Assert.StartsWith("no 'pipeline' block", problem.Message);
    }

    [Fact]
    public void Loader_should_report_a_pipeline_that_is_not_a_block()
    {
        var problem = Single("# the pipeline\npipeline = 5\n");

        Assert.Equal(2, problem.Line);
        Assert.StartsWith("'pipeline' must be a block", problem.Message);
    }

    [Fact]
    public void Loader_should_report_an_unknown_key_in_the_pipeline_block()
    {
        // Given a misspelt key
        const string text = """
            pipeline {
              name = p
              paralelism = 2
              checkpoints = [ { name = a, type = fake, command = x } ]
            }
            """;

        var problem = Single(text);

        // Then the key and the known keys are named
        Assert.Equal(3, problem.Line);
        Assert.Null(problem.Checkpoint);
        Assert.Equal("unknown key 'paralelism' in the pipeline block; known keys: name, description, stop-on-error, parallelism, isolation, checkpoints", problem.Message);
    }

    [Fact]
    public void Loader_should_report_missing_checkpoints()
    {
        var problem = Single("pipeline {\n  name = p\n}\n");

        Assert.Equal(1, problem.Line);
        Assert.StartsWith("the pipeline has no 'checkpoints'", problem.Message);
    }

    [Fact]
    public void Loader_should_report_empty_checkpoints()
    {
        var problem = Single("pipeline {\n  name = p\n  checkpoints = []\n}\n");

        Assert.Equal(3, problem.Line);
        Assert.Equal("'checkpoints' is empty: a pipeline needs at least one checkpoint", problem.Message);
    }

    [Fact]
    public void Loader_should_report_checkpoints_that_are_not_a_list()
    {
        var problem = Single("pipeline {\n  checkpoints { a = 1 }\n}\n");

        Assert.Equal(2, problem.Line);
        Assert.StartsWith("'checkpoints' must be a list of entries", problem.Message);
    }

    [Fact]
    public void Loader_should_report_an_entry_that_is_not_an_object()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x }
                just-a-name
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(4, problem.Line);
        Assert.Equal("entry 2 of 'checkpoints' must be an object: { name = ..., type = ... }", problem.Message);
    }

    [Fact]
    public void Loader_should_report_a_missing_name()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x }
                { type = fake, command = x }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(4, problem.Line);
        Assert.Null(problem.Checkpoint);
        Assert.Equal("entry 2 of 'checkpoints' has no 'name'", problem.Message);
    }

    [Fact]
    public void Loader_should_report_a_missing_type_listing_the_known_types()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, command = x }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(3, problem.Line);
        Assert.Equal("a", problem.Checkpoint);
        Assert.Equal("no 'type'; known types: fake, process", problem.Message);
    }

    [Fact]
    public void Loader_should_report_an_invalid_name_naming_the_bad_character()
    {
        const string text = """
            pipeline {
              checkpoints = [
                {
                  name = "build x86"
                  type = fake
                  command = x
                }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(4, problem.Line);
        Assert.Equal("build x86", problem.Checkpoint);
        Assert.Equal("invalid name 'build x86': character ' ' at position 6 is not allowed; use letters, digits, '.', '_' and '-'", problem.Message);
    }

    [Fact]
    public void Loader_should_report_a_name_that_is_too_long()
    {
        var name = new string('n', 257);
        var problem = Single($"pipeline {{ checkpoints = [ {{ name = {name}, type = fake, command = x }} ] }}");

        Assert.Equal(1, problem.Line);
        Assert.Equal(name, problem.Checkpoint);
        Assert.Equal("invalid name: it is 257 characters long; at most 256 are allowed", problem.Message);
    }

    [Fact]
    public void Loader_should_report_a_duplicate_name_with_both_lines()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x }
                { name = b, type = fake, command = x }
                { name = a, type = fake, command = x }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(5, problem.Line);
        Assert.Equal("a", problem.Checkpoint);
        Assert.Equal("duplicate name 'a': defined at lines 3 and 5", problem.Message);
    }

    [Fact]
    public void Loader_should_report_an_unknown_type_listing_the_known_types()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a,
                  type = proces, command = x }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(4, problem.Line);
        Assert.Equal("a", problem.Checkpoint);
        Assert.Equal("unknown type 'proces'; known types: fake, process", problem.Message);
    }

    [Fact]
    public void Loader_should_report_an_unknown_dependency_suggesting_a_close_name()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = build-x86, type = fake, command = x }
                { name = package, type = fake, command = x,
                  after = [build-x68] }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(5, problem.Line);
        Assert.Equal("package", problem.Checkpoint);
        Assert.Equal("'after' names unknown checkpoint 'build-x68'; did you mean 'build-x86'?", problem.Message);
    }

    [Fact]
    public void Loader_should_report_an_unknown_dependency_without_a_suggestion_when_nothing_is_close()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = build, type = fake, command = x }
                { name = package, type = fake, command = x, after = deploy }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(4, problem.Line);
        Assert.Equal("'after' names unknown checkpoint 'deploy'", problem.Message);
    }

    [Fact]
    public void Loader_should_report_a_cycle_once_naming_it_in_order()
    {
        // Given a -> b -> c -> a
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x, after = [c] }
                { name = b, type = fake, command = x }
                { name = c, type = fake, command = x, after = [b] }
                { name = d, type = fake, command = x, after = [] }
              ]
            }
            """;

        var problem = Single(text);

        // Then it is reported once, at the first checkpoint of the cycle
        Assert.Equal(3, problem.Line);
        Assert.Equal("a", problem.Checkpoint);
        Assert.Equal("dependency cycle: a -> b -> c -> a (each runs after the one before it)", problem.Message);
    }

    [Fact]
    public void Loader_should_report_each_separate_cycle()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x, after = [b] }
                { name = b, type = fake, command = x }
                { name = c, type = fake, command = x, after = [d] }
                { name = d, type = fake, command = x }
              ]
            }
            """;

        var result = TestPipelines.Parse(text);

        Assert.Equal(
            ["3 a: dependency cycle: a -> b -> a (each runs after the one before it)", "5 c: dependency cycle: c -> d -> c (each runs after the one before it)"],
            result.Problems.Select(p => $"{p.Line} {p.Checkpoint}: {p.Message}"));
    }

    [Fact]
    public void Loader_should_report_a_checkpoint_depending_on_itself()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x, after = [a] }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(3, problem.Line);
        Assert.Equal("a", problem.Checkpoint);
        Assert.Equal("'after' names the checkpoint itself", problem.Message);
    }

    [Fact]
    public void Loader_should_report_negative_retries()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x
                  retries = -1 }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(4, problem.Line);
        Assert.Equal("a", problem.Checkpoint);
        Assert.Equal("'retries' must be a whole number of at least 0, not '-1'", problem.Message);
    }

    [Fact]
    public void Loader_should_report_bad_keys_and_values_in_a_retries_object()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x
                  retries { count = 2, backof = 1s, factor = 0.5 } }
              ]
            }
            """;

        var result = TestPipelines.Parse(text);

        Assert.Equal(
            ["unknown key 'backof' in 'retries'; known keys: count, backoff, factor", "'retries.factor' must be a number of at least 1, not '0.5'"],
            result.Problems.Select(p => p.Message));
        Assert.All(result.Problems, p => Assert.Equal(4, p.Line));
    }

    [Fact]
    public void Loader_should_report_a_bad_duration()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x,
                  timeout = soon }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(4, problem.Line);
        Assert.Equal("a", problem.Checkpoint);
        Assert.Equal("'timeout' must be a duration such as 500ms, 2s, 10m, 1h or 1d (a bare number is seconds), not 'soon'", problem.Message);
    }

    [Theory]
    [InlineData("10x")]
    [InlineData("-5s")]
    [InlineData("1,5s")]
    public void Loader_should_refuse_what_is_not_a_duration(string written)
    {
        var problem = Single($"pipeline {{ checkpoints = [ {{ name = a, type = fake, command = x, estimate = \"{written}\" }} ] }}");

        Assert.StartsWith("'estimate' must be a duration", problem.Message);
    }

    [Fact]
    public void Loader_should_report_a_zero_timeout()
    {
        var problem = Single("pipeline { checkpoints = [ { name = a, type = fake, command = x, timeout = 0s } ] }");

        Assert.Equal("'timeout' must be longer than zero", problem.Message);
    }

    [Fact]
    public void Loader_should_report_a_bad_boolean()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x, stop-on-error = maybe }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(3, problem.Line);
        Assert.Equal("a", problem.Checkpoint);
        Assert.Equal("'stop-on-error' must be true or false, not 'maybe'", problem.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("many")]
    public void Loader_should_report_parallelism_below_one(string written)
    {
        var text = $$"""
            pipeline {
              parallelism = {{written}}
              checkpoints = [ { name = a, type = fake, command = x } ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(2, problem.Line);
        Assert.Null(problem.Checkpoint);
        Assert.Equal($"'parallelism' must be a whole number of at least 1, not '{written}'", problem.Message);
    }

    [Fact]
    public void Loader_should_report_an_unknown_log_level()
    {
        var problem = Single("pipeline { checkpoints = [ { name = a, type = fake, command = x, log-level = loud } ] }");

        Assert.Equal("a", problem.Checkpoint);
        Assert.Equal("'log-level' must be one of trace, debug, information, warning, error, critical, none; not 'loud'", problem.Message);
    }

    [Fact]
    public void Loader_should_report_an_engine_key_of_the_wrong_shape()
    {
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x,
                  role = [x, y] }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(4, problem.Line);
        Assert.Equal("'role' must be a single value, not a list", problem.Message);
    }

    [Fact]
    public void Loader_should_report_each_message_of_the_type_validation()
    {
        // Given an entry without the arg its type requires
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x }
                { name = b, type = fake
                  workdir = out }
              ]
            }
            """;

        var problem = Single(text);

        // Then the type's message is the problem, at the entry
        Assert.Equal(4, problem.Line);
        Assert.Equal("b", problem.Checkpoint);
        Assert.Equal("'command' is required", problem.Message);
    }

    [Fact]
    public void Loader_should_report_an_args_exception_at_the_line_of_its_key()
    {
        // Given an arg the type reads as an integer
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x,
                  level = high }
              ]
            }
            """;

        var problem = Single(text);

        Assert.Equal(4, problem.Line);
        Assert.Equal("a", problem.Checkpoint);
        Assert.Equal("'level' must be an integer, not 'high'", problem.Message);
    }

    [Fact]
    public void Loader_should_report_a_type_whose_validation_throws()
    {
        var types = TestPipelines.Types().Add(new BrokenCheckpointType());

        var problem = Single("pipeline { checkpoints = [ { name = a, type = broken } ] }", types);

        Assert.Equal("type 'broken' failed while checking the args: validator bug", problem.Message);
    }

    [Fact]
    public void Loader_should_report_every_problem_of_a_file_at_once()
    {
        // Given a file with many mistakes
        const string text = """
            pipeline {
              name = broken
              parallelism = 0
              colour = blue
              checkpoints = [
                { name = prepare, type = fake, command = x, estimate = later }
                { name = "bad/name", type = fake, command = x }
                { name = build, type = nope, command = x }
                { name = build, type = fake }
                { name = package, type = fake, command = x, after = [biuld, ghost], retries = many }
                { type = fake, command = x }
              ]
            }
            """;

        // When it is parsed
        var result = TestPipelines.Parse(text);

        // Then all of them are reported, in file order
        Assert.Null(result.Pipeline);
        Assert.Equal(
        [
            "3 : 'parallelism' must be a whole number of at least 1, not '0'",
            "4 : unknown key 'colour' in the pipeline block; known keys: name, description, stop-on-error, parallelism, isolation, checkpoints",
            "6 prepare: 'estimate' must be a duration such as 500ms, 2s, 10m, 1h or 1d (a bare number is seconds), not 'later'",
            "7 bad/name: invalid name 'bad/name': character '/' at position 4 is not allowed; use letters, digits, '.', '_' and '-'",
            "8 build: unknown type 'nope'; known types: fake, process",
            "9 build: duplicate name 'build': defined at lines 8 and 9",
            "9 build: 'command' is required",
            "10 package: 'retries' must be a whole number of at least 0, not 'many'",
            "10 package: 'after' names unknown checkpoint 'biuld'; did you mean 'build'?",
            "10 package: 'after' names unknown checkpoint 'ghost'",
            "11 : entry 6 of 'checkpoints' has no 'name'",
        ], result.Problems.Select(p => $"{p.Line} {p.Checkpoint}: {p.Message}"));
    }

    [Fact]
    public void Problem_should_read_as_file_line_checkpoint_and_message()
    {
        var problem = new PipelineProblem("p.conf", 7, "build", "unknown type 'x'");

        Assert.Equal("p.conf:7: checkpoint 'build': unknown type 'x'", problem.ToString());
    }
}
