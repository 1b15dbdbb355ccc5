using Akka.Configuration;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Xunit.Abstractions;

namespace Caiman.Actors.Tests.Runs;

public sealed class RaceSpec(ITestOutputHelper output) : EngineSpec(output)
{
    /// <summary>x86 and arm both set /persistent/image.arch: neither depends on the other.</summary>
    private Caiman.Checkpoints.Pipelines.PipelineDefinition RacingPipeline()
    {
        Scripted.On("prepare", (context, _) => context.Doc.InsertAsync("/persistent", new NewNode("image", "Image", PropertyMap.Empty, [])));
        foreach (var arch in new[] { "x86", "arm" })
            Scripted.On(arch, (context, _) => context.Doc.SetAsync("/persistent/image", "arch", context.Checkpoint));
        Scripted.On("pack", (context, _) => context.Doc.SetAsync("/persistent/image", "packed", true));
        return Pipeline(false, 1, Step("prepare"), Step("x86", "prepare"), Step("arm", "prepare"), Step("pack", "x86", "arm"));
    }

    [Fact]
    public async Task Unrelated_checkpoints_writing_the_same_node_should_be_reported_with_both_names_and_the_path()
    {
        var status = await RunToEnd("race", RacingPipeline());
        var race = await RaceIn("race");

        Assert.Equal(RunPhase.Completed, status.Phase);
        Assert.Equal(CheckpointErrorKind.Warning, race.Kind);
        Assert.Equal("/persistent/image", race.Data["path"]);
        Assert.Equal(new[] { "arm", "x86" }, new[] { race.Checkpoint, race.Data["other-checkpoint"] }.Order());
        Assert.Contains("/persistent/image", race.Message);
        // pack also wrote the node, but after both: ordered writes are not races.
        Assert.DoesNotContain(await Engine.ErrorsAsync("race"), e => e.Checkpoint == "pack" || e.Data.GetValueOrDefault("other-checkpoint") == "pack");
    }

    // A run stops only once its race checks are in, so a stopped run's errors are whole.
    private async Task<CheckpointError> RaceIn(string runId) =>
        Assert.Single(await Engine.ErrorsAsync(runId), e => e.Data.ContainsKey("race"));
}

public sealed class RaceAsErrorSpec(ITestOutputHelper output)
    : EngineSpec(output, ConfigurationFactory.ParseString("caiman.engine.race-detection = error"))
{
    [Fact]
    public async Task A_race_should_fail_the_run_when_races_are_errors()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Scripted.On("prepare", (context, _) => context.Doc.InsertAsync("/persistent", new NewNode("image", "Image", PropertyMap.Empty, [])));
        foreach (var arch in new[] { "x86", "arm" })
            Scripted.On(arch, (context, _) => context.Doc.SetAsync("/persistent/image", "arch", context.Checkpoint));
        // Holds the run open until the race is found, so that it is the race that stops it.
        Scripted.On("slow", async (_, token) => await release.Task.WaitAsync(token));
        var pipeline = Pipeline(false, 3, Step("prepare"), Step("x86", "prepare"), Step("arm", "prepare"), Step("slow", "prepare"), Step("pack", "x86", "arm"));

        await Engine.StartAsync("race-error", pipeline);
        await AwaitAssertAsync(async () => Assert.Contains(await Engine.ErrorsAsync("race-error", kind: CheckpointErrorKind.Error), e => e.Data.ContainsKey("race")), Patience);
        release.SetResult();
        var status = await WaitForStop("race-error");

        Assert.Equal(RunPhase.Failed, status.Phase);
        Assert.Equal(CheckpointState.Pending, StateOf(status, "pack"));
    }
}
