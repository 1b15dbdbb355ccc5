using System.Collections.Immutable;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Runs;

/// <summary>The run's decisions after a crash, and on races between checkpoints.</summary>
internal sealed partial class RunState
{
    /// <summary>Nodes each completed checkpoint changed, for finding races; rebuilt after recovery.</summary>
    private readonly Dictionary<string, Dictionary<NodeId, string>> _writes = new(StringComparer.Ordinal);

    /// <summary>The same, by node: which completed checkpoints changed it. A race check then costs what was written.</summary>
    private readonly Dictionary<NodeId, List<string>> _writersOf = [];

    private bool IsActive => Phase is RunPhase.Running or RunPhase.Pausing or RunPhase.Cancelling;

    // ---- Recovery ------------------------------------------------------------------------------------

    /// <summary>
    /// After a crash: attempts that were running are gone. Kill what their processes left (their
    /// start times guard against pid reuse), revert their changes, and put them back to pending
    /// before anything else happens; then the run goes on where it was.
    /// </summary>
    public Decision OnRecovered()
    {
        var decision = new Decision();
        if (Phase == RunPhase.New) return decision;
        var interrupted = _ordered.Where(c => c.State == CheckpointState.Running).ToList();
        // Attempts start before their start is durable, so a crash may leave writes from an
        // attempt the journal never heard of: the next attempt number of a pending checkpoint.
        var ghosts = IsActive
            ? _ordered.Where(c => c.State == CheckpointState.Pending).Select(c => new Writer(RunId, c.Name, c.Attempts + 1)).ToImmutableArray()
            : [];
        if (interrupted.Count == 0 && ghosts.IsEmpty)
        {
            if (IsActive) decision.Effects.Add(RunEffect.Continue.Instance);
            RebuildWrites(decision);
            return decision;
        }
        var launches = interrupted.SelectMany(c => c.Launches).ToImmutableArray();
        if (interrupted.Count > 0)
            Log(decision, LogLevel.Warning, $"recovered after a crash: {interrupted.Count} interrupted ({string.Join(", ", interrupted.Select(c => $"{c.Name}#{c.Attempts}"))}); killing what is left of their {launches.Length} processes; reverting their changes");
        IsReverting = true;
        decision.Effects.Add(new RunEffect.FindGhosts([.. interrupted.Select(c => new Writer(RunId, c.Name, c.Attempts))], ghosts, launches));
        return decision;
    }

    public Decision OnGhostsFound(ImmutableArray<Writer> interrupted, ImmutableArray<Writer> ghosts, ImmutableArray<Caiman.Checkpoints.Processes.ProcessLaunch> launches)
    {
        var decision = new Decision();
        if (!ghosts.IsEmpty)
            Log(decision, LogLevel.Warning, $"recovered after a crash: {ghosts.Length} attempts started just before it had written to the DOC ({string.Join(", ", ghosts.Select(g => $"{g.Checkpoint}#{g.Attempt}"))}); reverting them");
        var attempts = interrupted.AddRange(ghosts);
        if (attempts.IsEmpty)
        {
            IsReverting = false;
            decision.Effects.Add(RunEffect.Unstash.Instance);
            if (IsActive) decision.Effects.Add(RunEffect.Continue.Instance);
            RebuildWrites(decision);
            return decision;
        }
        decision.Effects.Add(new RunEffect.RevertInterrupted(attempts, launches));
        return decision;
    }

    public Decision OnInterruptedReverted(ImmutableArray<Writer> attempts, RevertOutcome outcome, DateTimeOffset now)
    {
        var decision = new Decision();
        IsReverting = false;
        RaceErrors(decision, outcome, now);
        foreach (var attempt in attempts)
        {
            // A lost start (the checkpoint is still pending) is always recorded as interrupted, which uses up its number.
            var wasRunning = this[attempt.Checkpoint].State == CheckpointState.Running;
            Emit(decision, wasRunning && Phase == RunPhase.Cancelling
                ? new AttemptCancelled(attempt.Checkpoint, attempt.Attempt, now)
                : new AttemptInterrupted(attempt.Checkpoint, attempt.Attempt, now));
        }
        if (outcome.Failure is { } failure)
            Emit(decision, new ErrorRecorded(new CheckpointError(attempts[0].Checkpoint, attempts[0].Attempt, CheckpointErrorKind.CleanupError, null,
                $"reverting interrupted attempts failed: {failure}", ImmutableSortedDictionary<string, string>.Empty, now)));
        Interrupted(decision, outcome, now);
        AfterRecovery(decision, now);
        decision.Effects.Add(RunEffect.Unstash.Instance);
        RebuildWrites(decision);
        return Settle(decision, now);
    }

    /// <summary>A recovered run goes on where it was, unless the engine is set to pause such runs.</summary>
    public Decision OnContinue(DateTimeOffset now)
    {
        var decision = new Decision();
        AfterRecovery(decision, now);
        return Settle(decision, now);
    }

    private void AfterRecovery(Decision decision, DateTimeOffset now)
    {
        if (Rules.ContinueAfterRecovery || Phase != RunPhase.Running) return;
        Log(decision, LogLevel.Warning, "recovered run is paused (continue-after-recovery is off); resume it to go on");
        Emit(decision, new PauseRequested(now));
    }

    private void RebuildWrites(Decision decision)
    {
        var writers = _ordered.Where(c => c.State == CheckpointState.Completed).Select(c => new Writer(RunId, c.Name, c.Attempts)).ToImmutableArray();
        if (!writers.IsEmpty) decision.Effects.Add(new RunEffect.RebuildWrites(writers));
    }

    // ---- Races ---------------------------------------------------------------------------------------

    /// <summary>What the attempts of the last race check changed: each is compared with the checkpoints not ordered with it.</summary>
    public Decision OnRacesFound(ImmutableArray<WrittenNode> nodes, DateTimeOffset now)
    {
        var decision = new Decision();
        var asked = _racesAsked;
        _racesAsked = [];
        var byWriter = nodes.ToLookup(n => n.Writer);
        foreach (var writer in asked)
        {
            var current = Has(writer.Checkpoint) && this[writer.Checkpoint] is { State: CheckpointState.Completed } record && record.Attempts == writer.Attempt;
            if (current)
                foreach (var race in RacesOf(writer.Checkpoint, writer.Attempt, [.. byWriter[writer]], now)) EmitRace(decision, race);
        }
        AskRaces(decision);
        return Settle(decision, now);
    }

    /// <summary>Asks for the queued completions' writes, unless a question is already out (its answer asks the next).</summary>
    private void AskRaces(Decision decision)
    {
        if (!_racesAsked.IsEmpty || _raceQueue.Count == 0) return;
        _racesAsked = [.. _raceQueue];
        _raceQueue.Clear();
        decision.Effects.Add(new RunEffect.CheckRaces(_racesAsked));
    }

    public void OnWritesRebuilt(ImmutableArray<WrittenNode> nodes)
    {
        foreach (var group in nodes.GroupBy(n => n.Writer.Checkpoint))
            RememberWrites(group.Key, group.GroupBy(n => n.Node).ToDictionary(g => g.Key, g => g.First().Path));
    }

    /// <summary>Remembers what the checkpoint wrote and reports each unrelated checkpoint that wrote the same node.</summary>
    private List<ErrorRecorded> RacesOf(string checkpoint, int attempt, ImmutableArray<WrittenNode> nodes, DateTimeOffset now)
    {
        var mine = nodes.GroupBy(n => n.Node).ToDictionary(g => g.Key, g => g.First().Path);
        ForgetWrites(checkpoint);
        var races = new List<ErrorRecorded>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (node, path) in mine)
        {
            if (!_writersOf.TryGetValue(node, out var others)) continue;
            foreach (var other in others)
                if (!Graph.AreOrdered(checkpoint, other) && reported.Add(other))
                    races.Add(RaceError(checkpoint, attempt, other, path, now));
        }
        if (mine.Count > 0) RememberWrites(checkpoint, mine);
        return races;
    }

    /// <summary>The race a revert conflict reveals, as an error for the error service.</summary>
    private void RaceErrors(Decision decision, RevertOutcome outcome, DateTimeOffset now)
    {
        if (outcome.Conflict is not { } conflict) return;
        var reverted = conflict.Reverted.Checkpoint;
        var other = conflict.ChangedBy.Checkpoint;
        if (other.Length == 0)
        {
            Emit(decision, new ErrorRecorded(new CheckpointError(reverted, conflict.Reverted.Attempt, CheckpointErrorKind.Warning, null,
                $"{conflict.Path} was edited outside any checkpoint on top of '{reverted}'; the edit was reverted with it",
                ImmutableSortedDictionary<string, string>.Empty.Add(RaceKeys.Path, conflict.Path), now)));
            return;
        }
        EmitRace(decision, RaceError(reverted, conflict.Reverted.Attempt, other, conflict.Path, now));
    }

    private void EmitRace(Decision decision, ErrorRecorded race)
    {
        Log(decision, race.Error.Kind == CheckpointErrorKind.Error ? LogLevel.Error : LogLevel.Warning, race.Error.Message);
        Emit(decision, race);
    }

    private ErrorRecorded RaceError(string checkpoint, int attempt, string other, string path, DateTimeOffset now)
    {
        var kind = Rules.RaceDetection == RaceDetection.Error ? CheckpointErrorKind.Error : CheckpointErrorKind.Warning;
        var data = ImmutableSortedDictionary<string, string>.Empty
            .Add(RaceKeys.Race, kind.ToString().ToLowerInvariant())
            .Add(RaceKeys.Other, other)
            .Add(RaceKeys.Path, path);
        return new ErrorRecorded(new CheckpointError(checkpoint, attempt, kind, null,
            $"race: '{checkpoint}' and '{other}' both changed {path}, and neither depends on the other", data, now));
    }

    /// <summary>Completed checkpoints whose changes a cascade reverted must run again.</summary>
    private void Interrupted(Decision decision, RevertOutcome outcome, DateTimeOffset now)
    {
        foreach (var writer in outcome.Extra.DistinctBy(w => w.Checkpoint))
        {
            if (!Has(writer.Checkpoint)) continue;
            var record = this[writer.Checkpoint];
            if (record.State != CheckpointState.Completed) continue;
            ForgetWrites(record.Name);
            Log(decision, LogLevel.Warning, $"'{record.Name}' runs again: reverting a race undid its changes");
            Emit(decision, new AttemptInterrupted(record.Name, record.Attempts, now));
        }
    }

    private void RememberWrites(string checkpoint, Dictionary<NodeId, string> nodes)
    {
        ForgetWrites(checkpoint);
        _writes[checkpoint] = nodes;
        foreach (var node in nodes.Keys)
        {
            if (!_writersOf.TryGetValue(node, out var writers)) _writersOf[node] = writers = [];
            writers.Add(checkpoint);
        }
    }

    private void ForgetWrites(string checkpoint)
    {
        if (!_writes.Remove(checkpoint, out var nodes)) return;
        foreach (var node in nodes.Keys)
            if (_writersOf.TryGetValue(node, out var writers) && writers.Remove(checkpoint) && writers.Count == 0)
                _writersOf.Remove(node);
    }
}
