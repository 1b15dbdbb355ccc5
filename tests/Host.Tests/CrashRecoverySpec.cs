using Akka.Actor;
using Akka.Configuration;
using Caiman.Actors;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Persistence;

namespace Caiman.Host.Tests;

/// <summary>
/// SIGKILL of `caiman run` in the middle of a checkpoint whose process would run for ten
/// minutes: the process is orphaned (re-parented, still running), and `caiman resume` must kill
/// it before the retry starts, revert what the interrupted attempt wrote, keep what the
/// completed checkpoints did, and finish the run without running them again.
/// </summary>
public sealed class CrashRecoverySpec : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly string _directory = Directory.CreateTempSubdirectory("caiman-crash-").FullName;

    private static readonly string Pipeline = $$"""
        pipeline {
          name = crash
          checkpoints = [
            { name = seed, type = doc, insert = [ { parent = "/persistent", name = marks, kind = Marks } ] }
            { name = first, type = process, command = "echo ran >> first.count; echo '::caiman doc set /persistent/marks first=done'" }
            {{HangingCheckpoint.Entry("echo \\\"::caiman doc set /persistent/marks hang=attempt-$CAIMAN_ATTEMPT\\\"")}}
            { name = last, type = process, command = "echo '::caiman doc set /persistent/marks last=done'" }
          ]
        }
        """;

    [Fact]
    public async Task Resume_after_a_sigkill_should_kill_the_orphan_revert_the_attempt_and_finish_without_rerunning_completed_steps()
    {
        File.WriteAllText(Path.Combine(_directory, "crash.conf"), Pipeline);
        var data = Path.Combine(_directory, "data");
        int orphan;
        using (var run = CaimanProcess.Start(_directory, "run", "crash.conf", "--run-id", "crash", "--data", data))
        {
            orphan = await HangingCheckpoint.PidAsync(_directory, Patience);
            run.KillHard();
            await run.WaitAsync(Patience);
        }
        var orphanOutlivedTheCrash = Os.IsAlive(orphan);

        var (code, stdout, stderr) = await CaimanProcess.RunAsync(_directory, Patience, "resume", "crash", "--data", data);

        Assert.True(orphanOutlivedTheCrash, "a SIGKILLed parent leaves its process running: without that this test proves nothing");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Equal("dead", File.ReadAllText(Path.Combine(_directory, "orphan.state")).Trim());
        Assert.False(Os.IsAlive(orphan));
        Assert.Single(File.ReadAllLines(Path.Combine(_directory, "first.count")));
        Assert.Matches(@"hang\s+completed\s+2\s", stdout);
        Assert.Matches(@"first\s+completed\s+1\s", stdout);
        var marks = await ReadDoc(data, doc => doc.GetAsync("/persistent/marks"));
        Assert.Equal(["done", "attempt-2", "done"], new[] { "first", "hang", "last" }.Select(k => marks[k]?.ToText()));
        var interruptedWrites = await ReadDoc(data, doc => doc.FindWritesAsync(new Writer("crash", "hang", 1)));
        Assert.Empty(interruptedWrites);
    }

    /// <summary>Opens the run's DOC in this process, on the same journal, once caiman has exited.</summary>
    private static async Task<T> ReadDoc<T>(string data, Func<DocClient, Task<T>> read)
    {
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(SqlitePersistence.Config(Path.Combine(data, "caiman.db")))
            .WithFallback(EngineConfig.Default());
        using var system = ActorSystem.Create("inspect", config);
        try
        {
            return await read(await CaimanEngine.Start(system).DocAsync("crash"));
        }
        finally
        {
            await system.Terminate();
        }
    }

    public void Dispose()
    {
        HangingCheckpoint.Kill(_directory);
        Directory.Delete(_directory, recursive: true);
    }
}
