using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Tree;

internal sealed partial class SubtreeState
{
    /// <summary>
    /// Validates a batch and turns it into events, applying each as it goes so that later
    /// mutations see earlier ones. On the first error everything applied is rolled back exactly
    /// and the error returned: a refused batch changes nothing.
    /// </summary>
    public DocError? Decide(Mutate command, List<IDocEvent> events, List<NodeId> inserted)
    {
        var writer = Intern(command.Writer);
        var logCount = _undo.TryGetValue(writer, out var log) ? log.Count : 0;
        var (seq, nextSerial) = (_seq, _nextSerial);
        var eventCount = events.Count;
        var insertedCount = inserted.Count;
        _deciding = true;
        try
        {
            var mutations = command.Mutations;
            for (var i = 0; i < mutations.Length; i++)
            {
                var error = DecideOne(writer, mutations[i], events, inserted, last: i == mutations.Length - 1);
                if (error is null) continue;
                RollBack(writer, logCount, seq, nextSerial);
                events.RemoveRange(eventCount, events.Count - eventCount);
                inserted.RemoveRange(insertedCount, inserted.Count - insertedCount);
                return error;
            }
        }
        finally
        {
            _deciding = false;
        }
        // Rollback needed every entry of the batch; once it stands, redundant ones can go.
        if (_undo.ContainsKey(writer)) Compact(writer, logCount);
        return null;
    }

    private DocError? DecideOne(Writer writer, Mutation mutation, List<IDocEvent> events, List<NodeId> inserted, bool last)
    {
        var error = Resolve(mutation.Target, out var target);
        if (error is not null) return error;
        if (mutation.ExpectedVersion is { } expected && expected != target.Version)
            return new DocError.VersionConflict(PathOf(target), expected, target.Version);

        switch (mutation)
        {
            case Mutation.InsertChildren m:
                return DecideInsert(writer, target, m, events, inserted);
            case Mutation.DeleteChildren m:
            {
                if (target == _docRoot) return new DocError.InvalidOperation("/", "the fixed roots cannot be deleted");
                var matches = target.VisibleChildren.Where(c => (m.Name is null || c.Name == m.Name) && (m.Kind is null || c.Kind == m.Kind))
                    .Select(c => c.Serial).ToImmutableArray();
                if (matches.IsEmpty)
                    return m.ErrorIfNone ? new DocError.NothingMatched(PathOf(target), Criteria(m.Name, m.Kind)) : null;
                return Emit(new NodesDeleted(writer, matches), events);
            }
            case Mutation.DeleteNode:
                return IsFixed(target)
                    ? new DocError.InvalidOperation(PathOf(target), "the DOC root and the fixed roots cannot be deleted")
                    : Emit(new NodesDeleted(writer, [target.Serial]), events);
            case Mutation.SetProperties m:
            {
                if (IsFixed(target)) return new DocError.InvalidOperation(PathOf(target), "the fixed roots have no properties");
                var problem = PropertiesProblem(target, m.Values);
                if (problem is not null) return problem;
                if (m.Values.Count == 0) return null;
                var set = new PropertiesSet(writer, target.Serial, m.Values);
                if (!last || !OwnsAll(writer, target, m.Values)) return Emit(set, events);
                // The common change: a writer setting properties it already owns. Its undo entry
                // would be compacted away at once (see Compact), and as the batch's last change it
                // can no longer need rolling back, so apply it without one: the state is the same.
                ApplyOwnedSet(target, m.Values);
                events.Add(set);
                return null;
            }
            case Mutation.RemoveProperties m:
            {
                if (IsFixed(target)) return new DocError.InvalidOperation(PathOf(target), "the fixed roots have no properties");
                var present = m.Names.Where(target.Properties.ContainsKey).Distinct().ToImmutableArray();
                return present.IsEmpty ? null : Emit(new PropertiesRemoved(writer, target.Serial, present), events);
            }
            default:
                return new DocError.InvalidOperation(PathOf(target), $"unknown mutation {mutation.GetType().Name}");
        }
    }

    private DocError? DecideInsert(Writer writer, TreeNode parent, Mutation.InsertChildren m, List<IDocEvent> events, List<NodeId> inserted)
    {
        if (parent == _docRoot)
            return new DocError.InvalidOperation("/", "the DOC root holds only /persistent and /volatile");
        if (parent == _fixedRoot && (Root is not null || m.Nodes.Length != 1 || m.Nodes[0].Name != MountName))
            return new DocError.InvalidOperation(PathOf(parent), $"subtree '{MountName}' already exists or the insert is not its root");
        if (m.Nodes.IsDefaultOrEmpty) return null;

        foreach (var node in m.Nodes)
            if (!IsValidNewNode(node) && NewNodeProblem(PathOf(parent), node) is { } problem) return problem;

        // Positions count hidden (deleted) children too, so an undone deletion lands where it was.
        var index = parent.Children?.Count ?? 0;
        if (m.Position is InsertPosition.Before or InsertPosition.After)
        {
            var sibling = m.Position is InsertPosition.Before b ? b.Sibling : ((InsertPosition.After)m.Position).Sibling;
            var found = parent.Children?.FindIndex(c => !c.Hidden && c.Name == sibling) ?? -1;
            if (found < 0) return new DocError.ReferenceChildMissing(PathOf(parent), sibling);
            index = m.Position is InsertPosition.Before ? found : found + 1;
        }

        var assigned = new NodeData[m.Nodes.Length];
        for (var i = 0; i < assigned.Length; i++)
        {
            assigned[i] = Assign(m.Nodes[i]);
            inserted.Add(new NodeId(Key, assigned[i].Serial));
        }
        var data = ImmutableCollectionsMarshal.AsImmutableArray(assigned);
        return Emit(new ChildrenInserted(writer, parent.Serial, index, data), events);
    }

    /// <summary>Gives serials in pre-order; they are part of the event, so replay gives the same ids.</summary>
    private NodeData Assign(NewNode node)
    {
        var serial = _nextSerial++;
        var children = node.Children.IsDefaultOrEmpty ? ImmutableArray<NodeData>.Empty : node.Children.Select(Assign).ToImmutableArray();
        return new NodeData(serial, node.Name, node.Kind, node.Properties ?? PropertyMap.Empty, children);
    }

    private DocError? Emit(IDocEvent evt, List<IDocEvent> events)
    {
        Apply(evt);
        events.Add(evt);
        return null;
    }

    /// <summary>The check of <see cref="NewNodeProblem"/> without building any path: the common case has nothing wrong.</summary>
    private static bool IsValidNewNode(NewNode node)
    {
        if (DocNames.NameProblem(node.Name) is not null || DocNames.KindProblem(node.Kind) is not null) return false;
        if (!ArePropertiesValid(node.Properties ?? PropertyMap.Empty)) return false;
        foreach (var child in node.Children.NullToEmpty())
            if (!IsValidNewNode(child)) return false;
        return true;
    }

    private static bool ArePropertiesValid(PropertyMap values)
    {
        foreach (var (key, value) in values)
            if (DocNames.PropertyProblem(key) is not null || value is null || !DocValue.Validate(value, out _)) return false;
        return true;
    }

    internal static DocError? NewNodeProblem(string parentPath, NewNode node)
    {
        if (DocNames.NameProblem(node.Name) is { } nameProblem) return new DocError.InvalidName(node.Name ?? "", $"under '{parentPath}': {nameProblem}");
        var path = DocPathParser.ChildPath(parentPath, node.Name);
        if (DocNames.KindProblem(node.Kind) is { } kindProblem) return new DocError.InvalidName(node.Kind ?? "", $"'{path}': {kindProblem}");
        if (PropertiesProblem(path, node.Properties ?? PropertyMap.Empty) is { } propertyProblem) return propertyProblem;
        foreach (var child in node.Children.NullToEmpty())
            if (NewNodeProblem(path, child) is { } childProblem) return childProblem;
        return null;
    }

    /// <summary>The path is built only for an error: on the hot path nothing is wrong.</summary>
    private DocError? PropertiesProblem(TreeNode node, PropertyMap values) =>
        ArePropertiesValid(values) ? null : PropertiesProblem(PathOf(node), values);

    private static DocError? PropertiesProblem(string path, PropertyMap values)
    {
        foreach (var (key, value) in values)
        {
            if (DocNames.PropertyProblem(key) is { } problem) return new DocError.InvalidName(key ?? "", $"'{path}': {problem}");
            if (value is null) return new DocError.NotJsonCompatible(path, key, "the value is missing (use DocValue.Null for JSON null)");
            if (!DocValue.Validate(value, out var reason)) return new DocError.NotJsonCompatible(path, key, reason!);
        }
        return null;
    }

    private static string Criteria(string? name, string? kind) =>
        (name, kind) switch
        {
            (null, null) => "anything",
            (_, null) => $"name '{name}'",
            (null, _) => $"kind '{kind}'",
            _ => $"name '{name}' and kind '{kind}'",
        };

    /// <summary>Finds the one node a mutation addresses: by id, or by a path that must match exactly one node.</summary>
    public DocError? Resolve(NodeTarget target, out TreeNode node)
    {
        node = _docRoot;
        switch (target)
        {
            case NodeTarget.ById { Id: var id }:
                if (id == NodeId.Root) return null;
                if (id == new NodeId(RootName, 0)) { node = _fixedRoot; return null; }
                if (id.Subtree == Key && _nodes.TryGetValue(id.Serial, out node!)) return null;
                return new DocError.PathNotFound(id.ToString());
            case NodeTarget.ByPath { Path: var text }:
                if (!DocPathParser.TryParse(text, out var path, out var syntax))
                    return new DocError.InvalidPath(syntax.Path, syntax.Position, syntax.Reason);
                if (path.Property is not null)
                    return new DocError.InvalidPath(text, text.LastIndexOf('.'), "a change must address a node, not a property");
                var matches = Evaluate(path.Segments, _docRoot);
                if (matches.Count == 0) return new DocError.PathNotFound(text);
                if (matches.Count > 1) return new DocError.AmbiguousPath(text, matches.Count);
                node = matches[0];
                return null;
            default:
                return new DocError.InvalidOperation(target.ToString() ?? "", "unknown target");
        }
    }
}
