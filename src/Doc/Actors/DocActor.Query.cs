using System.Collections.Immutable;
using Akka.Actor;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;

using static Caiman.Doc.Actors.DocRouting;

namespace Caiman.Doc.Actors;

internal sealed partial class DocActor
{
    private void Route(Find query)
    {
        if (query.Path.Length == 0 && query.From is { } self && Locate(new NodeTarget.ById(self)) is Place.FixedRoot or Place.DocRoot)
        {
            if (self == NodeId.Root) Sender.Tell(QueryResult.Empty);
            else if (query.Shape == QueryShape.Subtree) WithSubtrees(QueryResult.Of([SpineCopy(self.Subtree, AllSubtrees(self.Subtree))]), AllSubtrees(), _settings.AskTimeout).PipeTo(Sender);
            else Sender.Tell(QueryResult.Of([SpineCopy(self.Subtree, AllSubtrees(self.Subtree))]));
            return;
        }
        if (query.From is null && NamedSubtree(query.Path) is { } named)
        {
            if (IsRegistered(named.Root, named.Name)) Subtree(named.Root, named.Name).Forward(query);
            else Sender.Tell(QueryResult.Empty);
            return;
        }
        DocPath? path = null;
        if (query.Path.Length > 0 && !DocPathParser.TryParse(query.Path, out path, out var syntax))
        {
            Sender.Tell(QueryResult.Failed(new DocError.InvalidPath(syntax!.Path, syntax.Position, syntax.Reason)));
            return;
        }
        if (query.From is { } from)
        {
            switch (Locate(new NodeTarget.ById(from)))
            {
                case Place.InSubtree s when IsRegistered(s.Root, s.Name):
                    Subtree(s.Root, s.Name).Forward(query);
                    return;
                case Place.FixedRoot f:
                    // A path relative to a fixed root is the same path below it.
                    Route(query with { Path = "/" + f.Root + (query.Path == "/" ? DocPathParser.AllChildren : query.Path), From = null });
                    return;
                case Place.DocRoot:
                    Route(query with { From = null });
                    return;
                default:
                    Sender.Tell(QueryResult.Failed(new DocError.PathNotFound(from.ToString())));
                    return;
            }
        }
        if (query.Path.Length == 0)
        {
            Sender.Tell(QueryResult.Failed(new DocError.InvalidPath("", 0, "a path must start with '/'")));
            return;
        }
        if (Locate(path!) is Place.InSubtree subtree)
        {
            if (IsRegistered(subtree.Root, subtree.Name)) Subtree(subtree.Root, subtree.Name).Forward(query);
            else Sender.Tell(QueryResult.Empty);
            return;
        }
        EvaluateAcross(path!, query.Shape, AllSubtrees(), _settings.AskTimeout).PipeTo(Sender);
    }

    private abstract record Start
    {
        /// <summary>A fixed root, or the DOC root when <see cref="Root"/> is null.</summary>
        public sealed record Spine(string? Root) : Start;
        public sealed record Owned(SubtreeRef Subtree, long Serial) : Start;
    }

    private sealed record Match(Start At, DocNode? Node, DocValue? Value);

    /// <summary>
    /// Evaluates a path that spans subtrees. The path runs in stages: each subtree evaluates a
    /// stage on its own, and a stage ends at a counted step (<c>#N</c>) whose parent may be a root
    /// shared by several subtrees, where the count is applied across them in DOC order.
    /// </summary>
    private static async Task<QueryResult> EvaluateAcross(DocPath path, QueryShape shape, ImmutableArray<SubtreeRef> subtrees, TimeSpan timeout)
    {
        var steps = path.Segments;
        List<Start> starts = [new Start.Spine(null)];
        var from = 0;
        while (true)
        {
            var to = steps.Length - 1;
            if (starts.Any(s => s is Start.Spine))
                for (var k = from; k < steps.Length; k++)
                    if (steps[k].MaxCount is not null) { to = k; break; }
            var final = to == steps.Length - 1;
            var matches = new List<Match>();
            for (var s = 0; s < starts.Count;)
            {
                if (starts[s] is Start.Spine spine)
                {
                    var below = await FromSpine(path, spine, from, to, final, shape, subtrees, timeout);
                    if (below.Error is not null) return QueryResult.Failed(below.Error);
                    matches.AddRange(below.Matches);
                    s++;
                    continue;
                }
                var owned = (Start.Owned)starts[s];
                var serials = new List<long>();
                for (; s < starts.Count && starts[s] is Start.Owned o && o.Subtree == owned.Subtree; s++) serials.Add(o.Serial);
                var result = await owned.Subtree.Actor.Ask<StageResult>(
                    new EvaluateStage(path.Text, from, to + 1, StageOrigin.Serials, [.. serials], final, shape), timeout);
                if (result.Error is not null) return QueryResult.Failed(result.Error);
                matches.AddRange(result.Matches.Select(m => new Match(new Start.Owned(owned.Subtree, m.Serial), m.Node, m.Value)));
            }
            if (final)
            {
                var result = Result(path, matches, subtrees);
                return shape == QueryShape.Subtree ? await WithSubtrees(result, subtrees, timeout) : result;
            }
            if (matches.Count == 0) return QueryResult.Empty;
            starts = [.. matches.Select(m => m.At)];
            from = to + 1;
        }
    }

    private static async Task<(List<Match> Matches, DocError? Error)> FromSpine(
        DocPath path, Start.Spine spine, int from, int to, bool final, QueryShape shape, ImmutableArray<SubtreeRef> subtrees, TimeSpan timeout)
    {
        var below = subtrees.Where(s => spine.Root is null || s.Root == spine.Root).ToList();
        var origin = spine.Root is null ? StageOrigin.DocRoot : StageOrigin.FixedRoot;
        var stage = new EvaluateStage(path.Text, from, to + 1, origin, [], final, shape);
        var results = await Task.WhenAll(below.Select(s => s.Actor.Ask<StageResult>(stage, timeout)));
        if (results.FirstOrDefault(r => r.Error is not null) is { } failed) return ([], failed.Error);

        var spineMatches = spine.Root is null ? SpineMatches(path.Segments, from, to) : [];
        var cap = path.Segments[to].MaxCount ?? int.MaxValue;
        var counts = new Dictionary<string, int>();
        bool Take(string parent)
        {
            counts.TryGetValue(parent, out var taken);
            if (taken >= cap) return false;
            counts[parent] = taken + 1;
            return true;
        }

        // DOC order: each fixed root, then what its subtrees matched, in their order.
        var matches = new List<Match>();
        foreach (var root in new[] { DocNames.Persistent, DocNames.Volatile })
        {
            if (spineMatches.Contains(root) && Take(""))
                matches.Add(new Match(new Start.Spine(root), final ? SpineCopy(root, subtrees) : null, null));
            for (var i = 0; i < below.Count; i++)
            {
                if (below[i].Root != root) continue;
                foreach (var m in results[i].Matches)
                {
                    var parent = m.Parent switch { SharedParent.DocRoot => "", SharedParent.FixedRoot => root, _ => null };
                    if (parent is not null && !Take(parent)) continue;
                    matches.Add(new Match(new Start.Owned(below[i], m.Serial), m.Node, m.Value));
                }
            }
        }
        return (matches, null);
    }

    /// <summary>The fixed roots that steps [from, to] reach from the DOC root without entering a subtree.</summary>
    private static HashSet<string> SpineMatches(ImmutableArray<PathSegment> steps, int from, int to)
    {
        IEnumerable<string?> current = [null];
        for (var i = from; i <= to; i++)
        {
            var step = steps[i];
            current = current.Any(c => c is null)
                ? new[] { DocNames.Persistent, DocNames.Volatile }.Where(r => (step.Name is null || step.Name == r) && (step.Kind is null || step.Kind == DocNames.RootKind)).Cast<string?>().ToList()
                : [];
        }
        return [.. current.OfType<string>()];
    }

    /// <summary>
    /// A fixed root spans subtree actors, so its copy is made without children; with the subtree
    /// shape they are filled in here, each subtree giving its own whole copy.
    /// </summary>
    private static async Task<QueryResult> WithSubtrees(QueryResult result, ImmutableArray<SubtreeRef> subtrees, TimeSpan timeout)
    {
        if (result.Error is not null || result.Nodes.IsDefaultOrEmpty || !result.Nodes.Any(IsSpine)) return result;
        var nodes = new List<DocNode>(result.Nodes.Length);
        foreach (var node in result.Nodes)
        {
            if (!IsSpine(node))
            {
                nodes.Add(node);
                continue;
            }
            var copies = await Task.WhenAll(subtrees.Where(s => s.Root == node.Name).Select(s =>
                s.Actor.Ask<QueryResult>(new Find("/" + s.Root + "/" + DocPathParser.EncodeName(s.Name), null, QueryShape.Subtree), timeout)));
            if (copies.FirstOrDefault(c => c.Error is not null) is { } failed) return failed;
            nodes.Add(node with { Children = [.. copies.SelectMany(c => c.Nodes)] });
        }
        return QueryResult.Of([.. nodes]);

        static bool IsSpine(DocNode node) => node.Id.Serial == 0 && node.Id.Subtree == node.Name && IsRoot(node.Name) && node.ChildCount > 0;
    }

    private static DocNode SpineCopy(string root, ImmutableArray<SubtreeRef> subtrees) =>
        new(new NodeId(root, 0), root, DocNames.RootKind, PropertyMap.Empty, 0, "/" + root, subtrees.Count(s => s.Root == root), []);

    private static QueryResult Result(DocPath path, List<Match> matches, ImmutableArray<SubtreeRef> subtrees) =>
        path.Property is not null
            ? QueryResult.Of([.. matches.Where(m => m.Value is not null).Select(m => m.Value!)])
            : QueryResult.Of([.. matches.Select(m => m.Node ?? SpineCopy(((Start.Spine)m.At).Root!, subtrees))]);
}
