using System.Collections.Immutable;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Checkpoints.Processes;

namespace Caiman.Actors.Runs;

/// <summary>One checkpoint of a run, as the run keeps it.</summary>
internal sealed class CheckpointRecord(CheckpointDefinition definition, double weight)
{
    public CheckpointDefinition Definition { get; } = definition;
    public string Name => Definition.Name;

    /// <summary>Its share of overall progress: the estimate in seconds, at least one.</summary>
    public double Weight { get; } = weight;

    public CheckpointState State { get; set; } = CheckpointState.Pending;

    /// <summary>Attempts started so far; the running or last attempt's number.</summary>
    public int Attempts { get; set; }

    /// <summary>Failures since the checkpoint was last reset; compared with its retry count.</summary>
    public int Failures { get; set; }

    /// <summary>When set, a retry waits until then.</summary>
    public DateTimeOffset? RetryAt { get; set; }

    public DateTimeOffset? Started { get; set; }
    public DateTimeOffset? Ended { get; set; }
    public double Percent { get; set; }
    public string? Message { get; set; }

    /// <summary>Processes the running attempt launched, for killing them after a crash.</summary>
    public List<ProcessLaunch> Launches { get; } = [];
}

/// <summary>
/// A run's state: the pipeline, each checkpoint's record, the error service, the phase. Changed
/// only by <see cref="Apply"/> (the persisted events), so a recovered run is the run that was;
/// the scheduling decisions read it and change nothing.
/// </summary>
internal sealed class RunState
{
    private readonly Dictionary<string, CheckpointRecord> _checkpoints = new(StringComparer.Ordinal);
    private readonly List<CheckpointRecord> _ordered = [];
    private readonly List<CheckpointError> _errors = [];
    private double _percent;

    public RunState(string runId) => RunId = runId;

    public string RunId { get; }
    public RunPhase Phase { get; private set; } = RunPhase.New;
    public PipelineDefinition? Pipeline { get; private set; }
    public PipelineGraph Graph { get; private set; } = null!;
    public ImmutableArray<string> PauseBefore { get; private set; } = [];
    public bool DryRun { get; private set; }
    public DateTimeOffset? Started { get; private set; }
    public DateTimeOffset? Ended { get; private set; }

    /// <summary>When progress timing restarted (the start or the last resume), for the time-left estimate.</summary>
    public DateTimeOffset? ClockStart { get; private set; }

    /// <summary>An unrelated pair wrote the same node and races are errors: start nothing more.</summary>
    public bool RaceFailed { get; private set; }

    public IReadOnlyList<CheckpointRecord> Checkpoints => _ordered;
    public IReadOnlyList<CheckpointError> Errors => _errors;
    public CheckpointRecord this[string name] => _checkpoints[name];
    public bool Has(string name) => _checkpoints.ContainsKey(name);

    /// <summary>The estimate of a checkpoint type, in seconds; the run asks its types for it.</summary>
    public Func<CheckpointDefinition, TimeSpan> TypeEstimate { get; init; } = _ => TimeSpan.FromSeconds(1);

    public void Apply(IRunEvent evt)
    {
        switch (evt)
        {
            case RunStarted started:
                Pipeline = started.Pipeline;
                Graph = new PipelineGraph(started.Pipeline);
                foreach (var definition in started.Pipeline.Checkpoints)
                {
                    var estimate = definition.Estimate ?? TypeEstimate(definition);
                    var record = new CheckpointRecord(definition, Math.Max(1, estimate.TotalSeconds));
                    _checkpoints[definition.Name] = record;
                    _ordered.Add(record);
                }
                PauseBefore = started.PauseBefore;
                DryRun = started.DryRun;
                Started = ClockStart = started.At;
                Phase = RunPhase.Running;
                break;
            case AttemptStarted attempt:
            {
                var record = _checkpoints[attempt.Checkpoint];
                record.State = CheckpointState.Running;
                record.Attempts = attempt.Attempt;
                record.Started = attempt.At;
                record.Ended = null;
                record.RetryAt = null;
                record.Percent = 0;
                record.Message = null;
                record.Launches.Clear();
                break;
            }
            case ProcessLaunched launched:
                _checkpoints[launched.Checkpoint].Launches.Add(launched.Launch);
                break;
            case AttemptCompleted completed:
            {
                var record = _checkpoints[completed.Checkpoint];
                record.State = CheckpointState.Completed;
                record.Ended = completed.At;
                record.Percent = 100;
                record.Launches.Clear();
                break;
            }
            case AttemptFailed failed:
            {
                var record = _checkpoints[failed.Checkpoint];
                record.Failures++;
                record.State = failed.RetryAt is null ? CheckpointState.Failed : CheckpointState.Pending;
                record.RetryAt = failed.RetryAt;
                record.Ended = failed.At;
                record.Percent = 0;
                record.Launches.Clear();
                break;
            }
            case AttemptCancelled cancelled:
            {
                var record = _checkpoints[cancelled.Checkpoint];
                record.State = CheckpointState.Cancelled;
                record.Ended = cancelled.At;
                record.Percent = 0;
                record.Launches.Clear();
                break;
            }
            case AttemptInterrupted interrupted:
            {
                var record = _checkpoints[interrupted.Checkpoint];
                record.State = CheckpointState.Pending;
                record.Ended = interrupted.At;
                record.Percent = 0;
                record.Launches.Clear();
                break;
            }
            case ErrorRecorded recorded:
                _errors.Add(recorded.Error);
                if (recorded.Error.Kind == CheckpointErrorKind.Error && recorded.Error.Data.ContainsKey(RaceKeys.Race)) RaceFailed = true;
                break;
            case PauseRequested:
                if (Phase == RunPhase.Running) Phase = RunPhase.Pausing;
                break;
            case CancelRequested:
                Phase = RunPhase.Cancelling;
                break;
            case RunResumed resumed:
                foreach (var name in resumed.Reset)
                {
                    var record = _checkpoints[name];
                    record.State = CheckpointState.Pending;
                    record.Failures = 0;
                    record.RetryAt = null;
                    record.Percent = 0;
                    record.Message = null;
                    record.Ended = null;
                }
                PauseBefore = resumed.PauseBefore;
                RaceFailed = false;
                Phase = RunPhase.Running;
                Ended = null;
                ClockStart = resumed.At;
                // An explicit resume is the one time overall progress may go back.
                _percent = 0;
                break;
            case RunStopped stopped:
                Phase = stopped.Phase;
                Ended = stopped.At;
                break;
        }
    }

    // ---- Decisions (pure) ----------------------------------------------------------------------

    /// <summary>Checkpoints that a pause-before holds back: each named one and everything depending on it.</summary>
    public HashSet<string> HeldBack()
    {
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in PauseBefore)
        {
            if (!Has(name)) continue;
            held.Add(name);
            held.UnionWith(Graph.TransitiveDependents(name));
        }
        return held;
    }

    /// <summary>A failure that stops new work under stop-on-error, if there is one.</summary>
    public bool StoppedByError =>
        RaceFailed || _ordered.Any(c => c.State == CheckpointState.Failed && (c.Definition.StopOnError ?? Pipeline!.StopOnError));

    public bool DependenciesCompleted(CheckpointRecord record) =>
        record.Definition.After.All(d => _checkpoints[d].State == CheckpointState.Completed);

    /// <summary>Checkpoints that may start now, in file order, at most <paramref name="slots"/>.</summary>
    public List<CheckpointRecord> Ready(DateTimeOffset now, int slots, ISet<string> busy)
    {
        var ready = new List<CheckpointRecord>();
        if (Phase != RunPhase.Running || slots <= 0 || StoppedByError) return ready;
        var held = PauseBefore.IsEmpty ? null : HeldBack();
        foreach (var record in _ordered)
        {
            if (record.State != CheckpointState.Pending || busy.Contains(record.Name)) continue;
            if (record.RetryAt is { } at && at > now) continue;
            if (held?.Contains(record.Name) == true || !DependenciesCompleted(record)) continue;
            ready.Add(record);
            if (ready.Count == slots) break;
        }
        return ready;
    }

    /// <summary>The earliest retry still waiting, if any.</summary>
    public DateTimeOffset? NextRetry() =>
        _ordered.Where(c => c.State == CheckpointState.Pending && c.RetryAt is not null).Min(c => c.RetryAt);

    /// <summary>
    /// With nothing running and nothing that may start, the phase the run stops in; null while it
    /// still has work (running attempts, or a retry waiting for its time).
    /// </summary>
    public RunPhase? StopPhase(bool anythingBusy, DateTimeOffset now)
    {
        if (anythingBusy) return null;
        switch (Phase)
        {
            case RunPhase.Cancelling:
                return RunPhase.Cancelled;
            case RunPhase.Pausing:
                return RunPhase.Paused;
            case RunPhase.Running:
                if (StoppedByError) return RunPhase.Failed;
                if (_ordered.All(c => c.State == CheckpointState.Completed)) return RunPhase.Completed;
                if (Ready(now, int.MaxValue, new HashSet<string>()).Count > 0 || NextRetry() is not null) return null;
                if (_ordered.Any(c => c.State is CheckpointState.Failed)) return RunPhase.Failed;
                return RunPhase.Paused;
            default:
                return null;
        }
    }

    /// <summary>Every checkpoint whose dependencies all completed.</summary>
    public bool IsResumable(CheckpointRecord record) => Phase != RunPhase.New && DependenciesCompleted(record);

    // ---- Progress ------------------------------------------------------------------------------

    /// <summary>The original's normalization over a graph: 5% for preparation, then shares by estimate.</summary>
    public double ComputePercent()
    {
        if (Phase == RunPhase.Completed) return 100;
        var total = _ordered.Sum(c => c.Weight);
        var done = _ordered.Sum(c => c.Weight * Fraction(c));
        var percent = 5 + 95 * (total == 0 ? 1 : done / total);
        _percent = Math.Max(_percent, percent);
        return _percent;
    }

    private static double Fraction(CheckpointRecord c) => c.State switch
    {
        CheckpointState.Completed => 1,
        CheckpointState.Running => Math.Clamp(c.Percent, 0, 100) / 100,
        _ => 0,
    };

    /// <summary>
    /// Time left at the pace seen so far: estimate-seconds done per second of wall time since the
    /// clock started, applied to the estimate-seconds left. Null until something has been done.
    /// </summary>
    public TimeSpan? TimeLeft(DateTimeOffset now)
    {
        if (Phase == RunPhase.Completed) return TimeSpan.Zero;
        if (ClockStart is not { } start) return null;
        var total = _ordered.Sum(c => c.Weight);
        var done = _ordered.Sum(c => c.Weight * Fraction(c));
        var elapsed = (now - start).TotalSeconds;
        if (done <= 0 || elapsed <= 0) return null;
        var pace = done / elapsed;
        return TimeSpan.FromSeconds(Math.Max(0, total - done) / pace);
    }

    public RunStatus Status(DateTimeOffset now) => new(
        RunId,
        Phase,
        Pipeline?.Name ?? "",
        Phase == RunPhase.New ? 0 : ComputePercent(),
        Phase == RunPhase.New ? null : TimeLeft(now),
        DryRun,
        PauseBefore,
        [.. _ordered.Select(c => new CheckpointStatus(
            c.Name, c.State, c.Attempts, IsResumable(c), c.Percent, c.Message, c.Started,
            c.Started is { } s ? (c.Ended ?? (c.State == CheckpointState.Running ? now : s)) - s : null,
            c.Definition.Description, c.Definition.After))],
        Started,
        Ended);
}

/// <summary>Keys of the data a race error carries.</summary>
internal static class RaceKeys
{
    public const string Race = "race";
    public const string Path = "path";
    public const string Other = "other-checkpoint";
}
