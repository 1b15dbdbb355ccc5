using System.Collections.Immutable;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Tests.Tree;

/// <summary>
/// A deliberately plain model of one DOC subtree (<c>/persistent/target</c>), written without
/// looking at how <c>SubtreeState</c> does it: a mutable tree plus the list of every change that
/// happened, by node identity. Its semantics, stated once:
/// <list type="bullet">
/// <item>A batch applies its mutations in order to a copy; the first error discards the copy (serials too).</item>
/// <item>Reverting writers S = the tree you get by replaying, from empty, every change not made by S.
/// A change made later by a writer outside S that <see cref="DependsOn"/> a change of S is a conflict;
/// with cascade its writer joins S (to a fixed point).</item>
/// <item>Positions replay by identity: "append", or "before/after node N" (the sibling the name
/// resolved to at the time). When that sibling is missing on replay (a reverted writer inserted it),
/// the outcome is undefined and <see cref="UndefinedReplay"/> is thrown, unless lenient, where it appends.</item>
/// </list>
/// </summary>
internal sealed class ReferenceModel
{
    public const string Subtree = "persistent/target";
    public const string MountName = "target";
    public static readonly NodeId FixedRootId = new("persistent", 0);

    public sealed class Node(long id, string name, string kind)
    {
        public long Id { get; } = id;
        public string Name { get; } = name;
        public string Kind { get; } = kind;
        public SortedDictionary<string, DocValue> Properties { get; } = new(StringComparer.Ordinal);
        public List<Node> Children { get; } = [];
        public Node? Parent { get; set; }

        public IEnumerable<Node> SelfAndDescendants()
        {
            yield return this;
            foreach (var child in Children)
                foreach (var node in child.SelfAndDescendants())
                    yield return node;
        }
    }

    public enum Placement { Append, Before, After }

    /// <summary>What one change did, by node identity. Replaying these rebuilds the tree.</summary>
    public abstract record Change(Writer Writer);

    public sealed record Inserted(Writer Writer, long Parent, Placement Placement, long Anchor, ImmutableArray<NewTree> Nodes) : Change(Writer);

    public sealed record Deleted(Writer Writer, long Node) : Change(Writer);

    public sealed record PropertiesSet(Writer Writer, long Node, ImmutableArray<KeyValuePair<string, DocValue>> Values) : Change(Writer);

    public sealed record PropertiesRemoved(Writer Writer, long Node, ImmutableArray<string> Keys) : Change(Writer);

    public sealed record NewTree(long Id, string Name, string Kind, ImmutableArray<KeyValuePair<string, DocValue>> Properties, ImmutableArray<NewTree> Children);

    /// <summary>What a change touched in the tree it was applied to: the nodes it created, whose child list it changed, the nodes it removed, the properties it changed.</summary>
    private sealed record Footprint(ImmutableHashSet<long> Created, long? Structure, ImmutableHashSet<long> Removed, long? PropertiesOf, ImmutableHashSet<string> Keys);

    public sealed class UndefinedReplay(string message) : Exception(message);

    /// <summary>The tree: the fixed root <c>/persistent</c> (id 0) holds at most the subtree root.</summary>
    private sealed class World
    {
        public Node Fixed { get; } = new(0, "persistent", DocNames.RootKind);
        public Dictionary<long, Node> Nodes { get; } = [];

        public World Clone()
        {
            var copy = new World();
            void CopyChildren(Node from, Node to)
            {
                foreach (var child in from.Children)
                {
                    var clone = new Node(child.Id, child.Name, child.Kind) { Parent = to };
                    foreach (var (key, value) in child.Properties) clone.Properties[key] = value;
                    to.Children.Add(clone);
                    copy.Nodes.Add(clone.Id, clone);
                    CopyChildren(child, clone);
                }
            }
            CopyChildren(Fixed, copy.Fixed);
            return copy;
        }
    }

    private World _world = new();
    private List<(Change Change, Footprint Footprint)> _history = [];

    public long NextSerial { get; private set; } = 1;

    /// <summary>Writers with changes still in the tree.</summary>
    public IEnumerable<Writer> LiveWriters => _history.Select(h => h.Change.Writer).Distinct();

    /// <summary>Ids of the subtree's nodes, pre-order (empty when there is no subtree root).</summary>
    public IReadOnlyList<long> LiveIds => _world.Fixed.Children.SelectMany(n => n.SelfAndDescendants()).Select(n => n.Id).ToList();

    public TreeShape? Shape()
    {
        static TreeShape Of(Node node) => new(node.Id, node.Name, node.Kind, PropertyMap.From(node.Properties), [.. node.Children.Select(Of)]);
        return _world.Fixed.Children.Count == 0 ? null : Of(_world.Fixed.Children[0]);
    }

    // ---- Queries -----------------------------------------------------------------------------

    /// <summary>
    /// Evaluates a parsed path from the DOC root (which holds <c>/persistent</c> only): each step
    /// takes, from each node reached so far, its matching children or its matching descendants in
    /// pre-order down to the step's depth, at most the step's count of them per starting node.
    /// The fixed roots are never part of the answer. Returns the serials matched.
    /// </summary>
    public IReadOnlyList<long> Find(Caiman.Doc.Paths.DocPath path)
    {
        var docRoot = new Node(-1, "", DocNames.RootKind);
        docRoot.Children.Add(_world.Fixed);
        IEnumerable<Node> current = [docRoot];
        foreach (var step in path.Segments)
        {
            bool Matches(Node n) => (step.Name is null || n.Name == step.Name) && (step.Kind is null || n.Kind == step.Kind);
            IEnumerable<Node> Below(Node start, int depth) =>
                step.Axis == Caiman.Doc.Paths.PathAxis.Child || depth >= (step.MaxDepth ?? int.MaxValue)
                    ? start.Children
                    : start.Children.SelectMany(c => new[] { c }.Concat(Below(c, depth + 1)));
            current = current.SelectMany(start => Below(start, 1).Where(Matches).Take(step.MaxCount ?? int.MaxValue)).ToList();
        }
        docRoot.Children.Clear();
        return [.. current.Where(n => n.Id > 0).Select(n => n.Id)];
    }

    /// <summary>The property values of the given nodes that have it, in order.</summary>
    public IReadOnlyList<DocValue> Values(IEnumerable<long> serials, string property) =>
        [.. serials.Select(id => _world.Nodes[id]).Where(n => n.Properties.ContainsKey(property)).Select(n => n.Properties[property])];

    // ---- Mutations ---------------------------------------------------------------------------

    /// <summary>
    /// Applies a batch (nodes addressed by id). Returns null, or the name of the <see cref="DocError"/>
    /// case the batch must be refused with; <paramref name="inserted"/> gets the new top-level serials.
    /// </summary>
    public string? Mutate(Writer writer, IReadOnlyList<Mutation> mutations, out List<long> inserted)
    {
        inserted = [];
        var world = _world.Clone();
        var serial = NextSerial;
        var applied = new List<(Change, Footprint)>();
        foreach (var mutation in mutations)
        {
            var target = Resolve(world, mutation.Target);
            if (target is null) return nameof(DocError.PathNotFound);
            var isFixed = target == world.Fixed;
            var changes = new List<Change>();
            switch (mutation)
            {
                case Mutation.InsertChildren m:
                {
                    if (isFixed && (world.Fixed.Children.Count > 0 || m.Nodes.Length != 1 || m.Nodes[0].Name != MountName))
                        return nameof(DocError.InvalidOperation);
                    if (m.Nodes.IsEmpty) break;
                    var (placement, anchor) = (Placement.Append, 0L);
                    if (m.Position is InsertPosition.Before or InsertPosition.After)
                    {
                        var name = m.Position is InsertPosition.Before before ? before.Sibling : ((InsertPosition.After)m.Position).Sibling;
                        var sibling = target.Children.FirstOrDefault(c => c.Name == name);
                        if (sibling is null) return nameof(DocError.ReferenceChildMissing);
                        (placement, anchor) = (m.Position is InsertPosition.Before ? Placement.Before : Placement.After, sibling.Id);
                    }
                    NewTree Number(NewNode node)
                    {
                        var id = serial++;
                        return new NewTree(id, node.Name, node.Kind, [.. node.Properties], [.. node.Children.Select(Number)]);
                    }
                    var trees = m.Nodes.Select(Number).ToImmutableArray();
                    inserted.AddRange(trees.Select(t => t.Id));
                    changes.Add(new Inserted(writer, target.Id, placement, anchor, trees));
                    break;
                }
                case Mutation.DeleteChildren m:
                {
                    var matches = target.Children.Where(c => (m.Name is null || c.Name == m.Name) && (m.Kind is null || c.Kind == m.Kind)).ToList();
                    if (matches.Count == 0 && m.ErrorIfNone) return nameof(DocError.NothingMatched);
                    changes.AddRange(matches.Select(c => new Deleted(writer, c.Id)));
                    break;
                }
                case Mutation.DeleteNode:
                    if (isFixed) return nameof(DocError.InvalidOperation);
                    changes.Add(new Deleted(writer, target.Id));
                    break;
                case Mutation.SetProperties m:
                    if (isFixed) return nameof(DocError.InvalidOperation);
                    if (m.Values.Count > 0) changes.Add(new PropertiesSet(writer, target.Id, [.. m.Values]));
                    break;
                case Mutation.RemoveProperties m:
                {
                    if (isFixed) return nameof(DocError.InvalidOperation);
                    var present = m.Names.Where(target.Properties.ContainsKey).Distinct().ToImmutableArray();
                    if (!present.IsEmpty) changes.Add(new PropertiesRemoved(writer, target.Id, present));
                    break;
                }
                default:
                    throw new NotSupportedException(mutation.GetType().Name);
            }
            foreach (var change in changes) applied.Add((change, Apply(world, change, lenient: false)));
        }
        _world = world;
        NextSerial = serial;
        _history.AddRange(applied);
        return null;
    }

    private static Node? Resolve(World world, NodeTarget target)
    {
        if (target is not NodeTarget.ById { Id: var id }) throw new NotSupportedException("the reference model takes ids only");
        if (id == FixedRootId) return world.Fixed;
        return id.Subtree == Subtree && world.Nodes.TryGetValue(id.Serial, out var node) ? node : null;
    }

    private static Footprint Apply(World world, Change change, bool lenient)
    {
        Node Existing(long id) =>
            id == 0 ? world.Fixed : world.Nodes.TryGetValue(id, out var node) ? node : throw new UndefinedReplay($"node {id} is missing for {change}");

        switch (change)
        {
            case Inserted c:
            {
                var parent = Existing(c.Parent);
                var index = parent.Children.Count;
                if (c.Placement != Placement.Append)
                {
                    var at = parent.Children.FindIndex(n => n.Id == c.Anchor);
                    if (at < 0 && !lenient) throw new UndefinedReplay($"sibling {c.Anchor} is missing for {change}");
                    if (at >= 0) index = c.Placement == Placement.Before ? at : at + 1;
                }
                var created = ImmutableHashSet.CreateBuilder<long>();
                Node Build(NewTree tree, Node under)
                {
                    var node = new Node(tree.Id, tree.Name, tree.Kind) { Parent = under };
                    foreach (var (key, value) in tree.Properties) node.Properties[key] = value;
                    world.Nodes.Add(node.Id, node);
                    created.Add(node.Id);
                    foreach (var child in tree.Children) node.Children.Add(Build(child, node));
                    return node;
                }
                parent.Children.InsertRange(index, c.Nodes.Select(t => Build(t, parent)).ToList());
                return new Footprint(created.ToImmutable(), parent.Id, [], null, []);
            }
            case Deleted c:
            {
                var node = Existing(c.Node);
                var parent = node.Parent!;
                parent.Children.Remove(node);
                var removed = node.SelfAndDescendants().Select(n => n.Id).ToImmutableHashSet();
                foreach (var id in removed) world.Nodes.Remove(id);
                return new Footprint([], parent.Id, removed, null, []);
            }
            case PropertiesSet c:
            {
                var node = Existing(c.Node);
                foreach (var (key, value) in c.Values) node.Properties[key] = value;
                return new Footprint([], null, [], node.Id, [.. c.Values.Select(v => v.Key)]);
            }
            case PropertiesRemoved c:
            {
                var node = Existing(c.Node);
                foreach (var key in c.Keys) node.Properties.Remove(key);
                return new Footprint([], null, [], node.Id, [.. c.Keys]);
            }
            default:
                throw new NotSupportedException(change.GetType().Name);
        }
    }

    // ---- Reverts -----------------------------------------------------------------------------

    /// <summary>
    /// Whether <paramref name="later"/> stands on <paramref name="earlier"/>, so that undoing the
    /// earlier one alone is not possible: it changed a node the earlier change created; or it
    /// removed the parent the earlier change deleted a node from (or created a new subtree root after
    /// the earlier change deleted it); or it removed the node, or changed the same property, the
    /// earlier change changed. Sibling changes are never conflicts.
    /// </summary>
    private static bool DependsOn(Footprint later, Change laterChange, Footprint earlier, Change earlierChange)
    {
        if (!earlier.Created.IsEmpty &&
            ((later.Structure is { } s && earlier.Created.Contains(s)) ||
             later.Removed.Overlaps(earlier.Created) ||
             (later.PropertiesOf is { } p && earlier.Created.Contains(p))))
            return true;
        if (earlierChange is Deleted)
            return earlier.Structure == 0 ? laterChange is Inserted { Parent: 0 } : later.Removed.Contains(earlier.Structure!.Value);
        if (earlier.PropertiesOf is { } node)
            return later.Removed.Contains(node) || (later.PropertiesOf == node && later.Keys.Overlaps(earlier.Keys));
        return false;
    }

    public sealed record RevertOutcome(bool Conflict, ImmutableHashSet<Writer> Writers, bool ChangedSomething);

    /// <summary>
    /// Reverts writers. On conflict (without cascade) <see cref="RevertOutcome.Writers"/> holds every
    /// writer in the way and nothing changes; otherwise it holds the writers reverted. Throws
    /// <see cref="UndefinedReplay"/> when positions cannot be replayed (unless lenient).
    /// </summary>
    public RevertOutcome Revert(IEnumerable<Writer> writers, bool cascade, bool dryRun, bool lenient)
    {
        var set = writers.ToHashSet();
        var inTheWay = new HashSet<Writer>();
        for (var grew = true; grew;)
        {
            grew = false;
            for (var i = 0; i < _history.Count; i++)
            {
                if (!set.Contains(_history[i].Change.Writer)) continue;
                for (var j = i + 1; j < _history.Count; j++)
                {
                    var writer = _history[j].Change.Writer;
                    if (set.Contains(writer) || !DependsOn(_history[j].Footprint, _history[j].Change, _history[i].Footprint, _history[i].Change)) continue;
                    if (cascade) grew |= set.Add(writer);
                    else inTheWay.Add(writer);
                }
            }
        }
        if (inTheWay.Count > 0) return new RevertOutcome(true, [.. inTheWay], false);

        var changedSomething = _history.Any(h => set.Contains(h.Change.Writer));
        var world = new World();
        var kept = new List<(Change, Footprint)>();
        foreach (var (change, _) in _history)
            if (!set.Contains(change.Writer)) kept.Add((change, Apply(world, change, lenient)));
        if (!dryRun)
        {
            _world = world;
            _history = kept;
        }
        return new RevertOutcome(false, [.. set], changedSomething);
    }
}
