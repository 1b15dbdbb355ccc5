namespace Caiman.Host.Tests.Cli;

/// <summary>Bad input: one clear message naming what and where, exit 2, and nothing written.</summary>
public sealed class BadInputSpec : CliSpec
{
    [Fact]
    public async Task Validate_should_report_every_problem_with_file_and_line_and_write_nothing()
    {
        var file = Write("broken.conf", """
            pipeline {
              name = broken
              checkpoints = [
                { name = a, type = process, command = "true", after = [c] }
                { name = b, type = rocket, command = "true" }
                { name = c, type = process, command = "true", after = [a] }
                { name = "bad name", type = process, command = "true" }
                { name = d, type = process, after = [nowhere] }
              ]
            }
            """);

        var result = await Caiman("validate", file);
        var run = await Caiman("run", file);

        AssertExit(2, result);
        Assert.Contains("broken.conf:5: checkpoint 'b': unknown type 'rocket'", result.Stderr);
        Assert.Contains("broken.conf:4: checkpoint 'a': dependency cycle: a -> c -> a", result.Stderr);
        Assert.Contains("broken.conf:7: checkpoint 'bad name': invalid name", result.Stderr);
        Assert.Contains("'nowhere'", result.Stderr);
        Assert.Contains("broken.conf:8: checkpoint 'd'", result.Stderr);
        AssertExit(2, run);
        Assert.False(System.IO.Directory.Exists(Data), "a refused run must not create the data directory");
    }

    [Fact]
    public async Task Malformed_hocon_and_missing_files_should_be_refused_with_where()
    {
        var malformed = Write("malformed.conf", "pipeline {\n  name = x\n  checkpoints = [\n    { name = a, type = process, command = \"true\" \n  ]\n}\n");

        var bad = await Caiman("validate", malformed);
        var missing = await Caiman("run", Path.Combine(Directory, "missing.conf"));

        AssertExit(2, bad);
        Assert.Matches(@"malformed\.conf:\d+", bad.Stderr);
        AssertExit(2, missing);
        Assert.Contains("missing.conf", missing.Stderr);
        Assert.DoesNotContain("   at ", bad.Stderr + missing.Stderr); // never a stack trace
    }

    [Fact]
    public async Task Unknown_runs_and_checkpoints_should_be_refused_without_writing()
    {
        var file = Write("ok.conf", """
            pipeline {
              name = ok
              checkpoints = [
                { name = only, type = process, command = "true" }
              ]
            }
            """);
        var noData = await Caiman("status", "nope");
        AssertExit(0, await Caiman("run", file, "--run-id", "ok"));

        var unknownRun = await Caiman("list", "nope");
        var unknownFrom = await Caiman("resume", "ok", "--from", "nowhere");
        var unknownPause = await Caiman("run", file, "--pause-before", "nowhere");
        var runs = await Caiman("status");

        AssertExit(2, noData);
        Assert.Contains("no runs in data directory", noData.Stderr);
        AssertExit(2, unknownRun);
        Assert.Contains("no run 'nope'", unknownRun.Stderr);
        AssertExit(2, unknownFrom);
        Assert.Contains("no checkpoint 'nowhere'", unknownFrom.Stderr);
        AssertExit(2, unknownPause);
        Assert.Contains("no checkpoint 'nowhere'", unknownPause.Stderr);
        Assert.Single(runs.Stdout.Split('\n'), l => l.StartsWith("ok ", StringComparison.Ordinal));
        Assert.DoesNotContain("nope", runs.Stdout);
    }
}
