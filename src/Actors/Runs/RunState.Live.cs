using System.Collections.Immutable;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Model;

namespace Caiman.Actors.Runs;

/// <summary>The engine's settings that a run's decisions depend on.</summary>
internal sealed record RunRules(
    int Parallelism,
    RaceDetection RaceDetection,
    bool ContinueAfterRecovery,
    IsolationDefault Isolation,
    Func<CheckpointDefinition, TimeSpan> TypeEstimate)
{
    public static readonly RunRules Default = new(Environment.ProcessorCount, RaceDetection.Warning, true, IsolationDefault.Auto, _ => TimeSpan.FromSeconds(1));

    public static RunRules From(EngineSettings settings, Func<CheckpointDefinition, TimeSpan> typeEstimate) =>
        new(settings.Parallelism, settings.RaceDetection, settings.ContinueAfterRecovery, settings.Isolation, typeEstimate);

    /// <summary>
    /// Where an attempt of the checkpoint runs: its own entry, else the pipeline's, else the engine's
    /// default; <c>auto</c> isolates the <c>dotnet</c> type (code the engine does not know, which may
    /// ignore its token, spin, or crash the runtime) and runs the built-in ones in process.
    /// </summary>
    public CheckpointIsolation IsolationOf(CheckpointDefinition checkpoint, PipelineDefinition pipeline) =>
        checkpoint.Isolation ?? pipeline.Isolation ?? Isolation switch
        {
            IsolationDefault.InProcess => CheckpointIsolation.InProcess,
            IsolationDefault.Process => CheckpointIsolation.Process,
            _ => checkpoint.Type == "dotnet" ? CheckpointIsolation.Process : CheckpointIsolation.InProcess,
        };
}

/// <summary>An attempt from its start until its end is persisted (reverting included): what a crash loses.</summary>
internal sealed class LiveAttempt(string name, int attempt, CheckpointIsolation isolation)
{
    public string Name { get; } = name;
    public int Attempt { get; } = attempt;
    public CheckpointIsolation Isolation { get; } = isolation;

    /// <summary>The attempt's actor, once a worker accepted it.</summary>
    public IActorRef? Actor { get; set; }

    /// <summary>Who can abandon it: its worker, or the engine's handle of its worker process.</summary>
    public IActorRef? Host { get; set; }

    /// <summary>The node it runs on, once accepted.</summary>
    public string? Node { get; set; }

    public StopReason? Stopping { get; set; }

    /// <summary>The code has ended, or is being abandoned; what is left is reverting and recording.</summary>
    public bool Finished { get; set; }

    /// <summary>Its end (reaping, fencing, reverting) is under way.</summary>
    public bool Ending { get; set; }

    /// <summary>The code reported an error of kind Error: it fails even if it returns.</summary>
    public bool ReportedError { get; set; }

    public Writer Writer(string runId) => new(runId, Name, Attempt);
}

internal sealed partial class RunState
{
    private readonly Dictionary<string, LiveAttempt> _live = new(StringComparer.Ordinal);
    private readonly List<IActorRef> _suspendedBy = [];

    /// <summary>Completed attempts whose race check is out, or waits for the one out to come back; the run does not stop before they are in, so its error service is whole when it does.</summary>
    private readonly List<Writer> _raceQueue = [];
    private ImmutableArray<Writer> _racesAsked = [];

    private bool RaceChecksOut => _raceQueue.Count > 0 || !_racesAsked.IsEmpty;

    /// <summary>Attempts from their start until their end is persisted.</summary>
    public IReadOnlyCollection<LiveAttempt> Live => _live.Values;

    /// <summary>A resume's or a recovery's reverts are out: commands wait (the actor stashes them), attempts still report.</summary>
    public bool IsReverting { get; private set; }

    /// <summary>A shutdown suspended the run: it starts nothing, never stops by itself, and its actor stops once nothing runs.</summary>
    public bool IsSuspended => _suspendedBy.Count > 0;

    public int Parallelism => Pipeline?.Parallelism ?? Rules.Parallelism;

    /// <summary>The live attempt of that number, if it is the current one.</summary>
    public LiveAttempt? Current(string checkpoint, int attempt) =>
        _live.TryGetValue(checkpoint, out var live) && live.Attempt == attempt ? live : null;

}
