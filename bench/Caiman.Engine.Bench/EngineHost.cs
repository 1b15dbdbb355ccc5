using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Caiman.Actors;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Persistence;

namespace Caiman.Engine.Bench;

/// <summary>Where the journal of a measured engine lives.</summary>
internal enum Journal
{
    Sqlite,
    InMemory,
}

/// <summary>An ActorSystem with the engine started in it, on a fresh journal; disposing terminates it.</summary>
internal sealed class EngineHost : IAsyncDisposable
{
    private static int _count;

    private static readonly Config Quiet = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = 0
        akka.log-dead-letters-during-shutdown = off
        """);

    private static readonly Config InMemoryJournal = ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """);

    private EngineHost(ActorSystem system, CaimanEngine engine, string? dbFile)
    {
        System = system;
        Engine = engine;
        DbFile = dbFile;
    }

    public ActorSystem System { get; }
    public CaimanEngine Engine { get; }

    /// <summary>The SQLite file of the journal; null for the in-memory journal.</summary>
    public string? DbFile { get; }

    /// <summary>The run's SQLite files and process working files; deleted when the run ends.</summary>
    public static ScratchDirectory Scratch { get; } = new("caiman-engine-bench");

    public static string TempDir => Scratch.Path;

    /// <summary>The bench's types: the built-in ones (process among them) and the bench's own.</summary>
    public static CheckpointTypes Types() => CheckpointTypes.BuiltIn().Add(new NoOpCheckpointType()).Add(new DocWriteCheckpointType());

    /// <summary>A new system and engine; with SQLite, on a new file of its own.</summary>
    public static EngineHost Start(Journal journal, string? extraConfig = null)
    {
        Settle();
        var n = Interlocked.Increment(ref _count);
        var config = Quiet;
        if (extraConfig is not null) config = ConfigurationFactory.ParseString(extraConfig).WithFallback(config);
        string? file = null;
        if (journal == Journal.Sqlite)
        {
            file = NewFile($"engine-{n}.db");
            config = config.WithFallback(SqlitePersistence.Config(file));
        }
        else
        {
            config = config.WithFallback(InMemoryJournal);
        }
        var system = ActorSystem.Create($"bench-{n}", config.WithFallback(EngineConfig.Default()));
        return new EngineHost(system, CaimanEngine.Start(system, Types()), file);
    }

    /// <summary>
    /// A full collection, finalizers included, outside any timing: the systems of earlier
    /// repetitions (and the dynamic methods their journals compiled) are cleaned up now rather
    /// than by the finalizer thread in the middle of the next measurement.
    /// </summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public static string NewFile(string name) => Scratch.NewFile(name);

    /// <summary>Starts the run and waits until it stops; returns the final status and the wall time from the start call.</summary>
    public async Task<(RunStatus Status, TimeSpan Elapsed)> RunAsync(string runId, PipelineDefinition pipeline, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        await Engine.StartAsync(runId, pipeline).ConfigureAwait(false);
        var status = await WaitAsync(runId, timeout).ConfigureAwait(false);
        return (status, clock.Elapsed);
    }

    /// <summary>Waits until the run stops, or throws a <see cref="TimeoutException"/> that says where it stood.</summary>
    public async Task<RunStatus> WaitAsync(string runId, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            return await Engine.WaitAsync(runId, cancellationToken: cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            var status = await Engine.StatusAsync(runId).ConfigureAwait(false);
            throw new TimeoutException($"run '{runId}' did not stop within {timeout.TotalSeconds:N0} s: {Describe(status)}");
        }
    }

    /// <summary>Phase and checkpoint counts by state, for messages.</summary>
    public static string Describe(RunStatus status) =>
        $"phase {status.Phase}, checkpoints " + string.Join(", ", status.Checkpoints.GroupBy(c => c.State).Select(g => $"{g.Count()} {g.Key}"));

    public async ValueTask DisposeAsync() => await System.Terminate().ConfigureAwait(false);
}

/// <summary>Pipelines built in code.</summary>
internal static class Pipelines
{
    public static string Name(string prefix, int i) => prefix + i.ToString("D4", CultureInfo.InvariantCulture);

    public static CheckpointDefinition Checkpoint(string name, string type, string argsJson, params string[] after) =>
        new(name, type, CheckpointArgs.FromJson(argsJson), [.. after]);

    /// <summary>n checkpoints of the type, each after the one before.</summary>
    public static PipelineDefinition Chain(string name, int n, string type, Func<int, string>? args = null) =>
        new(name, null, StopOnError: true, Parallelism: null,
            [.. Enumerable.Range(0, n).Select(i => Checkpoint(Name("c", i), type, args?.Invoke(i) ?? "{}", i == 0 ? [] : [Name("c", i - 1)]))])
        { BaseDirectory = EngineHost.TempDir };

    /// <summary>One root, then n checkpoints that each depend on the root only.</summary>
    public static PipelineDefinition Wide(string name, int n, string type, int parallelism) =>
        new(name, null, StopOnError: true, Parallelism: parallelism,
            [Checkpoint("root", type, "{}"), .. Enumerable.Range(0, n).Select(i => Checkpoint(Name("w", i), type, "{}", "root"))])
        { BaseDirectory = EngineHost.TempDir };

    /// <summary>Every checkpoint completed, or a description of what was not.</summary>
    public static string? NotCompleted(RunStatus status)
    {
        if (status.Phase == RunPhase.Completed && status.Checkpoints.All(c => c.State == CheckpointState.Completed)) return null;
        return EngineHost.Describe(status);
    }

    public static ImmutableArray<string> Names(PipelineDefinition pipeline) => [.. pipeline.Checkpoints.Select(c => c.Name)];
}
