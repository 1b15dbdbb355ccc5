using Caiman.Checkpoints.BuiltIn;
using Caiman.Checkpoints.Processes;
using Caiman.Checkpoints.Testing;
using Caiman.Doc.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Tests.BuiltIn;

/// <summary>The <c>process</c> checkpoint runs a command from the pipeline file and judges its exit code.</summary>
public sealed class ProcessCheckpointSpec : IAsyncLifetime
{
    private readonly CheckpointTestKit _kit = new("process-run");
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "caiman-process-type-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _kit.BaseDirectory = _directory;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _kit.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static IReadOnlyList<string> Output(CheckpointTestResult result) =>
        [.. result.Log.Where(l => l.Level == LogLevel.Information).Select(l => l.Message)];

    [Fact]
    public async Task Process_checkpoint_should_complete_when_the_command_succeeds()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "out"));

        var result = await _kit.RunAsync("process", _kit.Args(new
        {
            command = "echo \"$LEVEL in $(pwd)\"; echo '::caiman progress 100 done'",
            env = new { LEVEL = "9" },
            workdir = "out",
        }));

        result.EnsureCompleted();
        Assert.Equal([$"9 in {Path.Combine(_directory, "out")}"], Output(result));
        Assert.Equal([new ProgressReport(100, "done")], result.Progress);
        var launch = Assert.Single(result.Launches);
        Assert.Equal("echo \"$LEVEL in $(pwd)\"; echo '::caiman progress 100 done'", launch.Command);
    }

    [Fact]
    public async Task Process_checkpoint_should_run_a_list_as_argv_without_a_shell()
    {
        var result = await _kit.RunAsync("process", _kit.Args(new { command = new[] { "printf", "%s\\n", "$HOME", "a b" } }));

        result.EnsureCompleted();
        Assert.Equal(["$HOME", "a b"], Output(result));
    }

    [Fact]
    public async Task Process_checkpoint_should_fail_with_the_exit_code_when_the_command_fails()
    {
        var result = await _kit.RunAsync("process", _kit.Args(new { command = "echo 'about to fail' >&2; exit 3" }));

        Assert.Equal(CheckpointOutcome.Failed, result.Outcome);
        var failed = Assert.IsType<ProcessFailedException>(result.Exception);
        Assert.Equal(3, failed.Result.ExitCode);
        Assert.Equal("echo 'about to fail' >&2; exit 3", failed.Command);
        Assert.Contains("exited with code 3", failed.Message);
        Assert.Contains(new LogRecord(LogLevel.Warning, "about to fail"), result.Log);
    }

    [Fact]
    public async Task Process_checkpoint_should_take_the_listed_exit_codes_as_success()
    {
        var args = _kit.Args("""{ "command": "exit 3", "success-exit-codes": [0, 3] }""");

        var three = await _kit.RunAsync("process", args);
        var four = await _kit.RunAsync("process", _kit.Args("""{ "command": "exit 4", "success-exit-codes": [0, 3] }"""));
        var zero = await _kit.RunAsync("process", _kit.Args("""{ "command": "exit 0", "success-exit-codes": 3 }"""));

        three.EnsureCompleted();
        Assert.Equal(4, Assert.IsType<ProcessFailedException>(four.Exception).Result.ExitCode);
        Assert.Equal(0, Assert.IsType<ProcessFailedException>(zero.Exception).Result.ExitCode);
    }

    [Fact]
    public async Task Process_checkpoint_should_fail_a_command_killed_by_a_signal_even_if_its_code_is_listed()
    {
        var result = await _kit.RunAsync("process", _kit.Args("""{ "command": ["/bin/sh", "-c", "kill -TERM $$"], "success-exit-codes": [0, 143] }"""));

        var failed = Assert.IsType<ProcessFailedException>(result.Exception);
        Assert.Equal(15, failed.Result.Signal);
        Assert.Contains("killed by signal 15", failed.Message);
    }

    [Fact]
    public async Task Process_checkpoint_should_fail_when_the_process_reports_an_error()
    {
        var result = await _kit.RunAsync("process", _kit.Args(new { command = "echo '::caiman error checksum mismatch'" }));

        Assert.Equal(CheckpointOutcome.Failed, result.Outcome);
        Assert.Null(result.Exception);
        Assert.Equal("checksum mismatch", Assert.Single(result.Errors).Message);
    }

    [Fact]
    public async Task Process_checkpoint_should_fill_doc_references_in_the_command_and_write_the_doc_as_the_attempt()
    {
        await _kit.Doc.InsertAsync("/persistent", new NewNode("build", "Build", DocClientProperties(("dir", "my out"))));

        var result = await _kit.RunAsync("process", _kit.Args(new
        {
            command = "mkdir -p %{/persistent/build.dir} && echo \"::caiman doc set /persistent/build made=true\"",
        }));

        result.EnsureCompleted();
        Assert.True(Directory.Exists(Path.Combine(_directory, "my out")));
        Assert.Equal(["/persistent/build"], result.ChangedPaths);
        Assert.Equal("mkdir -p 'my out' && echo \"::caiman doc set /persistent/build made=true\"", Assert.Single(result.Launches).Command);
    }

    [Fact]
    public async Task Process_checkpoint_should_only_log_the_filled_command_in_a_dry_run()
    {
        await _kit.Doc.InsertAsync("/persistent", new NewNode("build", "Build", DocClientProperties(("dir", "out"))));

        var result = await _kit.RunAsync("process", _kit.Args(new { command = "touch %{/persistent/build.dir}.marker" }), dryRun: true);

        result.EnsureCompleted();
        Assert.Empty(result.Launches);
        Assert.False(File.Exists(Path.Combine(_directory, "out.marker")));
        Assert.Equal([$"dry run: would run touch 'out'.marker in {_directory}"], Output(result));
    }

    [Fact]
    public async Task Process_checkpoint_should_stop_the_process_when_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var checkpoint = new ProcessCheckpointType().Create(_kit.Args(new { command = "echo '::caiman progress 1 started'; sleep 600" }));

        var run = _kit.RunAsync(new ReportingStart(checkpoint, started), cancellationToken: cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await cancel.CancelAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(CheckpointOutcome.Cancelled, result.Outcome);
        Assert.False(ProcessReaper.IsAlive(Assert.Single(result.Launches)));
    }

    [Fact]
    public void Process_type_should_have_an_estimate_of_one_second()
    {
        var checkpoint = new ProcessCheckpointType().Create(_kit.Args(new { command = "true" }));

        Assert.Equal(TimeSpan.FromSeconds(1), checkpoint.Estimate);
    }

    [Theory]
    [InlineData("{}", "'command' is required")]
    [InlineData("""{ "command": "  " }""", "'command' must not be empty")]
    [InlineData("""{ "command": [] }""", "'command' must not be an empty list")]
    [InlineData("""{ "command": ["", "x"] }""", "'command[0]' must not be empty")]
    [InlineData("""{ "command": ["make", ["x"]] }""", "'command[1]' must be a single value, not a list")]
    [InlineData("""{ "command": { "a": "b" } }""", "'command' must be a command line or a list of words, not an object")]
    [InlineData("""{ "command": "echo %{/persistent/[" }""", "'command' has a bad %{} reference")]
    [InlineData("""{ "command": "true", "env": "A=1" }""", "'env' must be an object of key = value pairs")]
    [InlineData("""{ "command": "true", "env": { "A": ["1"] } }""", "'env.A' must be a single value, not a list")]
    [InlineData("""{ "command": "true", "env": { "A=B": "1" } }""", "'env.A=B' is not an environment variable name")]
    [InlineData("""{ "command": "true", "env": { "A": "%{" } }""", "'env.A' has a bad %{} reference")]
    [InlineData("""{ "command": "true", "workdir": ["a"] }""", "'workdir' must be a single value, not a list")]
    [InlineData("""{ "command": "true", "workdir": "" }""", "'workdir' must not be empty")]
    [InlineData("""{ "command": "true", "success-exit-codes": [] }""", "'success-exit-codes' must list at least one exit code")]
    [InlineData("""{ "command": "true", "success-exit-codes": [0, "x"] }""", "'success-exit-codes[1]' must be an exit code from 0 to 255, not 'x'")]
    [InlineData("""{ "command": "true", "success-exit-codes": 256 }""", "'success-exit-codes' must be an exit code from 0 to 255, not '256'")]
    [InlineData("""{ "command": "true", "comand": "x" }""", "unknown key 'comand'")]
    [InlineData("""{ "command": "true", "workdir": "\u0000" }""", "'workdir' has a NUL character (\\u0000) at position 1, which a path cannot hold")]
    [InlineData("""{ "command": "echo a\u0000b" }""", "'command' has a NUL character (\\u0000) at position 7, which a command line cannot hold")]
    [InlineData("""{ "command": ["echo", "\u0000"] }""", "'command[1]' has a NUL character (\\u0000) at position 1, which an argument cannot hold")]
    [InlineData("""{ "command": "true", "env": { "A": "x\u0000" } }""", "'env.A' has a NUL character (\\u0000) at position 2, which an environment variable cannot hold")]
    [InlineData("""{ "command": "true", "env": { "A\u0000": "x" } }""", "'env.A\\u0000' is not an environment variable name")]
    public void Process_type_should_name_the_key_of_each_problem_with_its_args(string json, string problem)
    {
        var problems = new ProcessCheckpointType().Validate(_kit.Args(json));

        Assert.Contains(problems, p => p.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Process_type_should_report_every_problem_at_once_and_accept_good_args()
    {
        var type = new ProcessCheckpointType();

        var bad = type.Validate(_kit.Args("""{ "env": [], "success-exit-codes": ["x"] }"""));
        var good = type.Validate(_kit.Args("""{ "command": ["make", "-j", 4], "env": { "LEVEL": 9 }, "workdir": "out", "success-exit-codes": [0, 2] }"""));

        Assert.Equal(3, bad.Count);
        Assert.Empty(good);
    }

    /// <summary>Runs a checkpoint with a context whose progress reports also say the process has started.</summary>
    private sealed class ReportingStart(ICheckpoint inner, TaskCompletionSource started) : ICheckpoint, IProgressReporter
    {
        private IProgressReporter _progress = null!;

        public TimeSpan Estimate => inner.Estimate;

        public Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken)
        {
            _progress = context.Progress;
            return inner.ExecuteAsync(new CheckpointContext
            {
                Writer = context.Writer,
                Doc = context.Doc,
                Args = context.Args,
                DryRun = context.DryRun,
                Logger = context.Logger,
                Progress = this,
                Errors = context.Errors,
                BaseDirectory = context.BaseDirectory,
                Launches = context.Launches,
                ProcessHost = context.ProcessHost,
                KillGracePeriod = context.KillGracePeriod,
            }, cancellationToken);
        }

        public void Report(double percent, string? message = null)
        {
            _progress.Report(percent, message);
            started.TrySetResult();
        }
    }

    private static Caiman.Doc.Model.PropertyMap DocClientProperties(params (string Key, object? Value)[] values) =>
        Caiman.Doc.Client.DocClient.ToProperties("node", values.ToDictionary(v => v.Key, v => v.Value));
}
