using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using Caiman.Actors;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Persistence;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;

namespace Caiman.Host;

/// <summary>Runs and resumes pipelines in this process, following them to their end with plain lines.</summary>
internal static class Runner
{
    public static async Task<int> RunAsync(string data, string pipelineFile, string? runId, string[] pauseBefore, bool dryRun, CancellationToken token)
    {
        var types = CheckpointTypes.BuiltIn();
        var loaded = PipelineLoader.Load(pipelineFile, types);
        if (!loaded.IsValid)
        {
            foreach (var problem in loaded.Problems) Console.Error.WriteLine(problem);
            return ExitCodes.BadInput;
        }
        var pipeline = loaded.Pipeline!;
        runId ??= $"{pipeline.Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        return await WithEngine(data, types, async engine =>
        {
            await engine.StartAsync(runId, pipeline, pauseBefore, dryRun);
            Line($"run {runId} started: pipeline '{pipeline.Name}', {pipeline.Checkpoints.Length} checkpoints, data in {data}");
            return await Follow(engine, runId, token);
        });
    }

    public static Task<int> ResumeAsync(string data, string runId, string? from, string[] pauseBefore, CancellationToken token) =>
        WithEngine(data, CheckpointTypes.BuiltIn(), async engine =>
        {
            await engine.ResumeAsync(runId, from, pauseBefore);
            Line($"run {runId} resumed{(from is null ? "" : $" from '{from}'")}");
            return await Follow(engine, runId, token);
        });

    private static async Task<int> WithEngine(string data, CheckpointTypes types, Func<CaimanEngine, Task<int>> work)
    {
        try
        {
            Directory.CreateDirectory(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"caiman: cannot use data directory '{data}': {e.Message}");
            return ExitCodes.BadInput;
        }
        var config = ConfigurationFactory.ParseString($"""
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                caiman.engine.data-directory = "{Path.GetFullPath(data).Replace("\\", "\\\\").Replace("\"", "\\\"")}"
                """)
            .WithFallback(SqlitePersistence.Config(Path.Combine(data, "caiman.db")))
            .WithFallback(EngineConfig.Default());
        // Akka's own log events go through Microsoft.Extensions.Logging too (Akka.Hosting's bridge):
        // warnings on stderr; checkpoint output stays in each run's log file.
        using var loggers = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Caiman.Checkpoint", LogLevel.None));
        var setup = BootstrapSetup.Create()
            .WithConfig(ConfigurationFactory.ParseString("akka.loggers = [\"Akka.Hosting.Logging.LoggerFactoryLogger, Akka.Hosting\"]").WithFallback(config))
            .And(new LoggerFactorySetup(loggers));
        var system = ActorSystem.Create("caiman", setup);
        try
        {
            return await work(CaimanEngine.Start(system, types, loggers));
        }
        catch (RunException refused)
        {
            Console.Error.WriteLine($"caiman: {refused.Error.Message}");
            return ExitCodes.BadInput;
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>Prints each checkpoint's changes until the run stops; Ctrl-C or SIGTERM cancels it.</summary>
    private static async Task<int> Follow(CaimanEngine engine, string runId, CancellationToken token)
    {
        var cancel = 0;
        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Exchange(ref cancel, 1) == 0)
            {
                Line("cancelling (the run can be resumed later)");
                _ = engine.CancelAsync(runId);
            }
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        var last = new Dictionary<string, CheckpointState>();
        var status = await engine.WaitAsync(runId, progress =>
        {
            if (progress.Checkpoint is not { } name || progress.State is not { } state) return;
            lock (last)
            {
                if (last.TryGetValue(name, out var was) && was == state) return;
                last[name] = state;
            }
            Line($"{progress.Percent,5:0.0}%  {name}: {state.ToString().ToLowerInvariant()}");
        }, token);
        foreach (var checkpoint in status.Checkpoints)
            Line($"  {checkpoint.Name,-24} {checkpoint.State.ToString().ToLowerInvariant(),-10} attempts {checkpoint.Attempts}{(checkpoint.Duration is { } d ? $"  {d.TotalSeconds:0.00}s" : "")}");
        Line($"run {runId} {status.Phase.ToString().ToLowerInvariant()}");
        if (status.Phase == RunPhase.Failed)
            foreach (var error in await engine.ErrorsAsync(runId, kind: CheckpointErrorKind.Error))
                Console.Error.WriteLine($"caiman: {error.Checkpoint} (attempt {error.Attempt}): {error.Message}");
        return status.Phase switch
        {
            RunPhase.Completed => ExitCodes.Completed,
            RunPhase.Paused => ExitCodes.Paused,
            RunPhase.Cancelled => ExitCodes.Cancelled,
            _ => ExitCodes.Failed,
        };
    }

    private static void Line(string text) => Console.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {text}");
}
