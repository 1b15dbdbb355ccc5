using System.Collections.Immutable;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Checkpoints.Processes;

namespace Caiman.Actors.Runs;

/// <summary>One checkpoint of a run, as the run keeps it.</summary>
internal sealed class CheckpointRecord(CheckpointDefinition definition, double weight, int position)
{
    public CheckpointDefinition Definition { get; } = definition;
    public string Name => Definition.Name;

    /// <summary>Its place in the file: ready checkpoints start in file order.</summary>
    public int Position { get; } = position;

    /// <summary>Checkpoints that name this one in their <c>after</c>.</summary>
    public List<CheckpointRecord> Dependents { get; } = [];

    /// <summary>Its dependencies, resolved.</summary>
    public List<CheckpointRecord> Dependencies { get; } = [];

    /// <summary>Its share of overall progress: the estimate in seconds, at least one.</summary>
    public double Weight { get; } = weight;

    /// <summary>Set only through <see cref="RunState"/>, which keeps its indexes in step.</summary>
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
/// A run's state and its decisions, without an actor system. The persisted part (the pipeline,
/// each checkpoint's record, the error service, the phase) changes only through <see cref="Apply"/>
/// of the persisted events, so a recovered run is the run that was. The live part (running
/// attempts, race checks out, a suspension) is what a crash loses and recovery rebuilds. Each
/// input goes through one decision method (see the other parts of this class), which applies the
/// events it emits, so that later decisions of the same step see them, and returns them with the
/// effects for the actor to carry out; nothing else changes the state.
/// </summary>
internal sealed partial class RunState
{
    private readonly Dictionary<string, CheckpointRecord> _checkpoints = new(StringComparer.Ordinal);
    private readonly List<CheckpointRecord> _ordered = [];
    private readonly List<CheckpointError> _errors = [];
    private double _percent;

    // Indexes kept in step with every state change, so that an event costs what it touches and
    // not the size of the run: a 5,000-checkpoint graph would otherwise be quadratic.
    private readonly SortedSet<int> _candidates = [];         // pending, every dependency completed
    private readonly HashSet<CheckpointRecord> _running = [];
    private readonly HashSet<CheckpointRecord> _retrying = [];
    private int _completed;
    private double _completedWeight;
    private double _totalWeight;
    private int _failed;
    private int _failedStopping;
    private double _doneAtClockStart;

    public RunState(string runId, RunRules? rules = null)
    {
        RunId = runId;
        Rules = rules ?? RunRules.Default;
    }

    /// <summary>The engine's settings that decisions depend on.</summary>
    public RunRules Rules { get; }

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

    public void Apply(IRunEvent evt)
    {
        switch (evt)
        {
            case RunStarted started:
                Pipeline = started.Pipeline;
                Graph = new PipelineGraph(started.Pipeline);
                foreach (var definition in started.Pipeline.Checkpoints)
                {
                    var estimate = definition.Estimate ?? Rules.TypeEstimate(definition);
                    var record = new CheckpointRecord(definition, Math.Max(1, estimate.TotalSeconds), _ordered.Count);
                    _checkpoints[definition.Name] = record;
                    _ordered.Add(record);
                    _totalWeight += record.Weight;
                }
                foreach (var record in _ordered)
                    foreach (var dependency in record.Definition.After)
                    {
                        record.Dependencies.Add(_checkpoints[dependency]);
                        _checkpoints[dependency].Dependents.Add(record);
                    }
                foreach (var record in _ordered) Enter(record, CheckpointState.Pending);
                PauseBefore = started.PauseBefore;
                DryRun = started.DryRun;
                Started = ClockStart = started.At;
                Phase = RunPhase.Running;
                break;
            case AttemptStarted attempt:
            {
                var record = _checkpoints[attempt.Checkpoint];
                SetState(record, CheckpointState.Running);
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
                SetState(record, CheckpointState.Completed);
                record.Ended = completed.At;
                record.Percent = 100;
                record.Launches.Clear();
                break;
            }
            case AttemptFailed failed:
            {
                var record = _checkpoints[failed.Checkpoint];
                record.Failures++;
                record.RetryAt = failed.RetryAt;
                SetState(record, failed.RetryAt is null ? CheckpointState.Failed : CheckpointState.Pending);
                record.Ended = failed.At;
                record.Percent = 0;
                record.Launches.Clear();
                break;
            }
            case AttemptCancelled cancelled:
            {
                var record = _checkpoints[cancelled.Checkpoint];
                SetState(record, CheckpointState.Cancelled);
                record.Ended = cancelled.At;
                record.Percent = 0;
                record.Launches.Clear();
                break;
            }
            case AttemptInterrupted interrupted:
            {
                var record = _checkpoints[interrupted.Checkpoint];
                // An attempt whose start was lost in a crash is recorded here: its number is used.
                record.Attempts = Math.Max(record.Attempts, interrupted.Attempt);
                SetState(record, CheckpointState.Pending);
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
                    record.Failures = 0;
                    record.RetryAt = null;
                    SetState(record, CheckpointState.Pending);
                    record.Percent = 0;
                    record.Message = null;
                    record.Ended = null;
                }
                PauseBefore = resumed.PauseBefore;
                RaceFailed = false;
                Phase = RunPhase.Running;
                Ended = null;
                ClockStart = resumed.At;
                _doneAtClockStart = Done();
                // An explicit resume is the one time overall progress may go back.
                _percent = 0;
                break;
            case RunStopped stopped:
                Phase = stopped.Phase;
                Ended = stopped.At;
                break;
        }
    }

    /// <summary>Applies a persisted event and adds it to the step's batch.</summary>
    private void Emit(Decision decision, IRunEvent evt)
    {
        Apply(evt);
        decision.Events.Add(evt);
    }

    // ---- Indexes -------------------------------------------------------------------------------

    private void SetState(CheckpointRecord record, CheckpointState state)
    {
        Leave(record);
        Enter(record, state);
    }

    private void Leave(CheckpointRecord record)
    {
        switch (record.State)
        {
            case CheckpointState.Pending:
                _candidates.Remove(record.Position);
                _retrying.Remove(record);
                break;
            case CheckpointState.Running:
                _running.Remove(record);
                break;
            case CheckpointState.Completed:
                _completed--;
                _completedWeight -= record.Weight;
                foreach (var dependent in record.Dependents) _candidates.Remove(dependent.Position);
                break;
            case CheckpointState.Failed:
                _failed--;
                if (Stops(record)) _failedStopping--;
                break;
        }
    }

    private void Enter(CheckpointRecord record, CheckpointState state)
    {
        record.State = state;
        switch (state)
        {
            case CheckpointState.Pending:
                if (DependenciesCompleted(record)) _candidates.Add(record.Position);
                if (record.RetryAt is not null) _retrying.Add(record);
                break;
            case CheckpointState.Running:
                _running.Add(record);
                break;
            case CheckpointState.Completed:
                _completed++;
                _completedWeight += record.Weight;
                foreach (var dependent in record.Dependents)
                    if (dependent.State == CheckpointState.Pending && DependenciesCompleted(dependent)) _candidates.Add(dependent.Position);
                break;
            case CheckpointState.Failed:
                _failed++;
                if (Stops(record)) _failedStopping++;
                break;
        }
    }

    private bool Stops(CheckpointRecord record) => record.Definition.StopOnError ?? Pipeline!.StopOnError;

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
    public bool StoppedByError => RaceFailed || _failedStopping > 0;

    public bool DependenciesCompleted(CheckpointRecord record)
    {
        foreach (var dependency in record.Dependencies)
            if (dependency.State != CheckpointState.Completed) return false;
        return true;
    }

    /// <summary>Checkpoints that may start now, in file order, at most <paramref name="slots"/>; none whose attempt is still live.</summary>
    public List<CheckpointRecord> Ready(DateTimeOffset now, int slots)
    {
        var ready = new List<CheckpointRecord>();
        if (Phase != RunPhase.Running || slots <= 0 || StoppedByError) return ready;
        var held = PauseBefore.IsEmpty ? null : HeldBack();
        foreach (var position in _candidates)
        {
            var record = _ordered[position];
            if (_live.ContainsKey(record.Name)) continue;
            if (record.RetryAt is { } at && at > now) continue;
            if (held?.Contains(record.Name) == true) continue;
            ready.Add(record);
            if (ready.Count == slots) break;
        }
        return ready;
    }

    /// <summary>The earliest retry still waiting, if any.</summary>
    public DateTimeOffset? NextRetry() => _retrying.Count == 0 ? null : _retrying.Min(c => c.RetryAt);

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
                if (_completed == _ordered.Count) return RunPhase.Completed;
                if (Ready(now, 1).Count > 0 || NextRetry() is not null) return null;
                if (_failed > 0) return RunPhase.Failed;
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
        var done = Done();
        var percent = 5 + 95 * (_totalWeight == 0 ? 1 : done / _totalWeight);
        _percent = Math.Max(_percent, percent);
        return _percent;
    }

    /// <summary>Estimate-seconds done: completed checkpoints whole, running ones by their own percent.</summary>
    private double Done()
    {
        var done = _completedWeight;
        foreach (var running in _running) done += running.Weight * Math.Clamp(running.Percent, 0, 100) / 100;
        return done;
    }

    /// <summary>
    /// Time left at the pace seen so far: estimate-seconds done per second of wall time since the
    /// clock started, applied to the estimate-seconds left. Null until something has been done.
    /// </summary>
    public TimeSpan? TimeLeft(DateTimeOffset now)
    {
        if (Phase == RunPhase.Completed) return TimeSpan.Zero;
        if (ClockStart is not { } start) return null;
        var done = Done();
        var elapsed = (now - start).TotalSeconds;
        if (done <= 0 || elapsed <= 0) return null;
        var pace = (done - _doneAtClockStart) / elapsed;
        if (pace <= 0) return null;
        return TimeSpan.FromSeconds(Math.Max(0, _totalWeight - done) / pace);
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
