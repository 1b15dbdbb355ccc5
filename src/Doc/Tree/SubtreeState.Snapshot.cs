using System.Collections.Immutable;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Tree;

internal sealed partial class SubtreeState
{
    private const string InsertedType = "inserted", DeletedType = "deleted", PropertiesType = "properties";

    public SubtreeSnapshot ToSnapshot()
    {
        var writers = new List<Writer>();
        var index = new Dictionary<Writer, int>();
        SnapshotStamp StampOf(Stamp stamp)
        {
            if (stamp.Writer is null) return new SnapshotStamp(-1, stamp.Seq);
            if (!index.TryGetValue(stamp.Writer, out var i)) { i = writers.Count; writers.Add(stamp.Writer); index[stamp.Writer] = i; }
            return new SnapshotStamp(i, stamp.Seq);
        }
        SnapshotNode NodeOf(TreeNode node) => NodeUnder(node, null);
        SnapshotNode NodeUnder(TreeNode node, TreeNode? parent) => new(
            node.Serial, node.Name, node.Kind, node.Properties, node.Version,
            parent is not null && parent.Inserted == node.Inserted ? null : StampOf(node.Inserted),
            node.ChildDeleters is { } deleters ? [.. deleters.Select(d => StampOf(new Stamp(d, 0)).Writer)] : [],
            node.PropertyStamps is { } stamps ? [.. stamps.Select(s => new SnapshotPropertyStamp(s.Key, StampOf(s.Stamp)))] : [],
            node.Children is { } children ? [.. children.Select(c => NodeUnder(c, node))] : [],
            node.Hidden);

        var undo = _undo.SelectMany(pair => pair.Value.Select(entry => (Writer: pair.Key, Entry: entry)))
            .OrderBy(x => x.Entry.Seq)
            .Select(x =>
            {
                var writer = StampOf(new Stamp(x.Writer, 0)).Writer;
                return x.Entry switch
                {
                    UndoEntry.Inserted e => new SnapshotUndo(writer, InsertedType, e.Seq, e.PriorVersion, e.ParentSerial, [.. e.Serials], []),
                    UndoEntry.Deleted e => new SnapshotUndo(writer, DeletedType, e.Seq, e.PriorVersion, e.ParentSerial, [e.Node.Serial], []),
                    UndoEntry.Properties e => new SnapshotUndo(writer, PropertiesType, e.Seq, e.PriorVersion, e.Serial, [],
                        [.. e.Changes.Select(c => new SnapshotPropertyChange(c.Key, c.Old, c.PreviousStamp is { } p ? StampOf(p) : null))]),
                    _ => throw new InvalidOperationException($"unknown undo entry {x.Entry.GetType().Name}"),
                };
            })
            .ToImmutableArray();

        var roots = _fixedRoot.Children!.Select(NodeOf).ToImmutableArray();
        return new SubtreeSnapshot(RootName, MountName, _fixedRoot.Version, _nextSerial, _seq, [.. writers], roots, undo);
    }

    public static SubtreeState FromSnapshot(SubtreeSnapshot snapshot)
    {
        var state = new SubtreeState(snapshot.RootName, snapshot.MountName) { _nextSerial = snapshot.NextSerial, _seq = snapshot.Sequence };
        state._fixedRoot.Version = snapshot.FixedRootVersion;
        var writers = snapshot.Writers.Select(state.Intern).ToArray();
        Stamp StampOf(SnapshotStamp s) => new(s.Writer < 0 ? null : writers[s.Writer], s.Seq);
        var all = new Dictionary<long, TreeNode>();
        TreeNode Build(SnapshotNode n, TreeNode? parent)
        {
            var node = new TreeNode(n.Serial, n.Name, n.Kind, n.Properties)
            {
                Parent = parent,
                Version = n.Version,
                Inserted = n.Inserted is { } inserted ? StampOf(inserted) : parent!.Inserted,
                ChildDeleters = n.ChildDeleters.IsDefaultOrEmpty ? null : [.. n.ChildDeleters.Select(i => writers[i])],
                PropertyStamps = n.PropertyStamps.IsDefaultOrEmpty ? null : [.. n.PropertyStamps.Select(p => (p.Key, StampOf(p.Stamp)))],
                Hidden = n.Hidden,
            };
            all[node.Serial] = node;
            if (!n.Children.IsDefaultOrEmpty)
            {
                node.Children = [.. n.Children.Select(c => Build(c, node))];
                node.HiddenChildren = node.Children.Count(c => c.Hidden);
            }
            return node;
        }

        foreach (var root in snapshot.Roots.NullToEmpty())
        {
            var node = Build(root, state._fixedRoot);
            state._fixedRoot.Children!.Add(node);
            if (node.Hidden) state._fixedRoot.HiddenChildren++;
            else foreach (var n in node.SelfAndDescendants()) state._nodes[n.Serial] = n;
        }

        var deletions = new List<(UndoEntry.Deleted Entry, Writer Writer)>();
        foreach (var u in snapshot.Undo.NullToEmpty())
        {
            var writer = writers[u.Writer];
            UndoEntry entry = u.Type switch
            {
                InsertedType => new UndoEntry.Inserted(u.Seq, u.PriorVersion, u.ParentSerial, [.. u.Serials]),
                DeletedType => new UndoEntry.Deleted(u.Seq, u.PriorVersion, u.ParentSerial, all[u.Serials[0]]),
                PropertiesType => new UndoEntry.Properties(u.Seq, u.PriorVersion, u.ParentSerial,
                    [.. u.Changes.Select(c => new PropertyChange(c.Key, c.Old, c.PreviousStamp is { } p ? StampOf(p) : null))]),
                _ => throw new InvalidOperationException($"unknown undo entry type '{u.Type}' in snapshot of {snapshot.RootName}/{snapshot.MountName}"),
            };
            state.UndoLog(writer).Add(entry);
            if (entry is UndoEntry.Deleted deleted) deletions.Add((deleted, writer));
        }

        foreach (var (entry, writer) in deletions)
            foreach (var n in entry.Node.SelfAndDescendants()) state._deletedBy[n.Serial] = (writer, n);
        return state;
    }
}
