using System.Collections.Immutable;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Runs;

internal sealed partial class RunActor
{
    /// <summary>Nodes each completed checkpoint changed, for finding races; rebuilt after recovery.</summary>
    private readonly Dictionary<string, Dictionary<NodeId, string>> _writes = new(StringComparer.Ordinal);

    /// <summary>The same, by node: which completed checkpoints changed it. A race check then costs what was written.</summary>
    private readonly Dictionary<NodeId, List<string>> _writersOf = [];

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

    /// <summary>
    /// How a revert went: the writers it had to revert on top of those asked (a cascade after a
    /// conflict), the conflict that made it cascade, or why it failed.
    /// </summary>
    private sealed record RevertOutcome(ImmutableArray<Writer> Extra, DocError.RevertConflict? Conflict, string? Failure);

    /// <summary>
    /// The attempt of a checkpoint whose changes stand: only a completed one has any, since every
    /// attempt that failed, was cancelled or was interrupted was reverted when it ended.
    /// </summary>
    private IEnumerable<Writer> WritersOf(CheckpointRecord record) =>
        record.State == CheckpointState.Completed ? [new Writer(RunId, record.Name, record.Attempts)] : [];

    /// <summary>
    /// Fences the writers (late writes from their attempts are refused from now on) and reverts
    /// their changes, newest first. A change by another writer on top of theirs is a conflict:
    /// it is reverted too (cascade), and reported as a race by the caller.
    /// </summary>
    private Task<RevertOutcome> RevertAsync(ImmutableArray<Writer> writers, string runId, ImmutableArray<ProcessLaunch> launches = default)
    {
        var doc = _docClient;
        var processes = ProcessHost.For(Context.System);
        return Revert();

        async Task<RevertOutcome> Revert()
        {
            if (!launches.IsDefaultOrEmpty) await processes.ReapAsync(launches, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            if (writers.IsEmpty) return new RevertOutcome([], null, null);
            try
            {
                await doc.FenceAsync([.. writers]).ConfigureAwait(false);
                try
                {
                    await doc.RevertAsync(writers).ConfigureAwait(false);
                    return new RevertOutcome([], null, null);
                }
                catch (DocException e) when (e.Error is DocError.RevertConflict conflict)
                {
                    var all = await doc.RevertAsync(writers, cascade: true).ConfigureAwait(false);
                    return new RevertOutcome([.. all.Except(writers).Where(w => w.Run == runId)], conflict, null);
                }
            }
            catch (Exception e)
            {
                return new RevertOutcome([], null, e is DocException doc ? doc.Error.Message : $"{e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>The race a revert conflict reveals, as an error for the error service.</summary>
    private IEnumerable<IRunEvent> RaceErrors(RevertOutcome outcome)
    {
        if (outcome.Conflict is not { } conflict) yield break;
        var reverted = conflict.Reverted.Checkpoint;
        var other = conflict.ChangedBy.Checkpoint;
        if (other.Length == 0)
        {
            yield return new ErrorRecorded(new CheckpointError(reverted, conflict.Reverted.Attempt, CheckpointErrorKind.Warning, null,
                $"{conflict.Path} was edited outside any checkpoint on top of '{reverted}'; the edit was reverted with it",
                ImmutableSortedDictionary<string, string>.Empty.Add(RaceKeys.Path, conflict.Path), Now));
            yield break;
        }
        yield return RaceError(reverted, conflict.Reverted.Attempt, other, conflict.Path);
    }

    private ErrorRecorded RaceError(string checkpoint, int attempt, string other, string path)
    {
        var kind = _engine.Settings.RaceDetection == RaceDetection.Error ? CheckpointErrorKind.Error : CheckpointErrorKind.Warning;
        var data = ImmutableSortedDictionary<string, string>.Empty
            .Add(RaceKeys.Race, kind.ToString().ToLowerInvariant())
            .Add(RaceKeys.Other, other)
            .Add(RaceKeys.Path, path);
        _log.Log(kind == CheckpointErrorKind.Error ? LogLevel.Error : LogLevel.Warning,
            "race: '{Checkpoint}' and '{Other}' both changed {Path}, and neither depends on the other", checkpoint, other, path);
        return new ErrorRecorded(new CheckpointError(checkpoint, attempt, kind, null,
            $"race: '{checkpoint}' and '{other}' both changed {path}, and neither depends on the other", data, Now));
    }

    /// <summary>Completed checkpoints whose changes a cascade reverted must run again.</summary>
    private IEnumerable<IRunEvent> Interrupted(RevertOutcome outcome, DateTimeOffset now)
    {
        foreach (var writer in outcome.Extra.DistinctBy(w => w.Checkpoint))
        {
            if (!_state.Has(writer.Checkpoint)) continue;
            var record = _state[writer.Checkpoint];
            if (record.State != CheckpointState.Completed) continue;
            ForgetWrites(record.Name);
            _log.LogWarning("'{Checkpoint}' runs again: reverting a race undid its changes", record.Name);
            yield return new AttemptInterrupted(record.Name, record.Attempts, now);
        }
    }

    // ---- Recovery ------------------------------------------------------------------------------

    /// <summary>
    /// After a crash: attempts that were running are gone. Kill what their processes left (their
    /// start times guard against pid reuse), revert their changes, and put them back to pending
    /// before anything else happens; then the run goes on where it was.
    /// </summary>
    private void Recovered()
    {
        if (_state.Phase == RunPhase.New) return;
        var active = _state.Phase is RunPhase.Running or RunPhase.Pausing or RunPhase.Cancelling;
        var interrupted = _state.Checkpoints.Where(c => c.State == CheckpointState.Running).ToList();
        // Attempts start before their start is durable, so a crash may leave writes from an
        // attempt the journal never heard of: the next attempt number of a pending checkpoint.
        var ghosts = active
            ? _state.Checkpoints.Where(c => c.State == CheckpointState.Pending).Select(c => new Writer(RunId, c.Name, c.Attempts + 1)).ToImmutableArray()
            : [];
        if (interrupted.Count == 0 && ghosts.IsEmpty)
        {
            if (active) Self.Tell(Continue.Instance);
            RebuildWrites();
            return;
        }
        var launches = interrupted.SelectMany(c => c.Launches).ToImmutableArray();
        if (interrupted.Count > 0)
            _log.LogWarning("recovered after a crash: {Attempts} interrupted ({Names}); killing what is left of {Alive} of their {Launched} processes; reverting their changes",
                interrupted.Count, string.Join(", ", interrupted.Select(c => $"{c.Name}#{c.Attempts}")), launches.Count(ProcessReaper.IsAlive), launches.Length);
        Become(Reverting);
        var attempts = interrupted.Select(c => new Writer(RunId, c.Name, c.Attempts)).ToImmutableArray();
        var doc = _docClient;
        FindGhosts().PipeTo(Self, success: found => new GhostsFound(attempts, found, launches), failure: _ => new GhostsFound(attempts, [], launches));

        async Task<ImmutableArray<Writer>> FindGhosts() =>
            ghosts.IsEmpty ? [] : [.. (await doc.FindWritesAsync([.. ghosts]).ConfigureAwait(false)).Select(w => w.Writer).Distinct()];
    }

    private void OnGhostsFound(GhostsFound found)
    {
        if (!found.Ghosts.IsEmpty)
            _log.LogWarning("recovered after a crash: {Count} attempts started just before it had written to the DOC ({Names}); reverting them",
                found.Ghosts.Length, string.Join(", ", found.Ghosts.Select(g => $"{g.Checkpoint}#{g.Attempt}")));
        var attempts = found.Interrupted.AddRange(found.Ghosts);
        if (attempts.IsEmpty)
        {
            Become(Active);
            Stash.UnstashAll();
            if (_state.Phase is RunPhase.Running or RunPhase.Pausing or RunPhase.Cancelling) Self.Tell(Continue.Instance);
            RebuildWrites();
            return;
        }
        RevertAsync(attempts, RunId, found.Launches)
            .PipeTo(Self, success: r => new InterruptedReverted([.. attempts.Select(w => (w.Checkpoint, w.Attempt))], r));
    }

    private void OnInterruptedReverted(InterruptedReverted reverted)
    {
        Become(Active);
        var now = Now;
        var events = new List<IRunEvent>(RaceErrors(reverted.Result));
        foreach (var (name, attempt) in reverted.Attempts)
        {
            // A lost start (the checkpoint is still pending) is always recorded as interrupted, which uses up its number.
            var wasRunning = _state[name].State == CheckpointState.Running;
            events.Add(wasRunning && _state.Phase == RunPhase.Cancelling ? new AttemptCancelled(name, attempt, now) : new AttemptInterrupted(name, attempt, now));
        }
        if (reverted.Result.Failure is { } failure)
            events.Add(new ErrorRecorded(new CheckpointError(reverted.Attempts[0].Name, reverted.Attempts[0].Attempt, CheckpointErrorKind.CleanupError, null,
                $"reverting interrupted attempts failed: {failure}", ImmutableSortedDictionary<string, string>.Empty, now)));
        events.AddRange(Interrupted(reverted.Result, now));
        events.AddRange(AfterRecovery());
        Commit(events);
        Stash.UnstashAll();
        RebuildWrites();
    }

    /// <summary>A recovered run goes on where it was, unless the engine is set to pause such runs.</summary>
    private IEnumerable<IRunEvent> AfterRecovery()
    {
        if (!_engine.Settings.ContinueAfterRecovery && _state.Phase == RunPhase.Running)
        {
            _log.LogWarning("recovered run is paused (continue-after-recovery is off); resume it to go on");
            yield return new PauseRequested(Now);
        }
    }

    private void RebuildWrites()
    {
        var writers = _state.Checkpoints.Where(c => c.State == CheckpointState.Completed).Select(c => new Writer(RunId, c.Name, c.Attempts)).ToArray();
        if (writers.Length == 0) return;
        _docClient.FindWritesAsync(writers).PipeTo(Self, success: nodes => new WritesRebuilt(nodes), failure: _ => new WritesRebuilt([]));
    }

    // ---- Races ---------------------------------------------------------------------------------

    /// <summary>Race checks still out; the run does not stop before they are in, so its error service is whole when it does.</summary>
    private int _raceChecks;

    private void CheckRaces(string checkpoint, int attempt)
    {
        _raceChecks++;
        _docClient.FindWritesAsync(new Writer(RunId, checkpoint, attempt))
            .PipeTo(Self, success: nodes => new WritesFound(checkpoint, attempt, nodes), failure: _ => new WritesFound(checkpoint, attempt, []));
    }

    private void OnWritesFound(WritesFound found)
    {
        _raceChecks--;
        var current = _state.Has(found.Checkpoint) && _state[found.Checkpoint] is { State: CheckpointState.Completed } record && record.Attempts == found.Attempt;
        Commit(current ? RacesOf(found.Checkpoint, found.Attempt, found.Nodes) : []);
    }

    /// <summary>Remembers what the checkpoint wrote and reports each unrelated checkpoint that wrote the same node.</summary>
    private List<IRunEvent> RacesOf(string checkpoint, int attempt, ImmutableArray<WrittenNode> nodes)
    {
        var mine = nodes.GroupBy(n => n.Node).ToDictionary(g => g.Key, g => g.First().Path);
        ForgetWrites(checkpoint);
        var races = new List<IRunEvent>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (node, path) in mine)
        {
            if (!_writersOf.TryGetValue(node, out var others)) continue;
            foreach (var other in others)
                if (!_state.Graph.AreOrdered(checkpoint, other) && reported.Add(other))
                    races.Add(RaceError(checkpoint, attempt, other, path));
        }
        if (mine.Count > 0) RememberWrites(checkpoint, mine);
        return races;
    }

    private void OnWritesRebuilt(WritesRebuilt rebuilt)
    {
        foreach (var group in rebuilt.Nodes.GroupBy(n => n.Writer.Checkpoint))
            RememberWrites(group.Key, group.GroupBy(n => n.Node).ToDictionary(g => g.Key, g => g.First().Path));
    }

    /// <summary>Sent to self after recovery to go on with a run that was active; local only.</summary>
    private sealed record Continue : INoSerializationVerificationNeeded
    {
        public static readonly Continue Instance = new();
    }

    /// <summary>Sent to self when a resume's reverts are done; local only.</summary>
    private sealed record ResumeReverted(RunResumed Resumed, RevertOutcome Result, IActorRef ReplyTo) : INoSerializationVerificationNeeded;

    /// <summary>Sent to self when recovery knows which lost attempts wrote to the DOC; local only.</summary>
    private sealed record GhostsFound(ImmutableArray<Writer> Interrupted, ImmutableArray<Writer> Ghosts, ImmutableArray<ProcessLaunch> Launches) : INoSerializationVerificationNeeded;

    /// <summary>Sent to self when the attempts a crash interrupted are reverted; local only.</summary>
    private sealed record InterruptedReverted(ImmutableArray<(string Name, int Attempt)> Attempts, RevertOutcome Result) : INoSerializationVerificationNeeded;

    private sealed record WritesFound(string Checkpoint, int Attempt, ImmutableArray<WrittenNode> Nodes) : INoSerializationVerificationNeeded;

    /// <summary>Sent to self when a completed attempt's writes are known, before its completion is recorded; local only.</summary>
    private sealed record CompletionChecked(string Checkpoint, int Attempt, ImmutableArray<WrittenNode> Nodes) : INoSerializationVerificationNeeded;

    private sealed record WritesRebuilt(ImmutableArray<WrittenNode> Nodes) : INoSerializationVerificationNeeded;
}
