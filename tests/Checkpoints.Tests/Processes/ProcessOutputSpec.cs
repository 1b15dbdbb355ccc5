using System.Collections.Immutable;
using Caiman.Checkpoints.Processes;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Caiman.Checkpoints.Tests.Processes;

/// <summary>What a process prints reaches the attempt's log, and how it ended comes back.</summary>
public sealed class ProcessOutputSpec(ITestOutputHelper output) : ProcessTestBase(output)
{
    [Fact]
    public async Task Runner_should_log_stdout_at_information_and_stderr_at_warning_line_by_line_in_order()
    {
        var attempt = NewAttempt();

        var result = await attempt.RunAsync("for i in 1 2 3; do echo \"out $i\"; echo \"err $i\" >&2; done; printf 'no newline'");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["out 1", "out 2", "out 3", "no newline"], attempt.Log.At(LogLevel.Information));
        Assert.Equal(["err 1", "err 2", "err 3"], attempt.Log.At(LogLevel.Warning));
    }

    [Fact]
    public async Task Runner_should_return_a_non_zero_exit_code_without_throwing()
    {
        var attempt = NewAttempt();

        var result = await attempt.RunAsync("echo failing; exit 3");

        Assert.Equal(new ProcessResult(3, null, result.Duration), result);
        Assert.False(result.Succeeded);
        Assert.Empty(attempt.Errors.Reported);
    }

    [Fact]
    public async Task Runner_should_not_take_an_exit_code_of_128_plus_n_for_a_signal()
    {
        var attempt = NewAttempt();

        var result = await attempt.RunAsync("exit 137");

        Assert.Equal(137, result.ExitCode);
        Assert.Null(result.Signal);
    }

    [Fact]
    public async Task Runner_should_report_the_signal_that_killed_the_process()
    {
        var attempt = NewAttempt();

        var result = await attempt.RunAsync(ProcessSpec.Argv("/bin/sh", "-c", "kill -KILL $$"));

        Assert.Equal(137, result.ExitCode);
        Assert.Equal(9, result.Signal);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task Runner_should_pass_argv_words_to_the_program_without_a_shell()
    {
        var attempt = NewAttempt();

        var result = await attempt.RunAsync(ProcessSpec.Argv("printf", "%s\\n", "two words", "$HOME", "*"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["two words", "$HOME", "*"], attempt.Log.At(LogLevel.Information));
        Assert.Equal("printf '%s\\n' 'two words' '$HOME' '*'", attempt.Launch.Command);
    }

    [Fact]
    public async Task Runner_should_give_the_environment_the_working_directory_and_an_empty_stdin()
    {
        Directory.CreateDirectory(Path.Combine(WorkDirectory, "out"));
        var attempt = NewAttempt();
        var spec = ProcessSpec.ShellCommand("echo \"$LEVEL $CAIMAN_RUN_ID $CAIMAN_CHECKPOINT $CAIMAN_ATTEMPT\"; pwd; cat; echo \"stdin ended\"") with
        {
            Environment = new Dictionary<string, string> { ["LEVEL"] = "9", ["CAIMAN_ATTEMPT"] = "not yours" }.ToImmutableDictionary(),
            WorkingDirectory = "out",
        };

        var result = await attempt.RunAsync(spec);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal([$"9 {RunId} build {attempt.Writer.Attempt}", Path.Combine(WorkDirectory, "out"), "stdin ended"], attempt.Log.At(LogLevel.Information));
    }

    [Fact]
    public async Task Runner_should_refuse_a_missing_working_directory_before_starting_anything()
    {
        var attempt = NewAttempt();

        var refused = await Assert.ThrowsAsync<ProcessStartException>(() =>
            attempt.RunAsync(ProcessSpec.ShellCommand("touch ran") with { WorkingDirectory = "missing" }));

        Assert.Contains(Path.Combine(WorkDirectory, "missing"), refused.Message);
        Assert.Contains("does not exist", refused.Message);
        Assert.Empty(attempt.Launches.Recorded);
    }

    [Fact]
    public async Task Runner_should_return_the_shells_exit_code_for_a_program_that_does_not_exist()
    {
        var attempt = NewAttempt();

        var result = await attempt.RunAsync(ProcessSpec.Argv("no-such-program-anywhere", "x"));

        Assert.Equal(127, result.ExitCode);
        Assert.Contains(attempt.Log.At(LogLevel.Warning), line => line.Contains("no-such-program-anywhere"));
    }
}
