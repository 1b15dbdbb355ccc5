using Akka.Actor;
using Akka.Configuration;
using Caiman.Actors;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Persistence;

namespace Caiman.Host.Tests;

/// <summary>
/// SIGKILL of `caiman run` in the middle of a checkpoint whose process would run for ten
/// minutes. First line of defence: the process's lifeline kills its session as soon as the
/// engine is gone, with no caiman command run afterwards. Second line: with the lifeline cut by
/// hand, the process is orphaned (re-parented, still running), and `caiman resume` must kill it
/// before the retry starts. Either way resume reverts what the interrupted attempt wrote, keeps
/// what the completed checkpoints did, and finishes the run without running them again.
/// </summary>
public sealed class CrashRecoverySpec : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>How soon after the engine's death its processes must be gone (the lifeline's promise).</summary>
    public static readonly TimeSpan LifelineBound = TimeSpan.FromSeconds(1);

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
    public async Task Sigkill_of_caiman_run_should_leave_no_process_behind_and_resume_should_finish_without_rerunning_completed_steps()
    {
        File.WriteAllText(Path.Combine(_directory, "crash.conf"), Pipeline);
        var data = Path.Combine(_directory, "data");
        int orphan;
        IReadOnlyList<int> session;
        using (var run = CaimanProcess.Start(_directory, "run", "crash.conf", "--run-id", "crash", "--data", data))
        {
            orphan = await HangingCheckpoint.PidAsync(_directory, Patience);
            session = Os.LiveInSession(orphan);
            run.KillHard();
            await run.WaitAsync(Patience);
        }
        // Nothing is run in between: the lifeline alone must end the session.
        foreach (var pid in session) await Os.ExitedAsync(pid, LifelineBound);
        var leftBehind = Os.LiveInSession(orphan);

        var (code, stdout, stderr) = await CaimanProcess.RunAsync(_directory, Patience, "resume", "crash", "--data", data);

        Assert.True(session.Count >= 2, $"the hanging process and its lifeline watcher share a session: {string.Join(", ", session)}");
        Assert.Empty(leftBehind);
        await AssertResumed(data, code, stdout, stderr);
    }

    [Fact]
    public async Task Resume_after_a_sigkill_with_the_lifeline_cut_should_kill_the_orphan_revert_the_attempt_and_finish()
    {
        File.WriteAllText(Path.Combine(_directory, "crash.conf"), Pipeline);
        var data = Path.Combine(_directory, "data");
        int orphan;
        using (var run = CaimanProcess.Start(_directory, "run", "crash.conf", "--run-id", "crash", "--data", data))
        {
            orphan = await HangingCheckpoint.PidAsync(_directory, Patience);
            await HangingCheckpoint.CutLifelineAsync(orphan, Patience);
            run.KillHard();
            await run.WaitAsync(Patience);
        }
        var orphanOutlivedTheCrash = Os.IsAlive(orphan);

        var (code, stdout, stderr) = await CaimanProcess.RunAsync(_directory, Patience, "resume", "crash", "--data", data);

        Assert.True(orphanOutlivedTheCrash, "with its lifeline cut, a SIGKILLed parent leaves its process running: without that this test proves nothing");
        Assert.False(Os.IsAlive(orphan));
        await AssertResumed(data, code, stdout, stderr);
    }

    [Fact]
    public async Task Sigkill_with_isolated_and_in_process_attempts_should_leave_no_worker_and_no_process_behind()
    {
        // Given a run with an in-process attempt's process and an isolated attempt (its worker, and a process the worker started) all running
        var pipeline = $$"""
            pipeline {
              name = crash
              checkpoints = [
                { name = seed, type = doc, insert = [ { parent = "/persistent", name = marks, kind = Marks } ] }
                { name = first, type = process, command = "echo ran >> first.count" }
                {{HangingCheckpoint.Entry()}}
                { name = iso, type = dotnet, after = [first], isolation = process, assembly = "{{typeof(Workers.Crasher).Assembly.Location}}", class = "{{typeof(Workers.Crasher).FullName}}", mode = wait-with-process }
              ]
            }
            """;
        File.WriteAllText(Path.Combine(_directory, "crash.conf"), pipeline);
        var data = Path.Combine(_directory, "data");
        IReadOnlyList<int> everything;
        using (var run = CaimanProcess.Start(_directory, "run", "crash.conf", "--run-id", "crash-isolated", "--data", data))
        {
            var orphan = await HangingCheckpoint.PidAsync(_directory, Patience);
            await Os.FileAppearsAsync(Path.Combine(_directory, "iso.pid"), Patience);
            var worker = int.Parse(File.ReadAllText(Path.Combine(_directory, "iso.pid")), System.Globalization.CultureInfo.InvariantCulture);
            await Os.FileAppearsAsync(Path.Combine(_directory, "iso-child.pid"), Patience);
            var child = int.Parse(File.ReadAllText(Path.Combine(_directory, "iso-child.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            everything = [.. Os.LiveInSession(orphan), .. Os.LiveInSession(worker), .. Os.LiveInSession(child), .. Os.WithEnvironment("CAIMAN_RUN_ID", "crash-isolated")];

            // When the engine is killed outright
            run.KillHard();
            await run.WaitAsync(Patience);
        }

        // Then, with no caiman command run, the lifelines end the worker and every process within the bound
        foreach (var pid in everything.Distinct()) await Os.ExitedAsync(pid, LifelineBound);
        Assert.Empty(Os.WithEnvironment("CAIMAN_RUN_ID", "crash-isolated"));
        Assert.True(everything.Distinct().Count() >= 6, $"the hang, the worker, the worker's process and their three watchers: {string.Join(", ", everything.Distinct())}");
        var (code, stdout, stderr) = await CaimanProcess.RunAsync(_directory, Patience, "resume", "crash-isolated", "--data", data);
        Assert.True(code is 0 or 1, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Single(File.ReadAllLines(Path.Combine(_directory, "first.count")));
        Assert.Matches(@"first\s+completed\s+1\s", stdout);
    }

    private async Task AssertResumed(string data, int code, string stdout, string stderr)
    {
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Equal("dead", File.ReadAllText(Path.Combine(_directory, "orphan.state")).Trim());
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
