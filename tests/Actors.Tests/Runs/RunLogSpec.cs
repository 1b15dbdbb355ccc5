using Akka.Configuration;
using Caiman.Actors.Protocol;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Caiman.Actors.Tests.Runs;

public sealed class RunLogSpec : EngineSpec, IDisposable
{
    private static readonly string DataDirectory = Path.Combine(Path.GetTempPath(), "caiman-log-spec-" + Guid.NewGuid().ToString("N"));

    public RunLogSpec(ITestOutputHelper output)
        : base(output, ConfigurationFactory.ParseString($"caiman.engine.data-directory = \"{DataDirectory.Replace("\\", "\\\\")}\""))
    {
    }

    [Fact]
    public async Task Run_log_should_name_run_and_checkpoint_on_every_line_and_apply_each_checkpoints_level()
    {
        Scripted.On("chatty", (context, _) =>
        {
            context.Logger.LogDebug("debug detail from chatty");
            context.Logger.LogInformation("copying files");
            return Task.CompletedTask;
        });
        Scripted.On("quiet", (context, _) =>
        {
            context.Logger.LogInformation("info that the level hides");
            context.Logger.LogWarning("a warning that shows");
            return Task.CompletedTask;
        });
        var pipeline = Pipeline(
            Step("chatty") with { LogLevel = LogLevel.Debug },
            Step("quiet", "chatty") with { LogLevel = LogLevel.Warning });

        var status = await RunToEnd("logged", pipeline);
        var lines = await File.ReadAllLinesAsync(Path.Combine(DataDirectory, "runs", "logged", "run.log"));

        Assert.Equal(RunPhase.Completed, status.Phase);
        Assert.All(lines, l => Assert.Contains("run=logged checkpoint=", l));
        Assert.Contains(lines, l => l.Contains("checkpoint=chatty debug detail from chatty"));
        Assert.Contains(lines, l => l.Contains("checkpoint=chatty copying files"));
        Assert.Contains(lines, l => l.Contains("checkpoint=quiet a warning that shows"));
        Assert.DoesNotContain(lines, l => l.Contains("info that the level hides"));
        Assert.Contains(lines, l => l.Contains("checkpoint=- ") && l.Contains("'quiet' attempt 1 completed"));
    }

    void IDisposable.Dispose()
    {
        Shutdown();
        if (Directory.Exists(DataDirectory)) Directory.Delete(DataDirectory, recursive: true);
    }
}
