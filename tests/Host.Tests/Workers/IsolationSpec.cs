using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Configuration;
using Caiman.Actors;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Model;
using Caiman.Host.Service;
using Microsoft.Extensions.Logging;

namespace Caiman.Host.Tests.Workers;

/// <summary>
/// Checkpoints in worker processes (`isolation = process`), with the real `caiman worker`: they
/// reach the DOC over Akka.Remote, a stubborn one is killed with its worker, and a crashing one
/// (FailFast, stack overflow, an exception on another thread, SIGKILL from outside) fails only
/// its own attempt, which is reverted and retried.
/// </summary>
public sealed class IsolationSpec(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly string Assembly = typeof(Crasher).Assembly.Location;

    private readonly string _directory = Directory.CreateTempSubdirectory("caiman-isolation-").FullName;
    private CaimanEngine _engine = null!;

    private readonly Microsoft.Extensions.Logging.ILoggerFactory _loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(l => l.AddProvider(new TestOutputLoggerProvider(output)));

    public Task InitializeAsync()
    {
        _engine = Engine(Path.Combine(_directory, "data"), _loggers);
        return Task.CompletedTask;
    }

    public static CaimanEngine Engine(string data, Microsoft.Extensions.Logging.ILoggerFactory loggers, string isolation = "auto") => LocalEngine.Start(data, loggers,
        ConfigurationFactory.ParseString($"""
            caiman.engine.cancel-grace-period = 1s
            caiman.engine.process-kill-grace-period = 500ms
            caiman.engine.isolation = {isolation}
            """),
        workerCommand: ["dotnet", CaimanProcess.Dll]);

    private PipelineDefinition Pipeline(string checkpoints, string settings = "isolation = process")
    {
        var text = $$"""
            pipeline {
              name = isolation
              {{settings}}
              checkpoints = [
                { name = seed, type = doc, isolation = in-process, insert = [ { parent = "/persistent", name = marks, kind = Marks } ] }
                {{checkpoints}}
              ]
            }
            """;
        var loaded = PipelineLoader.Parse(text, "isolation.conf", _directory, CheckpointTypes.BuiltIn());
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Problems));
        return loaded.Pipeline!;
    }

    private static string Crasher(string name, string mode, string more = "") =>
        $$"""{ name = {{name}}, type = dotnet, assembly = "{{Assembly}}", class = "{{typeof(Crasher).FullName}}", mode = {{mode}} {{more}} }""";

    private async Task<RunStatus> RunToEnd(string runId, PipelineDefinition pipeline)
    {
        await _engine.StartAsync(runId, pipeline);
        using var timeout = new CancellationTokenSource(Patience);
        return await _engine.WaitAsync(runId, cancellationToken: timeout.Token);
    }

    private int PidOf(string checkpoint) => int.Parse(File.ReadAllText(Path.Combine(_directory, checkpoint + ".pid")), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Isolated_checkpoints_of_every_type_should_run_in_worker_processes_and_reach_the_doc()
    {
        // Given a process checkpoint that records its parent, and a dotnet one that records its own pid
        var pipeline = Pipeline($$"""
            { name = shell, type = process, command = "echo $PPID > shell.parent; echo '::caiman doc set /persistent/marks shell=%{/persistent/marks}'" }
            {{Crasher("dotnet", "none", ", crash-until = 0")}}
            { name = edit, type = doc, set = { path = "/persistent/marks", properties { edit = "%{/persistent/marks.shell}" } } }
            """);

        // When they run isolated
        var status = await RunToEnd("every-type", pipeline);

        // Then each ran in a worker process, not in this one, and each saw the others' DOC changes
        Assert.True(status.Phase == RunPhase.Completed, string.Join("\n", (await _engine.ErrorsAsync("every-type")).Select(e => e.Message)));
        var shellParent = int.Parse(File.ReadAllText(Path.Combine(_directory, "shell.parent")).Trim(), CultureInfo.InvariantCulture);
        Assert.NotEqual(Environment.ProcessId, shellParent);
        Assert.NotEqual(Environment.ProcessId, PidOf("dotnet"));
        var marks = await (await _engine.DocAsync("every-type")).GetAsync("/persistent/marks");
        Assert.Equal(["marks", "attempt-1", "marks"], new[] { "shell", "dotnet", "edit" }.Select(k => marks[k]?.ToText()));
    }

    [Fact]
    public async Task A_dotnet_checkpoint_that_spins_ignoring_its_token_should_be_killed_with_its_worker_and_the_run_go_on()
    {
        // Given a checkpoint that spins deaf to its token past its timeout, beside one that does not depend on it
        var pipeline = Pipeline($$"""
            {{Crasher("spin", "spin", ", timeout = 1s, stop-on-error = false")}}
            { name = beside, type = doc, after = [seed], set = { path = "/persistent/marks", properties { beside = done } } }
            """);

        // When it runs
        var status = await RunToEnd("spin", pipeline);

        // Then its worker was killed, its write reverted, and the rest of the run went on
        await Os.ExitedAsync(PidOf("spin"), Patience);
        Assert.Equal(RunPhase.Failed, status.Phase);
        Assert.Equal(CheckpointState.Failed, status.Checkpoints.Single(c => c.Name == "spin").State);
        Assert.Equal(CheckpointState.Completed, status.Checkpoints.Single(c => c.Name == "beside").State);
        Assert.Contains(await _engine.ErrorsAsync("spin", "spin"), e => e.Message.Contains("timed out", StringComparison.Ordinal));
        var marks = await (await _engine.DocAsync("spin")).GetAsync("/persistent/marks");
        Assert.Null(marks["spin"]);
        Assert.Equal("done", marks["beside"]?.ToText());
    }

    [Theory]
    [InlineData("fail-fast")]
    [InlineData("stack-overflow")]
    [InlineData("thread")]
    public async Task A_checkpoint_that_crashes_its_worker_should_fail_only_its_attempt_which_is_reverted_and_retried(string mode)
    {
        // Given a checkpoint whose first attempt takes its worker process down, with a retry
        var pipeline = Pipeline(Crasher("crash", mode, ", retries = 1"));

        // When it runs
        var status = await RunToEnd("crash-" + mode, pipeline);

        // Then the first attempt failed with its worker's exit as the cause, and the retry started clean and completed
        await AssertCrashedOnceThenCompleted("crash-" + mode, status, @"worker exited: signal \d+");
    }

    [Fact]
    public async Task A_worker_sigkilled_from_outside_should_fail_its_attempt_which_is_retried()
    {
        // Given a checkpoint that waits on its token in its worker
        var pipeline = Pipeline(Crasher("crash", "wait", ", retries = 1"));
        await _engine.StartAsync("outside-kill", pipeline);
        var pidFile = Path.Combine(_directory, "crash.pid");
        await Os.FileAppearsAsync(pidFile, Patience);

        // When someone kills its worker
        System.Diagnostics.Process.GetProcessById(PidOf("crash")).Kill();
        using var timeout = new CancellationTokenSource(Patience);
        var status = await _engine.WaitAsync("outside-kill", cancellationToken: timeout.Token);

        // Then
        await AssertCrashedOnceThenCompleted("outside-kill", status, "worker exited: signal 9");
    }

    private async Task AssertCrashedOnceThenCompleted(string runId, RunStatus status, string cause)
    {
        var errors = await _engine.ErrorsAsync(runId, "crash");
        Assert.True(status.Phase == RunPhase.Completed, $"{status.Phase}: {string.Join("\n", errors.Select(e => e.Message))}");
        var crash = status.Checkpoints.Single(c => c.Name == "crash");
        Assert.Equal(2, crash.Attempts);
        Assert.Matches(cause, Assert.Single(errors, e => e.Kind == CheckpointErrorKind.Error).Message);
        var doc = await _engine.DocAsync(runId);
        Assert.Equal("attempt-2", (await doc.GetAsync("/persistent/marks"))["crash"]?.ToText());
        Assert.Empty(await doc.FindWritesAsync(new Writer(runId, "crash", 1)));
    }

    [Fact]
    public async Task A_doc_heavy_pipeline_should_leave_the_same_doc_in_both_isolations()
    {
        // Given a pipeline of many DOC changes of every kind, run once in process and once isolated
        var checkpoints = """
            { name = tree, type = doc, insert = [
                { parent = "/persistent/marks", name = disks, kind = Disks, children = [
                  { name = sda, kind = Disk, properties { size = "100" }, children = [ { name = p1, kind = Partition }, { name = p2, kind = Partition } ] }
                  { name = sdb, kind = Disk, json { size = 200, ssd = true } } ] } ] }
            { name = shell, type = process, command = "for i in 1 2 3 4 5 6 7 8 9 10; do echo \"::caiman doc insert /persistent/marks/disks/sda part$i kind=Partition index=$i\"; done; echo '::caiman doc set /persistent/marks/disks/sdb label=%{/persistent/marks/disks/sda.size}'" }
            { name = edit, type = doc, set = [ { path = "/persistent/marks/disks/sda", properties { size = "101" } } ] }
            """;
        var inProcess = await RunToEnd("heavy-in-process", Pipeline(checkpoints, "isolation = in-process"));
        var isolated = await RunToEnd("heavy-isolated", Pipeline(checkpoints, "isolation = process"));

        // Then both completed with the same DOC, ids aside
        Assert.Equal(RunPhase.Completed, inProcess.Phase);
        Assert.Equal(RunPhase.Completed, isolated.Phase);
        var expected = WithoutIds(JsonNode.Parse(await _engine.DocExportAsync("heavy-in-process")));
        var actual = WithoutIds(JsonNode.Parse(await _engine.DocExportAsync("heavy-isolated")));
        Assert.True(JsonNode.DeepEquals(expected, actual), $"in process:\n{expected}\nisolated:\n{actual}");
        Assert.Equal(10, actual!.ToJsonString().Split("\"Partition\"").Length - 1 - 2);
    }

    /// <summary>The export without node ids, which two runs give out independently.</summary>
    private static JsonNode? WithoutIds(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                obj.Remove("id");
                foreach (var (_, value) in obj.ToList()) WithoutIds(value);
                break;
            case JsonArray array:
                foreach (var item in array) WithoutIds(item);
                break;
        }
        return node;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        _loggers.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
