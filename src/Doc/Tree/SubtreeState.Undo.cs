using System.Collections.Immutable;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Tree;

internal sealed partial class SubtreeState
{
    // Entries undone so far by the revert in progress; they stay in the logs until it commits.
    private readonly HashSet<UndoEntry> _undoneInRevert = new(ReferenceEqualityComparer.Instance);

    // Entries of one event share a Seq; their order in the writer's log breaks the tie.
    private static readonly Comparer<(long Seq, int Index)> NewestFirst = Comparer<(long Seq, int Index)>.Create((a, b) => b.CompareTo(a));

    /// <summary>
    /// Undoes every change of the given writers, newest first across all of them. A change made on
    /// top by another writer is a conflict: with <paramref name="cascade"/> that writer joins the
    /// set, otherwise nothing changes and the conflict is returned. A dry run checks and changes nothing.
    /// </summary>
    public DocError? Revert(IEnumerable<Writer> writers, bool cascade, bool dryRun, out ImmutableArray<Writer> reverted) =>
        Revert(writers, cascade, dryRun, out reverted, out _);

    /// <summary>As above; <paramref name="undone"/> counts the entries taken back (0: nothing changed).</summary>
    public DocError? Revert(IEnumerable<Writer> writers, bool cascade, bool dryRun, out ImmutableArray<Writer> reverted, out int undone)
    {
        undone = 0;
        var set = new List<Writer>();
        var queue = new PriorityQueue<(Writer Writer, UndoEntry Entry), (long, int)>(NewestFirst);
        void Join(Writer writer)
        {
            writer = Intern(writer);
            if (set.Contains(writer)) return;
            set.Add(writer);
            if (_undo.TryGetValue(writer, out var log))
                for (var i = 0; i < log.Count; i++) queue.Enqueue((writer, log[i]), (log[i].Seq, i));
        }
        foreach (var writer in writers) Join(writer);

        var redo = new List<Action>();
        _undoneInRevert.Clear();
        while (queue.TryDequeue(out var item, out var priority))
        {
            var conflict = ConflictOf(item.Writer, item.Entry);
            if (conflict is { } c)
            {
                if (cascade && !set.Contains(c.Writer))
                {
                    // The newcomer may have changes newer than some already undone: put all back
                    // and start over with the larger set, so the order stays newest first overall.
                    Redo(redo);
                    redo.Clear();
                    _undoneInRevert.Clear();
                    undone = 0;
                    queue.Clear();
                    var writersSoFar = set.ToList();
                    set.Clear();
                    foreach (var w in writersSoFar) Join(w);
                    Join(c.Writer);
                    continue;
                }
                Redo(redo);
                _undoneInRevert.Clear();
                reverted = ImmutableArray<Writer>.Empty;
                return new DocError.RevertConflict(item.Writer, c.Writer, c.Path);
            }
            redo.Add(Undo(item.Writer, item.Entry, bumpVersions: true));
            _undoneInRevert.Add(item.Entry);
            undone++;
        }

        _undoneInRevert.Clear();
        if (dryRun) Redo(redo);
        else foreach (var writer in set) _undo.Remove(writer);
        reverted = [.. set];
        return null;
    }

    private static void Redo(List<Action> redo)
    {
        for (var i = redo.Count - 1; i >= 0; i--) redo[i]();
    }

    /// <summary>The other writer (and where) whose later change stands on top of this entry, if any.</summary>
    private (Writer Writer, string Path)? ConflictOf(Writer writer, UndoEntry entry)
    {
        switch (entry)
        {
            case UndoEntry.Inserted e:
                foreach (var serial in e.Serials)
                {
                    if (!_nodes.TryGetValue(serial, out var node)) return DeletedBy(serial);
                    foreach (var n in node.SelfAndDescendants())
                    {
                        if (n.Inserted.Writer != writer) return (n.Inserted.Writer!, PathOf(n));
                        if (n.ChildDeleters?.FirstOrDefault(d => d != writer) is { } deleter) return (deleter, PathOf(n));
                        if (n.PropertyStamps is { } stamps)
                            foreach (var (key, stamp) in stamps)
                                if (stamp.Writer != writer) return (stamp.Writer!, PathOf(n) + "." + key);
                    }
                }
                return null;
            case UndoEntry.Deleted e:
                if (e.ParentSerial == 0)
                {
                    // The root was created again after this deletion (maybe deleted since): that
                    // creation stands on this deletion, whoever wrote it.
                    foreach (var (other, log) in _undo)
                        if (other != writer && log.OfType<UndoEntry.Inserted>().Any(i => i.ParentSerial == 0 && i.Seq > e.Seq && !_undoneInRevert.Contains(i)))
                            return (other, MountPath);
                    return null;
                }
                return _nodes.ContainsKey(e.ParentSerial) ? null : DeletedBy(e.ParentSerial);
            case UndoEntry.Properties e:
                if (!_nodes.TryGetValue(e.Serial, out var target)) return DeletedBy(e.Serial);
                var own = new Stamp(writer, e.Seq);
                foreach (var change in e.Changes)
                {
                    var stamp = target.StampOf(change.Key);
                    if (stamp != own) return (stamp.Writer!, PathOf(target) + "." + change.Key);
                }
                return null;
            default:
                throw new ArgumentException($"unknown undo entry {entry.GetType().Name}", nameof(entry));
        }
    }

    private (Writer Writer, string Path) DeletedBy(long serial) =>
        _deletedBy.TryGetValue(serial, out var tomb)
            ? (tomb.Writer, PathOf(tomb.Node))
            : throw new InvalidOperationException($"node {serial} of {Key} is neither present nor deleted");

    /// <summary>
    /// Takes back one entry and returns how to put it back. A revert bumps versions (it is a change
    /// others may have read past); rolling back a refused batch restores them exactly.
    /// </summary>
    private Action Undo(Writer writer, UndoEntry entry, bool bumpVersions)
    {
        switch (entry)
        {
            case UndoEntry.Inserted e:
            {
                var parent = NodeOrFixedRoot(e.ParentSerial);
                var version = parent.Version;
                var removed = new List<(TreeNode Node, int Index)>(e.Serials.Length);
                for (var i = e.Serials.Length - 1; i >= 0; i--)
                {
                    var node = _nodes[e.Serials[i]];
                    removed.Add((node, Remove(node)));
                }
                parent.Version = bumpVersions ? parent.Version + 1 : e.PriorVersion;
                return () =>
                {
                    for (var i = removed.Count - 1; i >= 0; i--) Reinsert(removed[i].Node, parent, removed[i].Index);
                    parent.Version = version;
                };
            }
            case UndoEntry.Deleted e:
            {
                var parent = NodeOrFixedRoot(e.ParentSerial);
                var (version, deleters) = (parent.Version, parent.ChildDeleters?.ToList());
                Unhide(e.Node);
                // This deletion was the writer's latest one under this parent still standing.
                if (parent.ChildDeleters is { } list)
                {
                    var last = list.LastIndexOf(writer);
                    if (last >= 0) list.RemoveAt(last);
                    if (list.Count == 0) parent.ChildDeleters = null;
                }
                parent.Version = bumpVersions ? parent.Version + 1 : e.PriorVersion;
                return () =>
                {
                    Hide(e.Node, writer);
                    (parent.ChildDeleters, parent.Version) = (deleters, version);
                };
            }
            case UndoEntry.Properties e:
            {
                var node = _nodes[e.Serial];
                var (properties, stamps, version) = (node.Properties, node.PropertyStamps?.ToArray(), node.Version);
                for (var i = e.Changes.Length - 1; i >= 0; i--)
                {
                    var change = e.Changes[i];
                    node.Properties = change.Old is null
                        ? node.Properties.RemoveKeys([change.Key])
                        : node.Properties.SetItems([new(change.Key, change.Old)]);
                    node.SetStamp(change.Key, change.PreviousStamp);
                }
                node.Version = bumpVersions ? node.Version + 1 : e.PriorVersion;
                return () => (node.Properties, node.PropertyStamps, node.Version) = (properties, stamps, version);
            }
            default:
                throw new ArgumentException($"unknown undo entry {entry.GetType().Name}", nameof(entry));
        }
    }

    /// <summary>Takes back, exactly, everything a refused batch applied.</summary>
    private void RollBack(Writer writer, int logCount, long seq, long nextSerial)
    {
        if (_undo.TryGetValue(writer, out var log))
        {
            for (var i = log.Count - 1; i >= logCount; i--)
            {
                Undo(writer, log[i], bumpVersions: false);
                log.RemoveAt(i);
            }
            if (log.Count == 0) _undo.Remove(writer);
        }
        _seq = seq;
        _nextSerial = nextSerial;
    }
}
