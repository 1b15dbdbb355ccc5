using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;
using Xunit;

namespace Caiman.Doc.Tests.Tree;

/// <summary>
/// Builders and assertions for specs that drive <see cref="SubtreeState"/> directly: mutations,
/// refused mutations that must leave everything unchanged, tree dumps at three levels of detail
/// (content only, with ids and versions, the whole internal state), journal replay and restore.
/// </summary>
internal static class TreeAssert
{
    public const string Persistent = "/persistent";
    public const string Mount = "/persistent/target";

    public static readonly Writer User = Writer.User("run-1");
    public static readonly Writer A = new("run-1", "a", 1);
    public static readonly Writer B = new("run-1", "b", 1);
    public static readonly Writer C = new("run-1", "c", 1);

    /// <summary>The id of <c>/persistent</c> as this subtree sees it.</summary>
    public static readonly NodeId FixedRootId = new("persistent", 0);

    public static SubtreeState NewState() => new(rootName: "persistent", mountName: "target");

    /// <summary>A state whose subtree root <c>/persistent/target</c> was inserted by <see cref="User"/>.</summary>
    public static SubtreeState WithMount(out NodeId mount, List<IDocEvent>? journal = null)
    {
        var state = NewState();
        mount = Assert.Single(Do(state, journal, User, InsertMount()));
        return state;
    }

    public static NodeId Id(long serial) => new("persistent/target", serial);

    // ---- Mutations ---------------------------------------------------------------------------

    public static NewNode N(string name, string kind = DocNames.DefaultKind, params (string Key, DocValue Value)[] properties) =>
        new(name, kind, properties.Length == 0 ? null : PropertyMap.Of(properties));

    public static DocValue V(long value) => new DocValue.Integer(value);
    public static DocValue V(string value) => new DocValue.String(value);

    public static Mutation InsertMount() =>
        new Mutation.InsertChildren(new NodeTarget.ByPath(Persistent), [new NewNode("target")], InsertPosition.Append.Instance);

    public static Mutation Insert(NodeTarget parent, params NewNode[] nodes) =>
        new Mutation.InsertChildren(parent, [.. nodes], InsertPosition.Append.Instance);

    public static Mutation InsertBefore(NodeTarget parent, string sibling, params NewNode[] nodes) =>
        new Mutation.InsertChildren(parent, [.. nodes], new InsertPosition.Before(sibling));

    public static Mutation InsertAfter(NodeTarget parent, string sibling, params NewNode[] nodes) =>
        new Mutation.InsertChildren(parent, [.. nodes], new InsertPosition.After(sibling));

    public static Mutation Set(NodeTarget node, params (string Key, DocValue Value)[] values) =>
        new Mutation.SetProperties(node, PropertyMap.Of(values));

    public static Mutation Remove(NodeTarget node, params string[] names) => new Mutation.RemoveProperties(node, [.. names]);

    public static Mutation Delete(NodeTarget node) => new Mutation.DeleteNode(node);

    public static Mutation DeleteChildren(NodeTarget parent, string? name = null, string? kind = null, bool errorIfNone = false) =>
        new Mutation.DeleteChildren(parent, name, kind, errorIfNone);

    /// <summary>Decides a batch that must succeed; returns the inserted ids and appends the events to the journal.</summary>
    public static NodeId[] Do(SubtreeState state, Writer writer, params Mutation[] mutations) =>
        Do(state, null, writer, mutations);

    public static NodeId[] Do(SubtreeState state, List<IDocEvent>? journal, Writer writer, params Mutation[] mutations)
    {
        var events = new List<IDocEvent>();
        var inserted = new List<NodeId>();
        var error = state.Decide(new Mutate(writer, [.. mutations]), events, inserted);
        Assert.True(error is null, $"expected the batch to succeed, got {error?.GetType().Name}: {error}");
        journal?.AddRange(events);
        return [.. inserted];
    }

    /// <summary>
    /// Decides a batch that must be refused with <typeparamref name="TError"/>, and checks that it
    /// produced no events or ids and left the whole state (tree, versions, stamps, undo log, next serial) as it was.
    /// </summary>
    public static TError Refused<TError>(SubtreeState state, Writer writer, params Mutation[] mutations) where TError : DocError
    {
        var before = Dump(state);
        var events = new List<IDocEvent>();
        var inserted = new List<NodeId>();
        var error = state.Decide(new Mutate(writer, [.. mutations]), events, inserted);
        var typed = Assert.IsType<TError>(error);
        Assert.Empty(events);
        Assert.Empty(inserted);
        Assert.Equal(before, Dump(state));
        return typed;
    }

    // ---- Reverts -----------------------------------------------------------------------------

    /// <summary>Reverts writers, which must succeed; appends the event an actor would persist to the journal. Returns the set reverted, in order.</summary>
    public static Writer[] Revert(SubtreeState state, List<IDocEvent>? journal, bool cascade, params Writer[] writers)
    {
        var error = state.Revert(writers, cascade, dryRun: false, out var reverted, out var undone);
        Assert.True(error is null, $"expected the revert to succeed, got {error}");
        if (undone > 0) journal?.Add(new WritersReverted(User, reverted));
        return [.. reverted.OrderBy(w => w.ToString(), StringComparer.Ordinal)];
    }

    /// <summary>Reverts writers, which must conflict; checks that nothing changed.</summary>
    public static DocError.RevertConflict RevertConflict(SubtreeState state, bool cascade, params Writer[] writers)
    {
        var before = Dump(state);
        var error = state.Revert(writers, cascade, dryRun: false, out var reverted);
        var conflict = Assert.IsType<DocError.RevertConflict>(error);
        Assert.Empty(reverted);
        Assert.Equal(before, Dump(state));
        return conflict;
    }

    // ---- Rebuilding --------------------------------------------------------------------------

    public static SubtreeState Replay(IEnumerable<IDocEvent> journal)
    {
        var state = NewState();
        foreach (var evt in journal) state.Apply(evt);
        return state;
    }

    public static SubtreeState Restored(SubtreeState state) => SubtreeState.FromSnapshot(state.ToSnapshot());

    // ---- Queries -----------------------------------------------------------------------------

    public static DocNode[] Find(SubtreeState state, string path, NodeId? from = null, QueryShape shape = QueryShape.Node)
    {
        var result = state.Find(new Find(path, from, shape));
        Assert.True(result.Error is null, $"query '{path}' failed: {result.Error}");
        Assert.Empty(result.Values);
        return [.. result.Nodes];
    }

    public static string[] Names(SubtreeState state, string path, NodeId? from = null) =>
        [.. Find(state, path, from).Select(n => n.Name)];

    public static DocNode Single(SubtreeState state, string path) => Assert.Single(Find(state, path));

    public static DocValue[] Values(SubtreeState state, string path)
    {
        var result = state.Find(new Find(path));
        Assert.True(result.Error is null, $"query '{path}' failed: {result.Error}");
        Assert.Empty(result.Nodes);
        return [.. result.Values];
    }

    // ---- Dumps -------------------------------------------------------------------------------

    /// <summary>The tree's content: names, kinds, properties and child order; no ids, no versions.</summary>
    public static string Content(SubtreeState state) => Format(ShapeOf(state), ids: false);

    /// <summary>The tree's content with ids (no versions): what must match after a revert equals a replay.</summary>
    public static string WithIds(SubtreeState state) => Format(ShapeOf(state), ids: true);

    /// <summary>The tree with ids and versions.</summary>
    public static string Exact(SubtreeState state)
    {
        if (state.Root is not { } root) return "(empty)\n";
        var text = new StringBuilder();
        void Write(DocNode node, int depth)
        {
            text.Append(' ', depth * 2).Append(CultureInfo.InvariantCulture, $"{node.Name}#{node.Id.Serial} v{node.Version} @{node.Kind}");
            if (node.Properties.Count > 0) text.Append(' ').Append(Format(node.Properties));
            text.Append('\n');
            Assert.Equal(node.ChildCount, node.Children.Length);
            foreach (var child in node.Children) Write(child, depth + 1);
        }
        Write(state.Copy(root, QueryShape.Subtree), 0);
        return text.ToString();
    }

    /// <summary>The subtree's content as a plain shape (null when empty), read through the public copy.</summary>
    public static TreeShape? ShapeOf(SubtreeState state)
    {
        static TreeShape Of(DocNode node) => new(node.Id.Serial, node.Name, node.Kind, node.Properties, [.. node.Children.Select(Of)]);
        return state.Root is { } root ? Of(state.Copy(root, QueryShape.Subtree)) : null;
    }

    /// <summary>
    /// A shape as text, one node a line. <paramref name="sortChildren"/> compares trees regardless
    /// of sibling order (children sorted by their own text).
    /// </summary>
    public static string Format(TreeShape? shape, bool ids, bool sortChildren = false)
    {
        if (shape is null) return "(empty)\n";
        string Write(TreeShape node, int depth)
        {
            var line = new StringBuilder().Append(' ', depth * 2).Append(node.Name);
            if (ids) line.Append('#').Append(node.Serial.ToString(CultureInfo.InvariantCulture));
            line.Append(" @").Append(node.Kind);
            if (node.Properties.Count > 0) line.Append(' ').Append(Format(node.Properties));
            line.Append('\n');
            var children = node.Children.Select(c => Write(c, depth + 1));
            if (sortChildren) children = children.Order(StringComparer.Ordinal);
            foreach (var child in children) line.Append(child);
            return line.ToString();
        }
        return Write(shape, 0);
    }

    /// <summary>Everything a snapshot holds, with writers by name (their indexes depend on dictionary order).</summary>
    public static string Dump(SubtreeState state) => Dump(state.ToSnapshot());

    public static string Dump(SubtreeSnapshot snapshot)
    {
        var text = new StringBuilder();
        string W(int index) => index < 0 ? "-" : snapshot.Writers[index].ToString();
        string S(SnapshotStamp? stamp) => stamp is null ? "none" : $"{W(stamp.Writer)}@{stamp.Seq}";
        void Node(SnapshotNode node, int depth)
        {
            text.Append(' ', depth * 2)
                .Append(CultureInfo.InvariantCulture, $"{node.Name}#{node.Serial}{(node.Hidden ? " hidden" : "")} v{node.Version} @{node.Kind} {Format(node.Properties)}")
                .Append(CultureInfo.InvariantCulture, $" ins={S(node.Inserted)} del=[{string.Join(',', node.ChildDeleters.IsDefault ? [] : node.ChildDeleters.Select(W))}]");
            foreach (var p in node.PropertyStamps.OrderBy(p => p.Key, StringComparer.Ordinal)) text.Append(CultureInfo.InvariantCulture, $" {p.Key}={S(p.Stamp)}");
            text.Append('\n');
            foreach (var child in node.Children.IsDefault ? [] : node.Children) Node(child, depth + 1);
        }
        text.Append(CultureInfo.InvariantCulture, $"{snapshot.RootName}/{snapshot.MountName} v{snapshot.FixedRootVersion} next={snapshot.NextSerial} seq={snapshot.Sequence}\n");
        if (snapshot.Roots.IsDefaultOrEmpty) text.Append("  (empty)\n");
        else foreach (var root in snapshot.Roots) Node(root, 1);
        foreach (var u in snapshot.Undo.IsDefault ? [] : snapshot.Undo)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"undo {W(u.Writer)} {u.Type} seq={u.Seq} prior=v{u.PriorVersion} at={u.ParentSerial} [{string.Join(',', u.Serials.IsDefault ? [] : u.Serials)}]");
            foreach (var c in u.Changes.IsDefault ? [] : u.Changes)
                text.Append(CultureInfo.InvariantCulture, $" {c.Key}:{(c.Old is null ? "absent" : Format(c.Old))}/{S(c.PreviousStamp)}");
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>A value as typed text: 1 and 1.0 and "1" all differ.</summary>
    public static string Format(DocValue value) => value switch
    {
        DocValue.Null => "null",
        DocValue.Bool b => b.Value ? "true" : "false",
        DocValue.Integer i => i.Value.ToString(CultureInfo.InvariantCulture),
        DocValue.Number n => DocValue.FormatNumber(n.Value) + "d",
        DocValue.String s => JsonSerializer.Serialize(s.Value),
        DocValue.Array a => "[" + string.Join(",", a.Items.Select(Format)) + "]",
        DocValue.Object o => Format(o.Properties),
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "unknown DocValue"),
    };

    public static string Format(PropertyMap properties) =>
        "{" + string.Join(",", properties.Select(p => JsonSerializer.Serialize(p.Key) + ":" + Format(p.Value))) + "}";
}

/// <summary>A node's content with its serial, independent of where it came from (the subtree or the reference model).</summary>
internal sealed record TreeShape(long Serial, string Name, string Kind, PropertyMap Properties, ImmutableArray<TreeShape> Children);
