using Akka.Actor;
using Akka.Configuration;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Persistence;
using Xunit.Abstractions;

namespace Caiman.Actors.Tests.Runs;

/// <summary>
/// Many runs started at once on one SQLite file. Their run and subtree actors reply through
/// DeferAsync while their writes are in flight, so the journal sees batches that hold only
/// deferred replies; the SQL plugin once failed on those, and its circuit breaker then failed
/// every write and recovery of the system for 30 s.
/// </summary>
public sealed class ManyRunsSqliteSpec(ITestOutputHelper output) : IDisposable
{
    private const int Runs = 100;
    private const int Checkpoints = 10;

    private readonly string _directory = Directory.CreateTempSubdirectory("caiman-many-runs-").FullName;
    private readonly List<ActorSystem> _systems = [];

    private CaimanEngine Boot()
    {
        // A shared CI machine may be loaded many times over: patience enough for that. What this spec
        // guards against does not wait its way out: a run whose journal failed stops, and its caller
        // is never answered.
        var config = ConfigurationFactory.ParseString("caiman.doc.ask-timeout = 30s")
            .WithFallback(EngineSpec.SpecConfig(SqlitePersistence.Config(Path.Combine(_directory, "caiman.db"))));
        var system = ActorSystem.Create("many-runs", config);
        _systems.Add(system);
        return CaimanEngine.Start(system, CheckpointTypes.BuiltIn().Add(new ScriptedType()));
    }

    private static PipelineDefinition Chain(int length) =>
        new("many", null, true, null,
            [.. Enumerable.Range(0, length).Select(i => new CheckpointDefinition($"c{i}", "scripted", CheckpointArgs.Empty, i == 0 ? [] : [$"c{i - 1}"]))])
        { BaseDirectory = Directory.GetCurrentDirectory() };

    [Fact]
    public async Task A_hundred_runs_started_together_on_one_SQLite_file_should_all_complete_every_checkpoint()
    {
        var engine = Boot();
        var pipeline = Chain(Checkpoints);
        var ids = Enumerable.Range(0, Runs).Select(i => $"run-{i}").ToArray();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var outcomes = await Task.WhenAll(ids.Select(async id =>
        {
            try
            {
                await engine.StartAsync(id, pipeline);
                return Outcome(await engine.WaitAsync(id, cancellationToken: timeout.Token));
            }
            catch (Exception e)
            {
                return $"{id}: {e.GetType().Name}: {e.Message}";
            }
        }));

        var failed = outcomes.OfType<string>().ToList();
        foreach (var failure in failed) output.WriteLine(failure);
        Assert.Empty(failed);
        Assert.Equal(ids.Order(StringComparer.Ordinal), (await engine.ListRunsAsync()).Order(StringComparer.Ordinal));
    }

    /// <summary>Null for a run that completed every checkpoint in one attempt, else what it did.</summary>
    private static string? Outcome(RunStatus status) =>
        status.Phase == RunPhase.Completed && status.Checkpoints.Length == Checkpoints && status.Checkpoints.All(c => c is { State: CheckpointState.Completed, Attempts: 1 })
            ? null
            : $"{status.RunId}: {status.Phase}, " + string.Join(", ", status.Checkpoints.Select(c => $"{c.Name} {c.State}/{c.Attempts}"));

    public void Dispose()
    {
        foreach (var system in _systems) system.Terminate().Wait(TimeSpan.FromSeconds(10));
        Directory.Delete(_directory, recursive: true);
    }
}
