using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Tree;

internal sealed partial class SubtreeState
{
    // Evaluation runs once per request on the actor's thread: two lists and a stack, reused.
    private readonly List<TreeNode> _evaluatedA = [];
    private readonly List<TreeNode> _evaluatedB = [];
    private readonly List<TreeNode> _start = [];
    private readonly Stack<(TreeNode Node, int Depth)> _descendants = new();

    /// <summary>Evaluates a whole path from one node. The list returned is reused by the next evaluation.</summary>
    public List<TreeNode> Evaluate(ImmutableArray<PathSegment> steps, TreeNode start)
    {
        _start.Clear();
        _start.Add(start);
        return Evaluate(steps, 0, steps.Length, _start, null);
    }

    /// <summary>
    /// Evaluates steps [from, to) from the start nodes. When <paramref name="lastParents"/> is
    /// given it receives, for each match of the last step, the node it was reached from. The list
    /// returned may be one this state reuses: read it before evaluating again.
    /// </summary>
    public List<TreeNode> Evaluate(ImmutableArray<PathSegment> steps, int from, int to, List<TreeNode> starts, List<TreeNode>? lastParents)
    {
        var current = starts;
        for (var i = from; i < to; i++)
        {
            var next = current == _evaluatedA ? _evaluatedB : _evaluatedA;
            next.Clear();
            var parents = i == to - 1 ? lastParents : null;
            foreach (var node in current) Step(node, steps[i], next, parents);
            current = next;
        }
        return current;
    }

    private void Step(TreeNode start, PathSegment step, List<TreeNode> into, List<TreeNode>? parents)
    {
        var cap = step.MaxCount ?? int.MaxValue;
        var taken = 0;
        if (step.Axis == PathAxis.Child)
        {
            if (start.Children is not { } children) return;
            foreach (var child in children)
            {
                if (child.Hidden || !Matches(child, step)) continue;
                into.Add(child);
                parents?.Add(start);
                if (++taken == cap) return;
            }
            return;
        }

        var maxDepth = step.MaxDepth ?? int.MaxValue;
        var stack = _descendants;
        stack.Clear();
        PushChildren(stack, start, 1);
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            if (Matches(node, step))
            {
                into.Add(node);
                parents?.Add(start);
                if (++taken == cap) return;
            }
            if (depth < maxDepth) PushChildren(stack, node, depth + 1);
        }
    }

    private static void PushChildren(Stack<(TreeNode, int)> stack, TreeNode node, int depth)
    {
        if (node.Children is not { } children) return;
        for (var i = children.Count - 1; i >= 0; i--)
            if (!children[i].Hidden) stack.Push((children[i], depth));
    }

    private static bool Matches(TreeNode node, PathSegment step) =>
        (step.Name is null || step.Name == node.Name) && (step.Kind is null || step.Kind == node.Kind);

    /// <summary>Answers a whole query in this subtree (the DOC actor routes here when the path stays inside it).</summary>
    /// <summary>The nodes the writers changed, each once per writer, read from their undo logs.</summary>
    public WritesResult WrittenBy(FindWrites query)
    {
        var found = new List<WrittenNode>();
        foreach (var writer in query.Writers.Distinct())
        {
            if (!_undo.TryGetValue(writer, out var log)) continue;
            var seen = new HashSet<long>();
            void Add(TreeNode node)
            {
                if (node.Serial > 0 && seen.Add(node.Serial)) found.Add(new WrittenNode(writer, IdOf(node), PathOf(node)));
            }
            foreach (var entry in log)
            {
                switch (entry)
                {
                    case UndoEntry.Inserted inserted:
                        foreach (var serial in inserted.Serials)
                            if (TryGetNode(serial, out var node))
                                foreach (var each in node.SelfAndDescendants()) Add(each);
                        break;
                    case UndoEntry.Deleted deleted:
                        Add(deleted.Node);
                        break;
                    case UndoEntry.Properties properties when TryGetNode(properties.Serial, out var node):
                        Add(node);
                        break;
                }
            }
        }
        return new WritesResult([.. found]);
    }

    /// <summary>Who wrote each node of this subtree the query names, read from the change stamps.</summary>
    public BlameResult Blamed(Blame query)
    {
        var found = ImmutableArray.CreateBuilder<NodeBlame>();
        foreach (var id in query.Nodes)
        {
            if (id.Subtree != Key || !TryGetNode(id.Serial, out var node) || node.Hidden || IsFixed(node)) continue;
            var last = node.Inserted;
            var properties = ImmutableArray.CreateBuilder<PropertyBlame>(node.Properties.Count);
            foreach (var key in node.Properties.Keys)
            {
                var stamp = node.StampOf(key);
                if (stamp.Seq > last.Seq) last = stamp;
                properties.Add(new PropertyBlame(key, stamp.Writer));
            }
            found.Add(new NodeBlame(id, PathOf(node), node.Inserted.Writer, last.Writer, properties.MoveToImmutable()));
        }
        return new BlameResult(found.ToImmutable());
    }

    public QueryResult Find(Find query)
    {
        if (query.Path.Length == 0 && query.From is { } self)
            return Resolve(self, out var node) is { } missing ? QueryResult.Failed(missing) : QueryResult.Of([Copy(node, query.Shape)]);
        if (!DocPathParser.TryParse(query.Path, out var path, out var syntax))
            return QueryResult.Failed(new DocError.InvalidPath(syntax.Path, syntax.Position, syntax.Reason));
        TreeNode start = _docRoot;
        if (query.From is { } from && Resolve(from, out start) is { } error) return QueryResult.Failed(error);
        var matches = Evaluate(path.Segments, start);
        // The fixed roots span subtrees: the DOC actor answers for them.
        matches.RemoveAll(static n => n.Serial <= 0);
        // A canonical absolute path is the one node's own: no need to build it from the ancestors.
        if (path.IsCanonical && query.From is null && matches.Count == 1) matches[0].Path ??= path.Text;
        return Result(path, matches, query.Shape);
    }

    private QueryResult Result(DocPath path, List<TreeNode> matches, QueryShape shape)
    {
        if (path.Property is { } property)
        {
            var values = ImmutableArray.CreateBuilder<DocValue>();
            foreach (var node in matches)
                if (node.Properties.TryGetValue(property, out var value)) values.Add(value);
            return QueryResult.Of(values.ToImmutable());
        }
        var nodes = new DocNode[matches.Count];
        for (var i = 0; i < nodes.Length; i++) nodes[i] = Copy(matches[i], shape);
        return QueryResult.Of(ImmutableCollectionsMarshal.AsImmutableArray(nodes));
    }

    /// <summary>One stage of a query that spans subtrees (see <see cref="EvaluateStage"/>).</summary>
    public StageResult EvaluateStage(EvaluateStage stage)
    {
        if (!DocPathParser.TryParse(stage.Path, out var path, out var syntax))
            return new StageResult([], new DocError.InvalidPath(syntax.Path, syntax.Position, syntax.Reason));
        var starts = stage.Origin switch
        {
            StageOrigin.DocRoot => [_docRoot],
            StageOrigin.FixedRoot => [_fixedRoot],
            _ => stage.Starts.Where(_nodes.ContainsKey).Select(s => _nodes[s]).ToList(),
        };
        var parents = new List<TreeNode>();
        var matches = Evaluate(path.Segments, stage.FromStep, stage.ToStep, starts, parents);
        var result = ImmutableArray.CreateBuilder<StageMatch>();
        for (var i = 0; i < matches.Count; i++)
        {
            var node = matches[i];
            if (IsFixed(node)) continue;
            var shared = parents[i] == _docRoot ? SharedParent.DocRoot : parents[i] == _fixedRoot ? SharedParent.FixedRoot : SharedParent.None;
            DocNode? copy = null;
            DocValue? value = null;
            if (stage.Final && path.Property is { } property)
            {
                if (!node.Properties.TryGetValue(property, out var found)) found = null!;
                value = found;
            }
            else if (stage.Final) copy = Copy(node, stage.Shape);
            result.Add(new StageMatch(node.Serial, shared, copy, value));
        }
        return new StageResult(result.ToImmutable(), null);
    }

    /// <summary>An immutable copy of a node, with its whole subtree when asked.</summary>
    public DocNode Copy(TreeNode node, QueryShape shape) => Copy(node, shape, PathOf(node));

    private DocNode Copy(TreeNode node, QueryShape shape, string path)
    {
        var children = shape == QueryShape.Subtree && node.ChildCount > 0
            ? node.VisibleChildren.Select(c => Copy(c, shape, DocPathParser.ChildPath(path, c.Name))).ToImmutableArray()
            : ImmutableArray<DocNode>.Empty;
        return new DocNode(IdOf(node), node.Name, node.Kind, node.Properties, node.Version, path, node.ChildCount, children);
    }
}
