using System.Collections.Immutable;
using Akka.Actor;
using Akka.Serialization;
using Caiman.Actors.Protocol;
using Caiman.Actors.Serialization;
using Caiman.Actors.Tests.Runs;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Checkpoints.Processes;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Caiman.Actors.Tests.Serialization;

public sealed class RunSerializerSpec(ITestOutputHelper output) : EngineSpec(output)
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 23, 0, 0, TimeSpan.Zero);

    private static readonly PipelineDefinition ImagePipeline = new("image", "an image", true, 4,
    [
        new CheckpointDefinition("prepare", "process", CheckpointArgs.FromJson("""{"command":"mkdir -p out","env":{"A":"1"}}"""), []),
        new CheckpointDefinition("build", "process", CheckpointArgs.FromJson("""{"command":["make","ARCH=x86"]}"""), ["prepare"])
        {
            Estimate = TimeSpan.FromSeconds(30), Retries = new RetryPolicy(2, TimeSpan.FromSeconds(1), 3), Timeout = TimeSpan.FromMinutes(10),
            StopOnError = false, Description = "cross build", Role = "arch=x86", LogLevel = LogLevel.Debug, Line = 7,
        },
    ]) { SourceFile = "image.conf", BaseDirectory = "/srv/pipelines" };

    private static readonly CheckpointError Error = new("build", 2, CheckpointErrorKind.Repaired, "System.IO.IOException", "retried a read",
        ImmutableSortedDictionary<string, string>.Empty.Add("path", "/dev/sda"), At);

    private object[] Samples() =>
    [
        new StartRun("r1", ImagePipeline, ["build"], true),
        new PauseRun("r1"),
        new ResumeRun("r1", "build", ["pack"]),
        new CancelRun("r1"),
        new GetRunStatus("r1"),
        new GetErrors("r1", "build", CheckpointErrorKind.Error),
        new GetDoc("r1"),
        new SubscribeProgress("r1", TestActor),
        new UnsubscribeProgress("r1", TestActor),
        new SuspendRun("r1", TimeSpan.FromSeconds(20)),
        ListRuns.Instance,
        new RunList(["r1", "r2"]),
        new RunRegistered("r1", At),
        RunReply.Refused(new RunError.NotResumable("r1", "pack", ["build"])),
        RunReply.Of(new RunStatus("r1", RunPhase.Running, "image", 42.5, TimeSpan.FromSeconds(3), false, ["pack"],
            [new CheckpointStatus("build", CheckpointState.Running, 2, true, 50, "copying", At, TimeSpan.FromSeconds(1), "cross build", ["prepare"])], At, null)),
        new RunStatus("r1", RunPhase.Completed, "image", 100, TimeSpan.Zero, false, [], [], At, At),
        new ErrorsResult("r1", [Error], null),
        new DocAddress("r1", TestActor, new RunError.UnknownRun("r1")),
        new RunProgress("r1", RunPhase.Running, 12, null, "build", CheckpointState.Running, 40, "copying"),
        new AttemptProgressed("build", 1, 40, "copying"),
        new AttemptErrorReported(Error),
        new RecordProcessLaunch("build", 1, new ProcessLaunch(4242, 4242, 123456, "make ARCH=x86")),
        new ProcessLaunchRecorded(4242),
        new CancelAttempt(StopReason.Timeout),
        new AttemptFinished("build", 1, AttemptOutcome.Failed, Error),
        new RunStarted("r1", ImagePipeline, ["pack"], false, At),
        new AttemptStarted("build", 1, At),
        new ProcessLaunched("build", 1, new ProcessLaunch(4242, 4242, 123456, "make")),
        new AttemptCompleted("build", 1, At),
        new AttemptFailed("build", 1, "exit code 2", At, At.AddSeconds(1)),
        new AttemptCancelled("build", 1, At),
        new AttemptInterrupted("build", 1, At),
        new ErrorRecorded(Error),
        new PauseRequested(At),
        new CancelRequested(At),
        new RunResumed("build", ["build", "pack"], ["pack"], At),
        new RunStopped(RunPhase.Paused, At),
    ];

    [Fact]
    public void Samples_should_cover_every_run_message()
    {
        var covered = Samples().Select(s => s.GetType()).ToHashSet();
        var missing = typeof(IRunMessage).Assembly.GetTypes()
            .Where(t => typeof(IRunMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Where(t => !covered.Contains(t))
            .Select(t => t.Name);
        Assert.Empty(missing);
        Assert.Equal(RunSerializer.Manifests.Keys.OrderBy(t => t.Name), covered.OrderBy(t => t.Name));
    }

    [Fact]
    public void Every_run_message_should_round_trip_to_the_same_json_under_its_manifest()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new PauseRun("r1"));
        Assert.IsType<RunSerializer>(serializer);
        foreach (var sample in Samples())
        {
            var manifest = serializer.Manifest(sample);
            var bytes = serializer.ToBinary(sample);
            var back = serializer.FromBinary(bytes, manifest);

            Assert.Equal(sample.GetType(), back.GetType());
            Assert.Equal(System.Text.Encoding.UTF8.GetString(bytes), System.Text.Encoding.UTF8.GetString(serializer.ToBinary(back)));
        }
    }

    [Fact]
    public void Pipeline_should_come_back_whole_from_the_journal_form()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new PauseRun("r1"));
        var started = new RunStarted("r1", ImagePipeline, [], false, At);

        var back = (RunStarted)serializer.FromBinary(serializer.ToBinary(started), serializer.Manifest(started));

        var build = back.Pipeline.Checkpoints[1];
        Assert.Equal(("image.conf", "/srv/pipelines", 4), (back.Pipeline.SourceFile, back.Pipeline.BaseDirectory, back.Pipeline.Parallelism));
        Assert.Equal(ImagePipeline.Checkpoints[1] with { After = build.After }, build);
        Assert.Equal(["prepare"], build.After.ToArray());
        Assert.Equal(["make", "ARCH=x86"], build.Args.GetStrings("command"));
    }

    [Fact]
    public void Unknown_manifest_should_be_refused_with_its_name()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new PauseRun("r1"));

        var refused = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "run.Nope"));

        Assert.Contains("run.Nope", refused.Message);
    }
}
