using System.Text.Json;
using Caiman.Checkpoints.Pipelines;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Tests.Pipelines;

/// <summary>A valid pipeline file becomes the definition it describes, defaults and lines included.</summary>
public sealed class PipelineLoaderSpec
{
    // The example of the design notes, as users write it.
    private const string Example = """
        pipeline {
          name = image-build
          description = "Build a bootable image tree"
          stop-on-error = true          # default true
          parallelism = 4               # default: core count
          checkpoints = [               # order matters: without `after`, a checkpoint follows the one before
            { name = prepare, type = process, command = "mkdir -p %{/persistent/build.dir}", estimate = 2s }
            { name = build-x86, type = process, after = [prepare], command = ["make", "ARCH=x86"] }
            { name = build-arm, type = process, after = [prepare], command = ["make", "ARCH=arm"],
              retries = 2, timeout = 10m, role = "arch=arm", description = "cross build" }
            { name = package, type = process, after = [build-x86, build-arm], command = "./pack.sh",
              env { LEVEL = "9" }, workdir = "out" }
          ]
        }
        """;

    [Fact]
    public void Loader_should_read_the_documented_example()
    {
        // Given the example file
        // When it is parsed
        var result = TestPipelines.Parse(Example);

        // Then it is valid and says what the file says
        Assert.Empty(result.Problems);
        Assert.True(result.IsValid);
        var pipeline = result.Pipeline!;
        Assert.Equal("image-build", pipeline.Name);
        Assert.Equal("Build a bootable image tree", pipeline.Description);
        Assert.True(pipeline.StopOnError);
        Assert.Equal(4, pipeline.Parallelism);
        Assert.Equal(TestPipelines.FileName, pipeline.SourceFile);
        Assert.Equal(TestPipelines.BaseDirectory, pipeline.BaseDirectory);
        Assert.Equal(["prepare", "build-x86", "build-arm", "package"], pipeline.Checkpoints.Select(c => c.Name));
        Assert.All(pipeline.Checkpoints, c => Assert.Equal("process", c.Type));
        Assert.Equal([7, 8, 9, 11], pipeline.Checkpoints.Select(c => c.Line));
    }

    [Fact]
    public void Loader_should_resolve_after_lists_and_keep_the_engine_keys_out_of_the_args()
    {
        // Given the example file
        // When it is parsed
        var pipeline = TestPipelines.Parse(Example).Pipeline!;

        // Then dependencies, engine keys and args are where they belong
        var prepare = pipeline.Find("prepare")!;
        Assert.Empty(prepare.After.AsEnumerable());
        Assert.Equal(TimeSpan.FromSeconds(2), prepare.Estimate);
        Assert.Equal("""{"command":"mkdir -p %{/persistent/build.dir}"}""", prepare.Args.ToJson());

        var arm = pipeline.Find("build-arm")!;
        Assert.Equal(["prepare"], arm.After.AsEnumerable());
        Assert.Equal(new RetryPolicy(2, TimeSpan.FromSeconds(1), 2), arm.Retries);
        Assert.Equal(TimeSpan.FromMinutes(10), arm.Timeout);
        Assert.Equal("arch=arm", arm.Role);
        Assert.Equal("cross build", arm.Description);
        Assert.Equal(["make", "ARCH=arm"], arm.Args.GetStrings("command"));
        Assert.Equal(["command"], arm.Args.Keys);

        var package = pipeline.Find("package")!;
        Assert.Equal(["build-x86", "build-arm"], package.After.AsEnumerable());
        Assert.Equal("./pack.sh", package.Args.GetString("command"));
        Assert.Equal("9", package.Args.GetStringMap("env")!["LEVEL"]);
        Assert.Equal("out", package.Args.GetString("workdir"));
        Assert.Equal(RetryPolicy.None, package.Retries);
        Assert.Null(package.Timeout);
        Assert.Null(package.Estimate);
    }

    [Fact]
    public void Loader_should_apply_the_defaults()
    {
        // Given a file with only what is required
        const string text = """
            pipeline {
              checkpoints = [
                { name = one, type = fake, command = a }
                { name = two, type = fake, command = b }
                { name = three, type = fake, command = c }
              ]
            }
            """;

        // When it is parsed
        var pipeline = TestPipelines.Parse(text).Pipeline!;

        // Then the name comes from the file, errors stop the run, and parallelism is left to the engine
        Assert.Equal("image-build", pipeline.Name);
        Assert.Null(pipeline.Description);
        Assert.True(pipeline.StopOnError);
        Assert.Null(pipeline.Parallelism);
        var one = pipeline.Find("one")!;
        Assert.Equal(LogLevel.Information, one.LogLevel);
        Assert.Equal(RetryPolicy.None, one.Retries);
        Assert.Null(one.StopOnError);
        Assert.Null(one.Role);
        Assert.Null(one.Description);
    }

    [Fact]
    public void Loader_should_make_an_entry_without_after_follow_the_one_before_it()
    {
        // Given entries with no after, an empty after, and a single name
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x }
                { name = b, type = fake, command = x }
                { name = c, type = fake, command = x, after = [] }
                { name = d, type = fake, command = x, after = a }
                { name = e, type = fake, command = x }
              ]
            }
            """;

        // When it is parsed
        var pipeline = TestPipelines.Parse(text).Pipeline!;

        // Then the first has none, an entry without after follows the previous, [] means none
        Assert.Empty(pipeline.Find("a")!.After.AsEnumerable());
        Assert.Equal(["a"], pipeline.Find("b")!.After.AsEnumerable());
        Assert.Empty(pipeline.Find("c")!.After.AsEnumerable());
        Assert.Equal(["a"], pipeline.Find("d")!.After.AsEnumerable());
        Assert.Equal(["d"], pipeline.Find("e")!.After.AsEnumerable());
    }

    [Fact]
    public void Loader_should_read_retries_as_a_count_or_as_an_object()
    {
        // Given both forms of retries
        const string text = """
            pipeline {
              checkpoints = [
                { name = count, type = fake, command = x, retries = 3 }
                { name = full, type = fake, command = x, retries { count = 4, backoff = 500ms, factor = 1.5 } }
                { name = defaults, type = fake, command = x, retries = { count = 1 } }
                { name = none, type = fake, command = x, retries = 0 }
              ]
            }
            """;

        // When it is parsed
        var pipeline = TestPipelines.Parse(text).Pipeline!;

        // Then the backoff defaults to 1s and the factor to 2
        Assert.Equal(new RetryPolicy(3, TimeSpan.FromSeconds(1), 2), pipeline.Find("count")!.Retries);
        Assert.Equal(new RetryPolicy(4, TimeSpan.FromMilliseconds(500), 1.5), pipeline.Find("full")!.Retries);
        Assert.Equal(new RetryPolicy(1, TimeSpan.FromSeconds(1), 2), pipeline.Find("defaults")!.Retries);
        Assert.Equal(RetryPolicy.None, pipeline.Find("none")!.Retries);
        Assert.DoesNotContain("retries", pipeline.Find("full")!.Args.Keys);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("2s", 2_000)]
    [InlineData("10m", 600_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("90", 90_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2 seconds", 2_000)]
    [InlineData("\"3m\"", 180_000)]
    public void Loader_should_read_durations(string written, int milliseconds)
    {
        // Given a timeout written in one of the duration forms
        var text = $$"""
            pipeline { checkpoints = [ { name = a, type = fake, command = x, timeout = {{written}} } ] }
            """;

        // When it is parsed
        var result = TestPipelines.Parse(text);

        // Then it is that long
        Assert.Empty(result.Problems);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), result.Pipeline!.Checkpoints[0].Timeout);
    }

    [Theory]
    [InlineData("trace", LogLevel.Trace)]
    [InlineData("debug", LogLevel.Debug)]
    [InlineData("information", LogLevel.Information)]
    [InlineData("info", LogLevel.Information)]
    [InlineData("warning", LogLevel.Warning)]
    [InlineData("warn", LogLevel.Warning)]
    [InlineData("error", LogLevel.Error)]
    [InlineData("critical", LogLevel.Critical)]
    [InlineData("none", LogLevel.None)]
    [InlineData("Debug", LogLevel.Debug)]
    public void Loader_should_read_log_levels(string written, LogLevel level)
    {
        // Given a log level
        var text = $$"""
            pipeline { checkpoints = [ { name = a, type = fake, command = x, log-level = {{written}} } ] }
            """;

        // When it is parsed
        var result = TestPipelines.Parse(text);

        // Then it is the level of that name
        Assert.Empty(result.Problems);
        Assert.Equal(level, result.Pipeline!.Checkpoints[0].LogLevel);
    }

    [Fact]
    public void Loader_should_read_the_other_engine_keys()
    {
        // Given a pipeline that goes on after errors, and a checkpoint that stops anyway
        const string text = """
            pipeline {
              stop-on-error = off
              checkpoints = [
                { name = a, type = fake, command = x, stop-on-error = yes, estimate = 0 }
              ]
            }
            """;

        // When it is parsed
        var pipeline = TestPipelines.Parse(text).Pipeline!;

        // Then HOCON's boolean words are understood
        Assert.False(pipeline.StopOnError);
        Assert.True(pipeline.Checkpoints[0].StopOnError);
        Assert.Equal(TimeSpan.Zero, pipeline.Checkpoints[0].Estimate);
    }

    [Fact]
    public void Loader_should_convert_args_to_json_with_every_leaf_a_string()
    {
        // Given args of every shape
        const string text = """"
            pipeline {
              checkpoints = [
                {
                  name = a
                  type = fake
                  command = "run"
                  count = 5
                  ratio = 0.5
                  enabled = true
                  empty = null
                  none = []
                  words = [one, "two", 3]
                  nested { inner { deep = x }, list = [{ k = v }] }
                  "quoted.key" = q
                  multi = """line one
            line two"""
                }
              ]
            }
            """";

        // When it is parsed
        var result = TestPipelines.Parse(text);

        // Then objects stay objects, lists arrays, and every leaf is a JSON string
        Assert.Empty(result.Problems);
        var args = result.Pipeline!.Checkpoints[0].Args;
        Assert.Equal(JsonValueKind.String, args.Get("count")!.Value.ValueKind);
        Assert.Equal(5, args.GetInt64("count"));
        Assert.Equal("0.5", args.GetString("ratio"));
        Assert.Equal(true, args.GetBoolean("enabled"));
        Assert.Equal("", args.GetString("empty"));
        Assert.Equal(JsonValueKind.Array, args.Get("none")!.Value.ValueKind);
        Assert.Equal(0, args.Get("none")!.Value.GetArrayLength());
        Assert.Equal(["one", "two", "3"], args.GetStrings("words"));
        var nested = args.Get("nested")!.Value;
        Assert.Equal("x", nested.GetProperty("inner").GetProperty("deep").GetString());
        Assert.Equal("v", nested.GetProperty("list")[0].GetProperty("k").GetString());
        Assert.Equal("q", args.GetString("quoted.key"));
        Assert.Equal("line one\nline two", args.GetString("multi"));
        Assert.DoesNotContain("name", args.Keys);
        Assert.DoesNotContain("type", args.Keys);
    }

    [Fact]
    public void Loader_should_give_the_line_of_each_entry_in_other_layouts()
    {
        // Given dotted keys, a braced root, entries spread over lines and a comment with braces
        const string text = """
            {
              # a comment with { braces } and "quotes
              pipeline.name = dotted
              pipeline.checkpoints = [
                {
                  name = first
                  type = fake
                  command = "echo } ]"
                },
                { name = second, type = fake, command = x }, { name = third, type = fake, command = y }

                {
                  name: fourth, type: fake, command: z // colons work too
                }
              ]
            }
            """;

        // When it is parsed
        var result = TestPipelines.Parse(text);

        // Then each entry's line is that of its opening brace
        Assert.Empty(result.Problems);
        Assert.Equal("dotted", result.Pipeline!.Name);
        Assert.Equal([5, 10, 10, 12], result.Pipeline.Checkpoints.Select(c => c.Line));
        Assert.Equal("echo } ]", result.Pipeline.Find("first")!.Args.GetString("command"));
    }

    [Fact]
    public void Loader_should_count_lines_the_same_with_windows_line_ends()
    {
        // Given a file written with CRLF line ends and a quoted key with a dot
        var text = "pipeline {\r\n  name = crlf\r\n  checkpoints = [\r\n\r\n    { name = a, type = fake, command = x, \"a.b\".c = 1 }\r\n  ]\r\n}\r\n";

        // When it is parsed
        var result = TestPipelines.Parse(text);

        // Then lines are those an editor shows
        Assert.Empty(result.Problems);
        Assert.Equal("crlf", result.Pipeline!.Name);
        Assert.Equal(5, result.Pipeline.Checkpoints[0].Line);
        Assert.Equal("1", result.Pipeline.Checkpoints[0].Args.Get("a.b")!.Value.GetProperty("c").GetString());
    }

    [Fact]
    public void Loader_should_resolve_substitutions()
    {
        // Given values shared through substitutions
        const string text = """
            defaults { env { MODE = fast } }
            pipeline {
              name = ${names.main}
              checkpoints = [
                { name = a, type = fake, command = x, env = ${defaults.env} }
              ]
            }
            names.main = shared
            """;

        // When it is parsed
        var result = TestPipelines.Parse(text);

        // Then they are replaced by what they name
        Assert.Empty(result.Problems);
        Assert.Equal("shared", result.Pipeline!.Name);
        Assert.Equal("fast", result.Pipeline.Checkpoints[0].Args.GetStringMap("env")!["MODE"]);
    }

    [Fact]
    public void Loader_should_read_a_file_and_take_its_directory_as_the_base()
    {
        // Given a pipeline file on disk
        var directory = Directory.CreateTempSubdirectory("caiman-pipeline-");
        try
        {
            var path = Path.Combine(directory.FullName, "nightly.conf");
            File.WriteAllText(path, "pipeline { checkpoints = [ { name = a, type = fake, command = x } ] }\n");

            // When it is loaded
            var result = PipelineLoader.Load(path, TestPipelines.Types());

            // Then the source is the path as given, the base its directory, and the name its file name
            Assert.Empty(result.Problems);
            Assert.Equal(path, result.Pipeline!.SourceFile);
            Assert.Equal(directory.FullName, result.Pipeline.BaseDirectory);
            Assert.Equal("nightly", result.Pipeline.Name);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
