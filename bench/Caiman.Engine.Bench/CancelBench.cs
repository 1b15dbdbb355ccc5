using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;

namespace Caiman.Engine.Bench;

/// <summary>Figure 4: from the cancel call until no process of the checkpoint's tree is left.</summary>
internal static class CancelBench
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>The tree: a shell that writes its pid (the session's id: it leads its session) and starts two sleeps.</summary>
    private static string Command(string pidFile) => $"echo $$ > '{pidFile}'; sleep 600 & sleep 600";

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    public static async Task Run(BenchContext ctx)
    {
        var reps = ctx.Quick ? 10 : 25;
        var figure = ctx.Figure("cancel", $"Cancel latency, p95 of {reps} (`CancelAsync` call until no process of the tree is left)", "ms", "p95 < 50 ms", v => v < 50, Statistic.P95);
        var median = ctx.Figure("cancel-median", "Cancel latency, median (same samples)", "ms");
        var returned = ctx.Figure("cancel-returned", "`CancelAsync` returned (the cancel request persisted)", "ms");
        var cancelled = ctx.Figure("cancel-run-cancelled", "Run reported Cancelled (`WaitAsync` returned)", "ms");
        var floor = ctx.Figure("cancel-floor", "OS floor: the bench sends SIGTERM to the same tree's group itself, until none is left (median)", "ms");
        var floorP95 = ctx.Figure("cancel-floor-p95", "OS floor, p95 (same samples)", "ms", judgedBy: Statistic.P95);
        var sessions = new List<int>();
        try
        {
            await Measure(ctx, reps, sessions, figure, median, returned, cancelled, floor, floorP95);
        }
        finally
        {
            // Whatever went wrong, no sleep 600 of this bench may outlive it.
            // Only a session that still has processes: its id is then still its leader's group, not a reused pid.
            foreach (var session in sessions.Where(s => Procs.LiveInSession(s).Count > 0)) Procs.KillGroup(session, Procs.SigKill);
        }
        figure.Baseline = $"median {Fmt.N2(median.Median)} ms; OS floor (the bench signals the same tree's group itself) median {Fmt.N2(floor.Median)} ms, p95 {Fmt.N2(floor.Percentile(0.95))} ms";
        figure.How = $"one `process` checkpoint, `command = \"{Command("<file>")}\"` (a /bin/sh in its own session with two sleeps); once `StatusAsync` shows it Running and /proc shows its two sleeps in the shell's session, " +
            "the time from calling `CancelAsync` until neither those pids nor any other live (non-zombie) process of that session is in /proc, checked about every millisecond from a dedicated thread; " +
            $"{reps} runs after 2 unmeasured ones, in one system on one SQLite file; p95 by nearest rank";
        returned.How = "from the same call until its task completed";
        cancelled.How = "from the same call until `WaitAsync` returned the run Cancelled (its attempt ended, reverted and recorded)";
        floor.How = floorP95.How = "`setsid sh -c` with the same command started by the bench; once its sleeps are in /proc, `kill(-session, SIGTERM)` and the same /proc poll: the cost of a signal and of the kernel tearing the tree down, without the engine";
    }

    private static async Task Measure(BenchContext ctx, int reps, List<int> sessions, Figure figure, Figure median, Figure returned, Figure cancelled, Figure floor, Figure floorP95)
    {
        await using var host = EngineHost.Start(Journal.Sqlite);
        var warm = await host.RunAsync("warm", new PipelineDefinition("warm", null, true, null,
            [new CheckpointDefinition("true", "process", CheckpointArgs.FromJson("""{"command":"true"}"""), [])]) { BaseDirectory = EngineHost.TempDir }, TimeSpan.FromMinutes(1));
        if (Pipelines.NotCompleted(warm.Status) is { } warmProblem) { ctx.Problem($"a one-process run (`true`) did not complete: {warmProblem}"); return; }
        for (var rep = -2; rep < reps; rep++)
        {
            var runId = "cancel-" + (rep + 2).ToString(CultureInfo.InvariantCulture);
            var pidFile = EngineHost.NewFile(runId + ".pid");
            var args = CheckpointArgs.FromJson(JsonSerializer.Serialize(new Dictionary<string, string> { ["command"] = Command(pidFile) }));
            var pipeline = new PipelineDefinition(runId, null, true, null, [new CheckpointDefinition("tree", "process", args, [])]) { BaseDirectory = EngineHost.TempDir };
            await host.Engine.StartAsync(runId, pipeline);
            var (session, pids) = await WaitForTree(host, runId, pidFile, sessions);

            var t0 = Stopwatch.GetTimestamp();
            var cancel = host.Engine.CancelAsync(runId);
            var gone = Task.Factory.StartNew(() => Procs.WaitUntilSessionGone(pids, session, Deadline), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var afterCancel = await cancel.ContinueWith(_ => Stopwatch.GetTimestamp(), TaskScheduler.Default);
            var reply = await cancel;
            var goneAt = await gone;
            var final = await host.WaitAsync(runId, Deadline);
            var stoppedAt = Stopwatch.GetTimestamp();
            if (final.Phase != RunPhase.Cancelled)
            {
                ctx.Problem($"cancelling run '{runId}' (its process tree running) ended in phase {final.Phase}, not Cancelled: {EngineHost.Describe(final)}");
                return;
            }
            var floorMs = await OsFloor(runId + "-floor", sessions);
            ctx.Log($"  cancel rep {rep}: tree gone after {Fmt.N2(Ms(t0, goneAt))} ms (CancelAsync returned after {Fmt.N2(Ms(t0, afterCancel))} ms, phase {reply.Phase}; run Cancelled after {Fmt.N2(Ms(t0, stoppedAt))} ms); OS floor {Fmt.N2(floorMs)} ms");
            if (rep < 0) continue;
            figure.Samples.Add(Ms(t0, goneAt));
            median.Samples.Add(Ms(t0, goneAt));
            returned.Samples.Add(Ms(t0, afterCancel));
            cancelled.Samples.Add(Ms(t0, stoppedAt));
            floor.Samples.Add(floorMs);
            floorP95.Samples.Add(floorMs);
        }
    }

    /// <summary>Polls the run's status and /proc until the checkpoint runs and its shell and sleeps exist.</summary>
    private static async Task<(int Session, List<int> Pids)> WaitForTree(EngineHost host, string runId, string pidFile, List<int> sessions)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await host.Engine.StatusAsync(runId);
            if (status.Checkpoints[0].State == CheckpointState.Running && ReadPid(pidFile) is { } session)
            {
                if (!sessions.Contains(session)) sessions.Add(session);
                var live = Procs.LiveInSession(session);
                if (live.Count(p => p.Command == "sleep") >= 2) return (session, [.. live.Select(p => p.Pid)]);
            }
            if (status.IsStopped) throw new InvalidOperationException($"run '{runId}' stopped before its process tree was seen: {EngineHost.Describe(status)}");
            if (clock.Elapsed > Deadline) throw new TimeoutException($"run '{runId}': the process tree did not show up within {Deadline.TotalSeconds:N0} s ({EngineHost.Describe(status)})");
            await Task.Delay(2);
        }
    }

    private static int? ReadPid(string file)
    {
        try
        {
            return int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The same tree started by the bench in a session of its own, and killed by the bench: milliseconds until it is gone.</summary>
    private static async Task<double> OsFloor(string name, List<int> sessions)
    {
        var pidFile = EngineHost.NewFile(name + ".pid");
        using var process = Process.Start(new ProcessStartInfo("setsid") { ArgumentList = { "/bin/sh", "-c", Command(pidFile) }, UseShellExecute = false })
            ?? throw new InvalidOperationException("could not start setsid");
        var clock = Stopwatch.StartNew();
        int session;
        List<int> pids;
        while (true)
        {
            if (ReadPid(pidFile) is { } sid && Procs.LiveInSession(sid) is var live && live.Count(p => p.Command == "sleep") >= 2)
            {
                sessions.Add(sid);
                session = sid;
                pids = [.. live.Select(p => p.Pid)];
                break;
            }
            if (clock.Elapsed > Deadline) throw new TimeoutException("the bench's own process tree did not show up");
            await Task.Delay(2);
        }
        var t0 = Stopwatch.GetTimestamp();
        Procs.KillGroup(session, Procs.SigTerm);
        var goneAt = await Task.Factory.StartNew(() => Procs.WaitUntilSessionGone(pids, session, Deadline), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await process.WaitForExitAsync();
        return Ms(t0, goneAt);
    }
}
