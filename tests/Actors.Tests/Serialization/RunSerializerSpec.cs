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

    /// <summary>An actor with a fixed path, so that refs in the golden files do not depend on the order tests ran in.</summary>
    private IActorRef Named => ((ExtendedActorSystem)Sys).Provider.ResolveActorRef("akka://test/user/golden");

    private AttemptSpec Spec => new("r1", ImagePipeline.Checkpoints[1], 2, new Caiman.Doc.Model.Writer("r1", "build", 2), false, "/srv/pipelines",
        Named, Named, Named, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30), CheckpointIsolation.Process);

    private object[] Samples() =>
    [
        new StartRun("r1", ImagePipeline, ["build"], true),
        new PauseRun("r1"),
        new ResumeRun("r1", "build", ["pack"]),
        new CancelRun("r1"),
        new GetRunStatus("r1"),
        new GetErrors("r1", "build", CheckpointErrorKind.Error),
        new GetDoc("r1"),
        new SubscribeProgress("r1", Named),
        new UnsubscribeProgress("r1", Named),
        new SuspendRun("r1", TimeSpan.FromSeconds(20)),
        ListRuns.Instance,
        new RunList(["r1", "r2"]),
        new RunRegistered("r1", At),
        RunReply.Refused(new RunError.NotResumable("r1", "pack", ["build"])),
        RunReply.Of(new RunStatus("r1", RunPhase.Running, "image", 42.5, TimeSpan.FromSeconds(3), false, ["pack"],
            [new CheckpointStatus("build", CheckpointState.Running, 2, true, 50, "copying", At, TimeSpan.FromSeconds(1), "cross build", ["prepare"])], At, null)),
        new RunStatus("r1", RunPhase.Completed, "image", 100, TimeSpan.Zero, false, [], [], At, At),
        new ErrorsResult("r1", [Error], null),
        new DocAddress("r1", Named, new RunError.UnknownRun("r1")),
        RunReply.Refused(new RunError.InvalidPipeline("r1", ["crash.conf:3: checkpoint 'b': 'after' names unknown checkpoint 'c'"])),
        RunReply.Refused(new RunError.InvalidRunId("../x", "character '/' at position 3 is not allowed")),
        RunReply.Refused(new RunError.RunDamaged("r1", "journal read failed")),
        new ForgetRun("r1"),
        new RunForgotten("r1", At),
        Spec,
        new StartAttempt(Spec, Named),
        new AttemptAccepted("build", 2, Named, Named, "akka.ssl.tcp://caiman@127.0.0.1:4000"),
        new AttemptRefused("build", 2, "no worker"),
        new AbandonAttempt("r1", "build", 2),
        new AttemptAbandoned("build", 2),
        new AttemptLost("build", 2, "worker exited: signal 9"),
        new AppendLog("build", 2, LogLevel.Warning, "disk almost full", At),
        new WorkerReady(3, Named, 4242),
        new AttemptEnded("r1", "build", 2, true),
        StopWorker.Instance,
        new RunProgress("r1", RunPhase.Running, 12, null, "build", CheckpointState.Running, 40, "copying"),
        new AttemptProgressed("build", 1, 40, "copying"),
        new AttemptErrorReported(Error),
        new RecordProcessLaunch("build", 1, new ProcessLaunch(4242, 4242, 123456, "make ARCH=x86") { BootId = "b0", Node = "akka://caiman", Machine = "m0" }),
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

    /// <summary>
    /// Golden files: a checked-in copy of every message under its manifest, read back and written
    /// again, so that a rename cannot silently break old journals or a worker of another version.
    /// Set CAIMAN_UPDATE_GOLDEN=1 to rewrite them after a deliberate change (and say why in the commit).
    /// </summary>
    [Fact]
    public void Every_run_message_should_match_its_golden_file_both_ways()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new PauseRun("r1"));
        var directory = Path.Combine(GoldenRoot(), "golden");
        var update = Environment.GetEnvironmentVariable("CAIMAN_UPDATE_GOLDEN") == "1";
        foreach (var sample in Samples().DistinctBy(s => s.GetType()))
        {
            var manifest = serializer.Manifest(sample);
            var file = Path.Combine(directory, manifest + ".json");
            var json = System.Text.Encoding.UTF8.GetString(serializer.ToBinary(sample));
            if (update)
            {
                Directory.CreateDirectory(directory);
                File.WriteAllText(file, json + "\n");
            }
            Assert.True(File.Exists(file), $"no golden file for {manifest}: run with CAIMAN_UPDATE_GOLDEN=1 and commit {file}");
            var golden = File.ReadAllText(file).TrimEnd('\n');
            Assert.Equal(golden, json);
            var back = serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(golden), manifest);
            Assert.Equal(golden, System.Text.Encoding.UTF8.GetString(serializer.ToBinary(back)));
        }
        var files = Directory.GetFiles(directory, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).ToHashSet();
        Assert.Equal(RunSerializer.Manifests.Values.Order(), files.Order());
    }

    /// <summary>The source directory of this spec (golden files live beside it, not in the build output).</summary>
    private static string GoldenRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

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
