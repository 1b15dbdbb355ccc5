using Caiman.Checkpoints.Processes;
using Caiman.Checkpoints.Testing;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Tests.Testing;

/// <summary>The test kit judges an attempt as the engine does: completed, failed or cancelled.</summary>
public sealed class CheckpointTestKitOutcomeSpec
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Kit_should_complete_a_checkpoint_that_returns()
    {
        await using var kit = new CheckpointTestKit();

        var result = await kit.RunAsync(DelegateCheckpoint.Sync(_ => { }));

        Assert.Equal(CheckpointOutcome.Completed, result.Outcome);
        Assert.Null(result.Exception);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public async Task Kit_should_fail_a_checkpoint_that_throws_and_record_the_exception_as_an_error()
    {
        await using var kit = new CheckpointTestKit();

        var result = await kit.RunAsync(new DelegateCheckpoint(async (_, _) =>
        {
            await Task.Yield();
            throw new InvalidOperationException("disk full");
        }));

        Assert.Equal(CheckpointOutcome.Failed, result.Outcome);
        Assert.IsType<InvalidOperationException>(result.Exception);
        var error = Assert.Single(result.Errors);
        Assert.Equal(CheckpointErrorKind.Error, error.Kind);
        Assert.Equal(typeof(InvalidOperationException).FullName, error.ExceptionType);
        Assert.Equal("disk full", error.Message);
        Assert.Equal((CheckpointTestKit.UnderTest, 1), (error.Checkpoint, error.Attempt));
    }

    [Fact]
    public async Task Kit_should_fail_a_checkpoint_that_returns_after_reporting_an_error()
    {
        await using var kit = new CheckpointTestKit();

        var result = await kit.RunAsync(DelegateCheckpoint.Sync(context =>
            context.Errors.Report(CheckpointErrorKind.Error, "checksum mismatch", data: new Dictionary<string, string> { ["file"] = "a.img" })));

        Assert.Equal(CheckpointOutcome.Failed, result.Outcome);
        Assert.Null(result.Exception);
        var error = Assert.Single(result.Errors);
        Assert.Equal("checksum mismatch", error.Message);
        Assert.Null(error.ExceptionType);
        Assert.Equal("a.img", error.Data["file"]);
    }

    [Fact]
    public async Task Kit_should_complete_a_checkpoint_that_reports_only_warnings_and_repairs()
    {
        await using var kit = new CheckpointTestKit();

        var result = await kit.RunAsync(DelegateCheckpoint.Sync(context =>
        {
            context.Errors.Report(CheckpointErrorKind.Warning, "slow disk");
            context.Errors.Report(CheckpointErrorKind.Repaired, "stale lock removed", new IOException("locked"));
        }));

        Assert.Equal(CheckpointOutcome.Completed, result.Outcome);
        Assert.Equal([CheckpointErrorKind.Warning, CheckpointErrorKind.Repaired], result.Errors.Select(e => e.Kind));
        Assert.Equal(typeof(IOException).FullName, result.Errors[1].ExceptionType);
    }

    [Fact]
    public async Task Kit_should_cancel_a_checkpoint_that_stops_when_its_token_fires()
    {
        // Given a checkpoint that waits on its token
        await using var kit = new CheckpointTestKit();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();
        var running = kit.RunAsync(new DelegateCheckpoint(async (_, token) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, token);
        }), cancellationToken: cancel.Token);

        // When the token fires once it runs
        await started.Task.WaitAsync(Patience);
        await cancel.CancelAsync();
        var result = await running.WaitAsync(Patience);

        // Then the attempt is cancelled, not failed
        Assert.Equal(CheckpointOutcome.Cancelled, result.Outcome);
        Assert.IsAssignableFrom<OperationCanceledException>(result.Exception);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public async Task Kit_should_fail_a_checkpoint_that_throws_a_cancellation_its_token_did_not_ask_for()
    {
        await using var kit = new CheckpointTestKit();

        var result = await kit.RunAsync(DelegateCheckpoint.Sync(_ => throw new TaskCanceledException("an HTTP call timed out")));

        Assert.Equal(CheckpointOutcome.Failed, result.Outcome);
        Assert.Equal(typeof(TaskCanceledException).FullName, Assert.Single(result.Errors).ExceptionType);
    }

    [Fact]
    public async Task EnsureCompleted_should_throw_with_the_errors_and_log_of_a_failed_attempt()
    {
        await using var kit = new CheckpointTestKit();
        var result = await kit.RunAsync(DelegateCheckpoint.Sync(context =>
        {
            context.Logger.LogWarning("about to break");
            throw new InvalidOperationException("broke");
        }));

        var thrown = Assert.Throws<InvalidOperationException>(() => result.EnsureCompleted());

        Assert.Same(result.Exception, thrown.InnerException);
        Assert.Contains("Failed", thrown.Message);
        Assert.Contains("Error: broke", thrown.Message);
        Assert.Contains("[Warning] about to break", thrown.Message);
    }
}

/// <summary>The test kit records what an attempt reported: progress, errors, log, launches and DOC changes.</summary>
public sealed class CheckpointTestKitRecordingSpec
{
    [Fact]
    public async Task Kit_should_record_progress_in_order_clamped_to_0_to_100()
    {
        await using var kit = new CheckpointTestKit();

        var result = await kit.RunAsync(DelegateCheckpoint.Sync(context =>
        {
            context.Progress.Report(-5);
            context.Progress.Report(40, "copying");
            context.Progress.Report(250, "done");
        }));

        Assert.Equal([new ProgressReport(0, null), new ProgressReport(40, "copying"), new ProgressReport(100, "done")], result.Progress);
    }

    [Fact]
    public async Task Kit_should_record_every_log_level_from_trace_with_formatted_messages_and_exceptions()
    {
        await using var kit = new CheckpointTestKit();

        var result = await kit.RunAsync(DelegateCheckpoint.Sync(context =>
        {
            context.Logger.LogTrace("looking in {Dir}", "out/x");
            context.Logger.LogInformation("copied {Count} files", 3);
            context.Logger.LogError(new IOException("no space"), "copy of {File} failed", "b.img");
        }));

        Assert.Equal(
        [
            new LogRecord(LogLevel.Trace, "looking in out/x"),
            new LogRecord(LogLevel.Information, "copied 3 files"),
            new LogRecord(LogLevel.Error, "copy of b.img failed (IOException: no space)"),
        ], result.Log);
    }

    [Fact]
    public async Task Kit_should_record_process_launches()
    {
        await using var kit = new CheckpointTestKit();
        var launch = new ProcessLaunch(4242, 4242, 123456, "make all");

        var result = await kit.RunAsync(new DelegateCheckpoint((context, _) => context.Launches.RecordAsync(launch)));

        Assert.Equal([launch], result.Launches);
    }

    [Fact]
    public async Task Kit_should_list_as_changes_exactly_the_writes_of_the_attempt()
    {
        // Given a DOC built by the test, and an earlier attempt that wrote elsewhere
        await using var kit = new CheckpointTestKit();
        await kit.Doc.InsertAsync("/persistent", new NewNode("image"), new NewNode("other"));
        var earlier = await kit.RunAsync(new DelegateCheckpoint((context, _) => context.Doc.SetAsync("/persistent/other", "touched", true)));

        // When an attempt inserts a node with a child and sets a property elsewhere
        var result = await kit.RunAsync(new DelegateCheckpoint(async (context, _) =>
        {
            await context.Doc.InsertAsync("/persistent/image", new NewNode("file", "File").WithChildren(new NewNode("chunk")));
            await context.Doc.SetAsync("/persistent/image", "size", 10);
        }));

        // Then its changes are those nodes, all stamped with its writer, and no one else's
        Assert.Equal(["/persistent/image", "/persistent/image/file", "/persistent/image/file/chunk"], result.ChangedPaths);
        Assert.All(result.Changes, change => Assert.Equal(result.Writer, change.Writer));
        Assert.Equal(["/persistent/other"], earlier.ChangedPaths);
    }

    [Fact]
    public async Task Kit_should_refuse_doc_writes_an_attempt_makes_after_it_ended()
    {
        // Given an attempt that has ended
        await using var kit = new CheckpointTestKit();
        CheckpointContext? ended = null;
        var result = await kit.RunAsync(DelegateCheckpoint.Sync(context => ended = context));

        // When its context writes afterwards
        var refused = await Assert.ThrowsAsync<DocException>(() => ended!.Doc.InsertAsync("/volatile", new NewNode("late")));

        // Then the DOC refuses it, as the engine's would
        Assert.Equal(result.Writer, Assert.IsType<DocError.WriterFenced>(refused.Error).Writer);
        Assert.Null(await kit.TryGetAsync("/volatile/late"));
    }

    [Fact]
    public async Task Kit_should_give_each_run_a_new_attempt_with_a_distinct_writer()
    {
        await using var kit = new CheckpointTestKit("run-7");
        kit.Types.Add(new NoArgsType("noop"));

        var first = await kit.RunAsync(DelegateCheckpoint.Sync(_ => { }));
        var second = await kit.RunAsync(DelegateCheckpoint.Sync(_ => { }));
        var typed = await kit.RunAsync("noop", CheckpointArgs.Empty);

        Assert.Equal(new Writer("run-7", CheckpointTestKit.UnderTest, 1), first.Writer);
        Assert.Equal(new Writer("run-7", CheckpointTestKit.UnderTest, 2), second.Writer);
        Assert.Equal(new Writer("run-7", "noop", 3), typed.Writer);
    }

    [Fact]
    public async Task Kit_should_build_the_context_from_its_settings_and_the_run_arguments()
    {
        // Given a kit with its own base directory and grace period
        await using var kit = new CheckpointTestKit("run-ctx")
        {
            BaseDirectory = Path.GetTempPath(),
            KillGracePeriod = TimeSpan.FromMilliseconds(300),
        };
        CheckpointContext? seen = null;

        // When a checkpoint runs with args, as a dry run
        var result = await kit.RunAsync(new DelegateCheckpoint(async (context, _) =>
        {
            seen = context;
            await context.Doc.InsertAsync("/volatile", new NewNode("mark"));
        }), kit.Args(new { target = "x86" }), dryRun: true);

        // Then the context carries them, and its DOC writes as the attempt
        Assert.NotNull(seen);
        Assert.Equal(("x86", true, Path.GetTempPath(), TimeSpan.FromMilliseconds(300)), (seen.Args.GetString("target"), seen.DryRun, seen.BaseDirectory, seen.KillGracePeriod));
        Assert.Equal(result.Writer, seen.Writer);
        Assert.Equal(result.Writer, seen.Doc.Writer);
        Assert.Equal(("run-ctx", CheckpointTestKit.UnderTest, 1), (seen.RunId, seen.Checkpoint, seen.Attempt));
        Assert.Equal(Writer.User("run-ctx"), kit.Doc.Writer);
        Assert.Equal("/volatile/mark", (await kit.GetAsync("/volatile/mark")).Path);
    }

    [Fact]
    public async Task Kit_should_default_to_the_current_directory_and_a_two_second_grace_period()
    {
        await using var kit = new CheckpointTestKit();

        Assert.Equal((Directory.GetCurrentDirectory(), TimeSpan.FromSeconds(2)), (kit.BaseDirectory, kit.KillGracePeriod));
        Assert.Equal(["doc", "dotnet", "process"], kit.Types.Names);
    }

    private sealed class NoArgsType(string name) : ICheckpointType
    {
        public string Name => name;
        public IReadOnlyList<string> Validate(CheckpointArgs args) => [];
        public ICheckpoint Create(CheckpointArgs args) => DelegateCheckpoint.Sync(_ => { });
    }
}

/// <summary>Running a checkpoint type by name validates its args first.</summary>
public sealed class CheckpointTestKitTypesSpec
{
    [Fact]
    public async Task Kit_should_refuse_args_the_type_finds_invalid_listing_every_problem()
    {
        await using var kit = new CheckpointTestKit();
        kit.Types.Add(new PickyType());

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => kit.RunAsync("picky", kit.Args(new { colour = "red" })));

        Assert.Contains("size is required", refused.Message);
        Assert.Contains("colour must be blue", refused.Message);
    }

    [Fact]
    public async Task Kit_should_refuse_an_unknown_type_naming_the_known_ones()
    {
        await using var kit = new CheckpointTestKit();

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => kit.RunAsync("nope", CheckpointArgs.Empty));

        Assert.Contains("'nope'", refused.Message);
        Assert.Contains("doc, dotnet, process", refused.Message);
    }

    [Fact]
    public async Task Kit_should_run_a_type_with_valid_args_under_the_type_name()
    {
        await using var kit = new CheckpointTestKit();
        kit.Types.Add(new PickyType());

        var result = await kit.RunAsync("picky", kit.Args(new { colour = "blue", size = 3 }));

        Assert.Equal(CheckpointOutcome.Completed, result.Outcome);
        Assert.Equal("picky", result.Writer.Checkpoint);
        Assert.Equal(new LogRecord(LogLevel.Information, "size 3"), Assert.Single(result.Log));
    }

    private sealed class PickyType : ICheckpointType
    {
        public string Name => "picky";

        public IReadOnlyList<string> Validate(CheckpointArgs args) =>
        [
            .. args.Has("size") ? Array.Empty<string>() : ["size is required"],
            .. args.GetString("colour") == "blue" ? Array.Empty<string>() : ["colour must be blue"],
        ];

        public ICheckpoint Create(CheckpointArgs args) =>
            DelegateCheckpoint.Sync(context => context.Logger.LogInformation("size {Size}", args.GetInt64("size")));
    }
}

/// <summary>Args built for a test look like those a pipeline file gives.</summary>
public sealed class CheckpointTestKitArgsSpec
{
    [Fact]
    public async Task Args_should_turn_numbers_and_booleans_of_an_anonymous_object_into_strings_at_every_depth()
    {
        await using var kit = new CheckpointTestKit();

        var args = kit.Args(new { jobs = 4, debug = true, version = 1.10m, env = new { LEVEL = 9 }, command = new[] { "make", "-j" } });

        Assert.Equal("""{"jobs":"4","debug":"true","version":"1.10","env":{"LEVEL":"9"},"command":["make","-j"]}""", args.ToJson());
    }

    [Fact]
    public async Task Args_should_read_json_text_with_keys_that_are_not_csharp_names()
    {
        await using var kit = new CheckpointTestKit();

        var args = kit.Args("""{ "stop-on-error": false, "name": "x" }""");

        Assert.Equal("false", args.Get("stop-on-error")!.Value.GetString());
        Assert.Equal("x", args.GetString("name"));
    }
}

/// <summary>A kit given an actor system shares it and leaves it running.</summary>
public sealed class CheckpointTestKitSystemSpec : Akka.TestKit.Xunit2.TestKit
{
    public CheckpointTestKitSystemSpec() : base(Caiman.Doc.Testing.VerifiedMessages.InMemory) { }

    [Fact]
    public async Task Kit_should_use_a_given_system_and_stop_only_its_doc_when_disposed()
    {
        // Given a kit in the test's own system
        var kit = new CheckpointTestKit("shared-run", Sys);
        var probe = CreateTestProbe();
        await probe.WatchAsync(kit.Doc.Actor);
        var result = await kit.RunAsync(new DelegateCheckpoint((context, _) => context.Doc.InsertAsync("/volatile", new NewNode("n"))));

        // When it is disposed
        await kit.DisposeAsync();

        // Then its DOC is stopped and the system still runs
        Assert.Same(Sys, kit.System);
        Assert.Equal(CheckpointOutcome.Completed, result.Outcome);
        await probe.ExpectTerminatedAsync(kit.Doc.Actor);
        Assert.False(Sys.WhenTerminated.IsCompleted);
    }
}
