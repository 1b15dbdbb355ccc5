using System.Collections.Immutable;
using Akka.Configuration;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Testing;
using Xunit.Abstractions;

namespace Caiman.Actors.Tests.Runs;

/// <summary>
/// TestKit base for engine specs: every message serialized on the way, journal in memory unless
/// a spec passes its own persistence, and a <see cref="ScriptedType"/> for in-process checkpoints.
/// </summary>
public abstract class EngineSpec : Akka.TestKit.Xunit2.TestKit
{
    protected EngineSpec(ITestOutputHelper output, Config? config = null)
        : base(SpecConfig(config), output: output)
    {
        Engine = CaimanEngine.Start(Sys, Types);
    }

    public static Config SpecConfig(Config? config = null) =>
        ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            caiman.engine.cancel-grace-period = 2s
            caiman.engine.process-kill-grace-period = 1s
            caiman.doc.ask-timeout = 15s
            """)
            .WithFallback(config ?? Config.Empty)
            .WithFallback(VerifiedMessages.InMemory)
            .WithFallback(EngineConfig.Default());

    protected ScriptedType Scripted { get; } = new();

    protected CheckpointTypes Types => _types ??= CheckpointTypes.BuiltIn().Add(Scripted);
    private CheckpointTypes? _types;

    protected CaimanEngine Engine { get; }

    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>A scripted checkpoint; without <paramref name="after"/> it follows the one before it.</summary>
    protected static CheckpointDefinition Step(string name, params string[] after) =>
        new(name, "scripted", CheckpointArgs.Empty, [.. after]);

    /// <summary>A pipeline of scripted steps; a step with an empty After list and not first is given the previous one.</summary>
    protected static PipelineDefinition Pipeline(params CheckpointDefinition[] steps) => Pipeline(true, null, steps);

    protected static PipelineDefinition Pipeline(bool stopOnError, int? parallelism, params CheckpointDefinition[] steps) =>
        new("spec", null, stopOnError, parallelism, [.. steps]) { BaseDirectory = Directory.GetCurrentDirectory() };

    /// <summary>A chain: each step after the one before.</summary>
    protected static CheckpointDefinition[] Chain(params string[] names) =>
        [.. names.Select((n, i) => Step(n, i == 0 ? [] : [names[i - 1]]))];

    protected async Task<RunStatus> RunToEnd(string runId, PipelineDefinition pipeline, IEnumerable<string>? pauseBefore = null, bool dryRun = false)
    {
        await Engine.StartAsync(runId, pipeline, pauseBefore, dryRun);
        return await WaitForStop(runId);
    }

    protected async Task<RunStatus> WaitForStop(string runId)
    {
        using var timeout = new CancellationTokenSource(Patience);
        return await Engine.WaitAsync(runId, cancellationToken: timeout.Token);
    }

    protected static CheckpointState StateOf(RunStatus status, string checkpoint) =>
        status.Checkpoints.Single(c => c.Name == checkpoint).State;

    protected static CheckpointState[] States(RunStatus status) => [.. status.Checkpoints.Select(c => c.State)];
}
