using System.Collections.Immutable;
using Caiman.Checkpoints.Processes;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using static Caiman.Checkpoints.Tests.Processes.DocNodes;

namespace Caiman.Checkpoints.Tests.Processes;

/// <summary><c>%{path}</c> references in commands and environment values are filled from the DOC.</summary>
public sealed class ProcessTemplateSpec(ITestOutputHelper output) : ProcessTestBase(output)
{
    private async Task GivenABuildWithDisks()
    {
        await Doc.InsertAsync("/persistent", Node("build", "Build", ("dir", "it's a dir; rm -rf x")));
        await Doc.InsertAsync("/persistent", Node("target").WithChildren(
            Node("disk", "Disk", ("name", "c0t0d0")),
            Node("disk", "Disk", ("name", "c0 t1"))));
    }

    [Fact]
    public async Task Runner_should_fill_a_shell_command_with_each_value_as_one_quoted_word()
    {
        await GivenABuildWithDisks();
        var attempt = NewAttempt();

        var result = await attempt.RunAsync("printf '<%s>\\n' %{/persistent/build.dir} %{/persistent/target/[@Disk].name}");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["<it's a dir; rm -rf x>", "<c0t0d0>", "<c0 t1>"], attempt.Log.At(LogLevel.Information));
        Assert.Equal("printf '<%s>\\n' 'it'\\''s a dir; rm -rf x' 'c0t0d0' 'c0 t1'", attempt.Launch.Command);
    }

    [Fact]
    public async Task Runner_should_fill_argv_words_and_environment_values_as_they_are()
    {
        await GivenABuildWithDisks();
        var attempt = NewAttempt();
        var spec = ProcessSpec.Argv("/bin/sh", "-c", "echo \"$1|$OUT|$DISKS\"", "sh", "%{/persistent/build.dir}") with
        {
            Environment = ImmutableDictionary<string, string>.Empty
                .Add("OUT", "%{/persistent/build.dir}/out")
                .Add("DISKS", "%{/persistent/target/[@Disk].name}"),
        };

        var result = await attempt.RunAsync(spec);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["it's a dir; rm -rf x|it's a dir; rm -rf x/out|c0t0d0,c0 t1"], attempt.Log.At(LogLevel.Information));
    }

    [Fact]
    public async Task Runner_should_fail_naming_the_template_when_a_reference_cannot_be_filled()
    {
        var attempt = NewAttempt();

        var refused = await Assert.ThrowsAsync<ProcessStartException>(() =>
            attempt.RunAsync(ProcessSpec.Argv("echo", "%{/persistent/[@}")));

        Assert.Equal("%{/persistent/[@}", refused.Template);
        Assert.Contains("command[1] '%{/persistent/[@}'", refused.Message);
        Assert.Empty(attempt.Launches.Recorded);
    }

    [Fact]
    public async Task Runner_should_render_the_command_it_would_run_without_running_it()
    {
        await GivenABuildWithDisks();
        var attempt = NewAttempt();

        var line = await attempt.Context.Processes.RenderCommandAsync(ProcessSpec.ShellCommand("mkdir -p %{/persistent/build.dir}"));

        Assert.Equal("mkdir -p 'it'\\''s a dir; rm -rf x'", line);
        Assert.Empty(attempt.Launches.Recorded);
    }
}
