using System.Collections.Immutable;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Tree;

/// <summary>
/// The state of one DOC subtree (one child of <c>/persistent</c> or <c>/volatile</c>) and its pure
/// domain logic: <see cref="Decide"/> turns a command into events, <see cref="Apply"/> applies an
/// event. No actor code here, so all of it is testable without an ActorSystem.
/// The subtree sees the DOC as a chain: the DOC root, its fixed root (<see cref="RootName"/>),
/// then its own root node (the mount), whose name is <see cref="MountName"/>.
/// </summary>
internal sealed partial class SubtreeState
{
    private readonly Dictionary<long, TreeNode> _nodes = new();
    private readonly Dictionary<long, (Writer Writer, TreeNode Node)> _deletedBy = new();
    private readonly Dictionary<Writer, List<UndoEntry>> _undo = new();
    private readonly Dictionary<Writer, Writer> _writers = new();
    private readonly TreeNode _docRoot;
    private readonly TreeNode _fixedRoot;
    private long _nextSerial = 1;
    private long _seq;

    // While a batch is decided, every undo entry is kept so a refused batch can be rolled back exactly.
    private bool _deciding;

    public SubtreeState(string rootName, string mountName)
    {
        RootName = rootName;
        MountName = mountName;
        _docRoot = new TreeNode(-1, "", DocNames.RootKind, PropertyMap.Empty);
        _fixedRoot = new TreeNode(0, rootName, DocNames.RootKind, PropertyMap.Empty) { Parent = _docRoot };
        _docRoot.Children = [_fixedRoot];
        _fixedRoot.Children = [];
        MountPath = "/" + rootName + "/" + DocPathParser.EncodeName(mountName);
        Key = rootName + "/" + mountName;
    }

    public string RootName { get; }
    public string MountName { get; }
    public string Key { get; }
    public string MountPath { get; }

    /// <summary>The subtree's own root node, null while the subtree is empty (never created or deleted).</summary>
    public TreeNode? Root => _fixedRoot.Children!.FirstOrDefault(c => !c.Hidden);

    public int NodeCount => _nodes.Count;

    /// <summary>Number of changes applied; orders undo entries across writers.</summary>
    public long Sequence => _seq;

    public IReadOnlyCollection<Writer> WritersWithChanges => _undo.Keys;

    public bool TryGetNode(long serial, out TreeNode node) => _nodes.TryGetValue(serial, out node!);

    public NodeId IdOf(TreeNode node) => node.Serial switch
    {
        0 => new NodeId(RootName, 0),
        < 0 => NodeId.Root,
        _ => new NodeId(Key, node.Serial),
    };

    public bool IsFixed(TreeNode node) => node.Serial <= 0;

    /// <summary>A node's canonical path, built once per node (and its ancestors) and then kept on it.</summary>
    public string PathOf(TreeNode node)
    {
        if (node.Path is { } known) return known;
        if (node == _docRoot) return "/";
        if (node == _fixedRoot) return _fixedRoot.Path ??= "/" + RootName;
        var unknown = new Stack<TreeNode>();
        var n = node;
        for (; n.Path is null && n.Serial > 0; n = n.Parent!) unknown.Push(n);
        var path = n.Serial > 0 ? n.Path! : PathOf(n);
        while (unknown.TryPop(out var next)) path = next.Path = path + "/" + DocPathParser.EncodeName(next.Name);
        return path;
    }

    private Writer Intern(Writer writer)
    {
        if (_writers.TryGetValue(writer, out var known)) return known;
        _writers[writer] = writer;
        return writer;
    }

    private List<UndoEntry> UndoLog(Writer writer)
    {
        if (!_undo.TryGetValue(writer, out var log)) _undo[writer] = log = [];
        return log;
    }

    private TreeNode NodeOrFixedRoot(long serial) => serial == 0 ? _fixedRoot : _nodes[serial];

    // ---- Apply ----------------------------------------------------------------------------------

    /// <summary>Applies a persisted event. Events come from <see cref="Decide"/> or the journal, so they are valid here.</summary>
    public void Apply(IDocEvent evt)
    {
        var writer = Intern(evt.Writer);
        switch (evt)
        {
            case ChildrenInserted e: ApplyInserted(writer, e); break;
            case NodesDeleted e: ApplyDeleted(writer, e); break;
            case PropertiesSet e: ApplyPropertiesSet(writer, e); CompactLast(writer); break;
            case PropertiesRemoved e: ApplyPropertiesRemoved(writer, e); CompactLast(writer); break;
            case WritersReverted e:
                var error = Revert(e.Reverted, cascade: false, dryRun: false, out _);
                if (error is not null) throw new InvalidOperationException($"journal replay of a revert failed: {error.Message}");
                break;
            default: throw new ArgumentException($"unknown DOC event {evt.GetType().Name}", nameof(evt));
        }
    }

    private void ApplyInserted(Writer writer, ChildrenInserted e)
    {
        var stamp = new Stamp(writer, ++_seq);
        var parent = NodeOrFixedRoot(e.ParentSerial);
        var children = parent.Children ??= new List<TreeNode>(e.Nodes.Length);
        var index = Math.Clamp(e.Index, 0, children.Count);
        var serials = new long[e.Nodes.Length];
        for (var i = 0; i < e.Nodes.Length; i++)
        {
            var node = Build(e.Nodes[i], parent, stamp);
            children.Insert(index + i, node);
            serials[i] = node.Serial;
        }
        UndoLog(writer).Add(new UndoEntry.Inserted(stamp.Seq, parent.Version, e.ParentSerial, serials));
        parent.Version++;
    }

    private TreeNode Build(NodeData data, TreeNode parent, Stamp stamp)
    {
        var node = new TreeNode(data.Serial, data.Name, data.Kind, data.Properties) { Parent = parent, Inserted = stamp };
        _nodes.Add(node.Serial, node);
        if (data.Serial >= _nextSerial) _nextSerial = data.Serial + 1;
        if (!data.Children.IsDefaultOrEmpty)
        {
            node.Children = new List<TreeNode>(data.Children.Length);
            foreach (var child in data.Children) node.Children.Add(Build(child, node, stamp));
        }
        return node;
    }

    private void ApplyDeleted(Writer writer, NodesDeleted e)
    {
        var stamp = new Stamp(writer, ++_seq);
        var log = UndoLog(writer);
        foreach (var serial in e.Serials)
        {
            var node = _nodes[serial];
            var parent = node.Parent!;
            log.Add(new UndoEntry.Deleted(stamp.Seq, parent.Version, parent.Serial, node));
            Hide(node, writer);
            parent.Version++;
            (parent.ChildDeleters ??= []).Add(writer);
        }
    }

    private void ApplyPropertiesSet(Writer writer, PropertiesSet e)
    {
        var stamp = new Stamp(writer, ++_seq);
        var node = _nodes[e.Serial];
        var changes = new PropertyChange[e.Values.Count];
        var i = 0;
        foreach (var (key, _) in e.Values)
        {
            changes[i++] = new PropertyChange(key, node.Properties.TryGetValue(key, out var old) ? old : null, node.ExplicitStamp(key));
            node.SetStamp(key, stamp);
        }
        UndoLog(writer).Add(new UndoEntry.Properties(stamp.Seq, node.Version, node.Serial, changes));
        node.Properties = node.Properties.SetItems(e.Values);
        node.Version++;
    }

    /// <summary>Whether every one of these properties was last set (or, never set, inserted) by the writer.</summary>
    private static bool OwnsAll(Writer writer, TreeNode node, PropertyMap values)
    {
        foreach (var (key, _) in values)
            if ((node.ExplicitStamp(key)?.Writer ?? node.Inserted.Writer) != writer) return false;
        return true;
    }

    /// <summary>What <see cref="ApplyPropertiesSet"/> followed by <see cref="Compact"/> leaves when the writer owns every property set.</summary>
    private void ApplyOwnedSet(TreeNode node, PropertyMap values)
    {
        ++_seq;
        node.Properties = node.Properties.SetItems(values);
        node.Version++;
    }

    private void ApplyPropertiesRemoved(Writer writer, PropertiesRemoved e)
    {
        var stamp = new Stamp(writer, ++_seq);
        var node = _nodes[e.Serial];
        var changes = new List<PropertyChange>(e.Names.Length);
        foreach (var key in e.Names)
        {
            if (!node.Properties.TryGetValue(key, out var old)) continue;
            changes.Add(new PropertyChange(key, old, node.ExplicitStamp(key)));
            node.SetStamp(key, stamp);
        }
        UndoLog(writer).Add(new UndoEntry.Properties(stamp.Seq, node.Version, node.Serial, [.. changes]));
        node.Properties = node.Properties.RemoveKeys(e.Names);
        node.Version++;
    }

    private void CompactLast(Writer writer)
    {
        if (!_deciding) Compact(writer, _undo[writer].Count - 1);
    }

    /// <summary>
    /// Drops property changes that the writer made on top of its own earlier change (or on a node
    /// it inserted): its first entry already restores the value from before it, so the undo log
    /// grows with what a writer changed, not with how often. The property keeps the stamp of that
    /// first change, which is what reverting it checks against.
    /// </summary>
    private void Compact(Writer writer, int from)
    {
        var log = _undo[writer];
        // Nearly every batch is one change of one property the writer already owns: drop it outright.
        if (from == log.Count - 1 && log[from] is UndoEntry.Properties { Changes.Length: 1 } single && NodeAnywhere(single.Serial) is { } target
            && (single.Changes[0].PreviousStamp?.Writer ?? target.Inserted.Writer) == writer)
        {
            log.RemoveAt(from);
            target.SetStamp(single.Changes[0].Key, single.Changes[0].PreviousStamp);
            return;
        }
        // Batches are small: the properties taken over so far are few, so a list searched in order does.
        List<(long Serial, string Key, Stamp? Stamp)>? owners = null;
        for (var i = from; i < log.Count; i++)
        {
            if (log[i] is not UndoEntry.Properties entry || NodeAnywhere(entry.Serial) is not { } node) continue;
            List<PropertyChange>? kept = null;
            for (var c = 0; c < entry.Changes.Length; c++)
            {
                var change = entry.Changes[c];
                var owner = owners is null ? -1 : owners.FindIndex(o => o.Serial == entry.Serial && o.Key == change.Key);
                var previous = owner >= 0 ? owners![owner].Stamp : change.PreviousStamp;
                var ownedBefore = (previous?.Writer ?? node.Inserted.Writer) == writer;
                if (!ownedBefore)
                {
                    kept?.Add(change);
                    continue;
                }
                kept ??= c == 0 ? [] : [.. entry.Changes.AsSpan(0, c)];
                if (owner < 0) (owners ??= []).Add((entry.Serial, change.Key, previous));
            }
            if (kept is null) continue;
            if (kept.Count == 0) log.RemoveAt(i--);
            else log[i] = entry with { Changes = [.. kept] };
        }
        if (owners is null) return;
        foreach (var (serial, key, stamp) in owners) NodeAnywhere(serial)?.SetStamp(key, stamp);
    }

    /// <summary>A node whether visible or deleted (a batch may change a node, then delete it).</summary>
    private TreeNode? NodeAnywhere(long serial) =>
        _nodes.TryGetValue(serial, out var node) ? node : _deletedBy.TryGetValue(serial, out var tomb) ? tomb.Node : null;

    /// <summary>Deletes: the node stays in its parent's list, hidden, and leaves the index.</summary>
    private void Hide(TreeNode node, Writer deleter)
    {
        node.Hidden = true;
        node.Parent!.HiddenChildren++;
        foreach (var n in node.SelfAndDescendants())
        {
            _nodes.Remove(n.Serial);
            _deletedBy[n.Serial] = (deleter, n);
        }
    }

    private void Unhide(TreeNode node)
    {
        node.Hidden = false;
        node.Parent!.HiddenChildren--;
        foreach (var n in node.SelfAndDescendants())
        {
            _nodes[n.Serial] = n;
            _deletedBy.Remove(n.Serial);
        }
    }

    /// <summary>Takes an inserted node out altogether (its insertion undone).</summary>
    private int Remove(TreeNode node)
    {
        var index = node.Parent!.Children!.IndexOf(node);
        node.Parent.Children.RemoveAt(index);
        foreach (var n in node.SelfAndDescendants()) _nodes.Remove(n.Serial);
        return index;
    }

    private void Reinsert(TreeNode node, TreeNode parent, int index)
    {
        node.Parent = parent;
        (parent.Children ??= []).Insert(index, node);
        foreach (var n in node.SelfAndDescendants()) _nodes[n.Serial] = n;
    }
}
