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
        SnapshotNode NodeOf(TreeNode node) => new(
            node.Serial, node.Name, node.Kind, node.Properties, node.Version, StampOf(node.Inserted),
            node.ChildDeleters is { } deleters ? [.. deleters.Select(d => StampOf(new Stamp(d, 0)).Writer)] : [],
            node.PropertyStamps is { } stamps ? [.. stamps.Select(s => new SnapshotPropertyStamp(s.Key, StampOf(s.Stamp)))] : [],
            node.Children is { } children ? [.. children.Select(NodeOf)] : []);

        var undo = _undo.SelectMany(pair => pair.Value.Select(entry => (Writer: pair.Key, Entry: entry)))
            .OrderBy(x => x.Entry.Seq)
            .Select(x =>
            {
                var writer = StampOf(new Stamp(x.Writer, 0)).Writer;
                return x.Entry switch
                {
                    UndoEntry.Inserted e => new SnapshotUndo(writer, InsertedType, e.Seq, e.PriorVersion, e.ParentSerial, [.. e.Serials], 0, 0, 0, null, []),
                    UndoEntry.Deleted e => new SnapshotUndo(writer, DeletedType, e.Seq, e.PriorVersion, e.ParentSerial, [], e.Index, e.Left, e.Right, NodeOf(e.Node), []),
                    UndoEntry.Properties e => new SnapshotUndo(writer, PropertiesType, e.Seq, e.PriorVersion, e.Serial, [], 0, 0, 0, null,
                        [.. e.Changes.Select(c => new SnapshotPropertyChange(c.Key, c.Old, c.PreviousStamp is { } p ? StampOf(p) : null))]),
                    _ => throw new InvalidOperationException($"unknown undo entry {x.Entry.GetType().Name}"),
                };
            })
            .ToImmutableArray();

        var root = Root is { } r ? NodeOf(r) : null;
        return new SubtreeSnapshot(RootName, MountName, _nextSerial, _seq, [.. writers], root, undo);
    }

    public static SubtreeState FromSnapshot(SubtreeSnapshot snapshot)
    {
        var state = new SubtreeState(snapshot.RootName, snapshot.MountName) { _nextSerial = snapshot.NextSerial, _seq = snapshot.Sequence };
        var writers = snapshot.Writers.Select(state.Intern).ToArray();
        Stamp StampOf(SnapshotStamp s) => new(s.Writer < 0 ? null : writers[s.Writer], s.Seq);
        var all = new Dictionary<long, TreeNode>();
        TreeNode Build(SnapshotNode n, TreeNode? parent)
        {
            var node = new TreeNode(n.Serial, n.Name, n.Kind, n.Properties)
            {
                Parent = parent,
                Version = n.Version,
                Inserted = StampOf(n.Inserted),
                ChildDeleters = n.ChildDeleters.IsDefaultOrEmpty ? null : [.. n.ChildDeleters.Select(i => writers[i])],
                PropertyStamps = n.PropertyStamps.IsDefaultOrEmpty ? null : [.. n.PropertyStamps.Select(p => (p.Key, StampOf(p.Stamp)))],
            };
            all[node.Serial] = node;
            if (!n.Children.IsDefaultOrEmpty) node.Children = [.. n.Children.Select(c => Build(c, node))];
            return node;
        }

        if (snapshot.Root is { } root)
        {
            var node = Build(root, state._fixedRoot);
            state._fixedRoot.Children!.Add(node);
            foreach (var n in node.SelfAndDescendants()) state._nodes[n.Serial] = n;
        }

        var detached = new List<(UndoEntry.Deleted Entry, Writer Writer)>();
        foreach (var u in snapshot.Undo.NullToEmpty())
        {
            var writer = writers[u.Writer];
            UndoEntry entry = u.Type switch
            {
                InsertedType => new UndoEntry.Inserted(u.Seq, u.PriorVersion, u.ParentSerial, [.. u.Serials]),
                DeletedType => new UndoEntry.Deleted(u.Seq, u.PriorVersion, u.ParentSerial, u.Index, u.Left, u.Right, Build(u.Node!, null)),
                PropertiesType => new UndoEntry.Properties(u.Seq, u.PriorVersion, u.ParentSerial,
                    [.. u.Changes.Select(c => new PropertyChange(c.Key, c.Old, c.PreviousStamp is { } p ? StampOf(p) : null))]),
                _ => throw new InvalidOperationException($"unknown undo entry type '{u.Type}' in snapshot of {snapshot.RootName}/{snapshot.MountName}"),
            };
            state.UndoLog(writer).Add(entry);
            if (entry is UndoEntry.Deleted deleted) detached.Add((deleted, writer));
        }

        // Detached subtrees keep a link to their old parent (which may itself be detached) so conflicts can name a path.
        foreach (var (entry, writer) in detached)
        {
            entry.Node.Parent = entry.ParentSerial == 0 ? state._fixedRoot : all.GetValueOrDefault(entry.ParentSerial);
            foreach (var n in entry.Node.SelfAndDescendants()) state._deletedBy[n.Serial] = (writer, n);
        }
        return state;
    }
}
