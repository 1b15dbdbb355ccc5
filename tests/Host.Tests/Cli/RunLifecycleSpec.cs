using System.Diagnostics;

namespace Caiman.Host.Tests.Cli;

/// <summary>A user's run from start to end: pause before, resume, resume from, Ctrl-C, and the inspection verbs.</summary>
public sealed class RunLifecycleSpec : CliSpec
{
    private string Pipeline() => Write("image.conf", """
        pipeline {
          name = image
          checkpoints = [
            { name = seed, type = doc, insert = [ { parent = "/persistent", name = image, kind = Image, properties { name = demo } } ] }
            { name = x86, type = process, command = "echo \"::caiman doc set /persistent/image x86=$CAIMAN_ATTEMPT\"", description = "x86 boot archive" }
            { name = arm, type = process, after = [seed], command = "echo '::caiman doc set /persistent/image arm=done'" }
            { name = pack, type = process, after = [x86, arm], command = "echo packing %{/persistent/image.name} > packed.txt" }
          ]
        }
        """);

    [Fact]
    public async Task Pause_before_then_resume_then_resume_from_should_run_each_checkpoint_as_often_as_asked()
    {
        var file = Pipeline();

        var paused = await Caiman("run", file, "--run-id", "img", "--pause-before", "pack");
        var resumed = await Caiman("resume", "img");
        var again = await Caiman("resume", "img", "--from", "x86");
        var list = await Caiman("list", "img");
        var blame = await Caiman("doc", "img", "blame", "/persistent/image");
        var log = await Caiman("log", "img", "--checkpoint", "pack");

        AssertExit(3, paused);
        Assert.Equal(("pending", 0), Table(paused.Stdout)["pack"]);
        AssertExit(0, resumed);
        AssertExit(0, again);
        Assert.Equal([1, 2, 1, 2], new[] { "seed", "x86", "arm", "pack" }.Select(n => Table(list.Stdout)[n].Attempts));
        Assert.Contains("x86 boot archive", list.Stdout);
        Assert.Contains(".x86  x86 attempt 2", blame.Stdout);
        Assert.Contains(".arm  arm attempt 1", blame.Stdout);
        Assert.Equal("packing demo", File.ReadAllText(Path.Combine(Directory, "packed.txt")).Trim());
        Assert.All(log.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Contains("checkpoint=pack ", l));
    }

    [Fact]
    public async Task Ctrl_c_should_cancel_a_run_whose_process_would_run_for_minutes_and_the_run_should_resume_later()
    {
        var file = Write("long.conf", """
            pipeline {
              name = long
              checkpoints = [
                { name = quick, type = process, command = "true" }
                { name = forever, type = process, command = "echo '::caiman doc insert /persistent partial'; echo $$ > forever.tmp; mv forever.tmp forever.pid; if [ \"$CAIMAN_ATTEMPT\" = 1 ]; then sleep 600; fi" }
              ]
            }
            """);
        var pidFile = Path.Combine(Directory, "forever.pid");

        using var run = CaimanProcess.Start(Directory, "run", file, "--run-id", "long", "--data", Data);
        await Os.FileAppearsAsync(pidFile, Patience);
        var sleeper = int.Parse(File.ReadAllText(pidFile).Trim());
        var watch = Stopwatch.StartNew();
        Process.Start("kill", ["-INT", run.Pid.ToString()])!.WaitForExit();
        var code = await run.WaitAsync(Patience);
        watch.Stop();
        var partial = await Caiman("doc", "long", "get", "/persistent/partial");
        var resumed = await Caiman("resume", "long");

        Assert.True(code == 4, $"exit {code}\n{run.Stdout}\n{run.Stderr}");
        Assert.False(Os.IsAlive(sleeper), "the checkpoint's process survived the cancel");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"cancel took {watch.Elapsed}");
        Assert.Equal("[]", partial.Stdout.Trim());
        AssertExit(0, resumed);
        Assert.Equal(("completed", 2), Table(resumed.Stdout)["forever"]);
    }

    [Fact]
    public async Task Json_output_should_list_runs_checkpoints_and_errors_for_scripts()
    {
        var file = Write("fails.conf", """
            pipeline {
              name = fails
              checkpoints = [
                { name = broken, type = process, command = "echo oops >&2; exit 3" }
              ]
            }
            """);

        var failed = await Caiman("run", file, "--run-id", "f");
        var errors = await Caiman("errors", "f", "--json");
        var status = await Caiman("status", "f", "--json");

        AssertExit(1, failed);
        Assert.Contains("broken (attempt 1): ", failed.Stderr);
        Assert.Contains("exited with code 3", failed.Stderr);
        using var errorsJson = System.Text.Json.JsonDocument.Parse(errors.Stdout);
        Assert.Equal("broken", errorsJson.RootElement[0].GetProperty("checkpoint").GetString());
        using var statusJson = System.Text.Json.JsonDocument.Parse(status.Stdout);
        Assert.Equal("failed", statusJson.RootElement.GetProperty("phase").GetString());
    }
}
