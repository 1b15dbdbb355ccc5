namespace Caiman.Host.Tests.Cli;

public sealed class LogFollowSpec : CliSpec
{
    [Fact]
    public async Task Log_follow_should_print_a_running_runs_lines_as_they_come_and_end_with_the_run()
    {
        var file = Write("steps.conf", """
            pipeline {
              name = steps
              checkpoints = [
                { name = one, type = process, command = "echo step-one; sleep 0.5" }
                { name = two, type = process, command = "echo step-two; sleep 0.5" }
                { name = three, type = process, command = "echo step-three" }
              ]
            }
            """);

        using var run = CaimanProcess.Start(Directory, "run", file, "--run-id", "steps", "--data", Data);
        await run.WaitForOutputAsync("run steps started", Patience); // its log exists from then on
        var followed = await Caiman("log", "steps", "--follow");
        var runExit = await run.WaitAsync(Patience);
        var only = await Caiman("log", "steps", "--checkpoint", "two");

        Assert.Equal(0, runExit);
        AssertExit(0, followed);
        Assert.Contains("checkpoint=one step-one", followed.Stdout);
        Assert.Contains("checkpoint=three step-three", followed.Stdout);
        Assert.Contains("run completed", followed.Stdout);
        AssertExit(0, only);
        Assert.Contains("step-two", only.Stdout);
        Assert.DoesNotContain("step-one", only.Stdout);
    }
}
