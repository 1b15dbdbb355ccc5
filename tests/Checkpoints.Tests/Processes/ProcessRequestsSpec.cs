using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using static Caiman.Checkpoints.Tests.Processes.DocNodes;

namespace Caiman.Checkpoints.Tests.Processes;

/// <summary><c>::caiman</c> lines on stdout are requests to the engine, honoured in order.</summary>
public sealed class ProcessRequestsSpec(ITestOutputHelper output) : ProcessTestBase(output)
{
    [Fact]
    public async Task Runner_should_report_progress_requests_and_keep_them_out_of_the_log()
    {
        var attempt = NewAttempt();

        await attempt.RunAsync("""
            echo '::caiman progress 10'
            echo 'compiling'
            echo '::caiman progress 55.5 half way there'
            echo '::caiman progress 100%'
            """);

        Assert.Equal([(10, null), (55.5, "half way there"), (100, null)], attempt.Progress.Reports);
        Assert.Equal(["compiling"], attempt.Log.Records.Select(r => r.Message));
        Assert.Empty(attempt.Errors.Reported);
    }

    [Fact]
    public async Task Runner_should_set_and_insert_doc_nodes_as_the_attempt()
    {
        await Doc.InsertAsync("/persistent", Node("build", "Build", ("dir", "/tmp/old")));
        var attempt = NewAttempt();

        await attempt.RunAsync("""
            echo '::caiman doc set /persistent/build dir=/tmp/out count=3 label="two words" ok=true'
            echo '::caiman doc insert /persistent/build image kind=Image size=10 tags=["a", "b c"] meta={"x": 1, "y": [true]} none=null version=01'
            """);

        Assert.Empty(attempt.Errors.Reported);
        var build = await Doc.GetAsync("/persistent/build");
        Assert.Equal(DocValue.From("/tmp/out"), build["dir"]);
        Assert.Equal(DocValue.From(3), build["count"]);
        Assert.Equal(DocValue.From("two words"), build["label"]);
        Assert.Equal(DocValue.From(true), build["ok"]);
        var image = await Doc.GetAsync("/persistent/build/image");
        Assert.Equal("Image", image.Kind);
        Assert.Equal(DocValue.From(10), image["size"]);
        Assert.Equal("[\"a\",\"b c\"]", image["tags"]!.ToString());
        Assert.Equal("{\"x\":1,\"y\":[true]}", image["meta"]!.ToString());
        Assert.Equal(DocValue.Null.Instance, image["none"]);
        Assert.Equal(DocValue.From("01"), image["version"]);
        var writes = await Doc.FindWritesAsync(attempt.Writer);
        Assert.Equal(["/persistent/build", "/persistent/build/image"], writes.Select(w => w.Path).Distinct().Order());
        Assert.All(writes, w => Assert.Equal(attempt.Writer, w.Writer));
    }

    [Fact]
    public async Task Runner_should_apply_every_doc_request_in_order_before_returning()
    {
        await Doc.InsertAsync("/volatile", Node("counter"));
        var attempt = NewAttempt();

        await attempt.RunAsync("i=1; while [ $i -le 40 ]; do echo \"::caiman doc set /volatile/counter n=$i\"; i=$((i+1)); done");

        Assert.Equal(DocValue.From(40), (await Doc.GetAsync("/volatile/counter"))["n"]);
        Assert.Empty(attempt.Errors.Reported);
    }

    [Fact]
    public async Task Runner_should_report_errors_and_warnings_the_process_asks_for()
    {
        var attempt = NewAttempt();

        var result = await attempt.RunAsync("""
            echo '::caiman warning disk nearly full'
            echo '::caiman error could not mount /dev/x'
            """);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            [(CheckpointErrorKind.Warning, "disk nearly full"), (CheckpointErrorKind.Error, "could not mount /dev/x")],
            attempt.Errors.Reported.Select(e => (e.Kind, e.Message)));
        Assert.Equal("2", attempt.Errors.Reported[1].Data["line"]);
    }

    [Fact]
    public async Task Runner_should_log_at_the_level_the_process_asks_for()
    {
        var attempt = NewAttempt();

        await attempt.RunAsync("""
            echo '::caiman log debug cache hit for libc'
            echo '::caiman log error checksum mismatch'
            echo '::caiman log info  spaced   out  '
            """);

        Assert.Equal(
            [(LogLevel.Debug, "cache hit for libc"), (LogLevel.Error, "checksum mismatch"), (LogLevel.Information, "spaced   out")],
            attempt.Log.Records);
    }

    [Fact]
    public async Task Runner_should_report_a_malformed_request_with_its_line_number_and_keep_the_process_running()
    {
        var attempt = NewAttempt();

        var result = await attempt.RunAsync("""
            echo 'hello'
            echo '::caiman progress lots'
            echo '::caiman frobnicate now'
            echo 'after'
            """);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["hello", "after"], attempt.Log.At(LogLevel.Information));
        Assert.Equal(2, attempt.Errors.Reported.Count);
        Assert.All(attempt.Errors.Reported, e => Assert.Equal(CheckpointErrorKind.Error, e.Kind));
        Assert.StartsWith("output line 2: ", attempt.Errors.Reported[0].Message);
        Assert.Contains("'lots'", attempt.Errors.Reported[0].Message);
        Assert.StartsWith("output line 3: ", attempt.Errors.Reported[1].Message);
        Assert.Contains("unknown request 'frobnicate'", attempt.Errors.Reported[1].Message);
        Assert.Equal("::caiman frobnicate now", attempt.Errors.Reported[1].Data["output"]);
    }

    [Fact]
    public async Task Runner_should_report_a_refused_doc_write_with_its_line_number_and_keep_the_process_running()
    {
        var attempt = NewAttempt();

        var result = await attempt.RunAsync("""
            echo '::caiman doc set /persistent/nothing a=1'
            echo 'still running'
            """);

        Assert.Equal(0, result.ExitCode);
        var error = Assert.Single(attempt.Errors.Reported);
        Assert.Equal(CheckpointErrorKind.Error, error.Kind);
        Assert.StartsWith("output line 1: doc set /persistent/nothing failed: ", error.Message);
        Assert.Contains("no node at '/persistent/nothing'", error.Message);
        Assert.Equal(["still running"], attempt.Log.At(LogLevel.Information));
    }

    [Theory]
    [InlineData("doc set /volatile/build a=\"\\ud800\"")]
    [InlineData("doc set /volatile/build \"\\udc00\"=1")]
    [InlineData("doc set \"/volatile/b\\ud800\" a=1")]
    [InlineData("doc insert /volatile/build \"n\\ud800\"")]
    [InlineData("doc set /volatile/build a=[\"\\ud800\"]")]
    public async Task Runner_should_report_a_lone_surrogate_as_a_malformed_request_with_its_line_number(string request)
    {
        await Doc.InsertAsync("/volatile", Node("build"));
        var attempt = NewAttempt();

        var result = await attempt.RunAsync($"""
            echo '::caiman {request}'
            echo 'still running'
            """);

        Assert.Equal(0, result.ExitCode);
        var error = Assert.Single(attempt.Errors.Reported);
        Assert.StartsWith("output line 1: malformed ::caiman request: ", error.Message);
        Assert.Contains("surrogate", error.Message);
        Assert.Equal(["still running"], attempt.Log.At(LogLevel.Information));
    }
}
