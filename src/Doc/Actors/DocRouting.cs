using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Actors;

/// <summary>
/// Where a request's target lives, read from its text or id alone. The DOC actor routes by it,
/// and a client by the same rules decides which requests it may send straight to a subtree: one
/// rule for both, so a request takes the same path and meets the same errors either way.
/// </summary>
internal static class DocRouting
{
    public abstract record Place
    {
        public sealed record InSubtree(string Root, string Name) : Place;
        public sealed record FixedRoot(string Root) : Place;
        public sealed record DocRoot : Place;
        /// <summary>A path that must be evaluated to know where it points.</summary>
        public sealed record Unknown(DocPath Path) : Place;
        public sealed record Invalid(DocError Error) : Place;
    }

    public static Place Locate(NodeTarget target)
    {
        switch (target)
        {
            case NodeTarget.ById { Id: var id }:
                if (id == NodeId.Root) return new Place.DocRoot();
                var slash = id.Subtree.IndexOf('/');
                if (slash < 0) return IsRoot(id.Subtree) && id.Serial == 0 ? new Place.FixedRoot(id.Subtree) : new Place.Invalid(new DocError.PathNotFound(id.ToString()));
                var root = id.Subtree[..slash];
                return IsRoot(root) ? new Place.InSubtree(root, id.Subtree[(slash + 1)..]) : new Place.Invalid(new DocError.PathNotFound(id.ToString()));
            case NodeTarget.ByPath { Path: var text }:
                if (NamedSubtree(text) is { } named) return named;
                if (!DocPathParser.TryParse(text, out var path, out var syntax))
                    return new Place.Invalid(new DocError.InvalidPath(syntax.Path, syntax.Position, syntax.Reason));
                return Locate(path);
            default:
                return new Place.Invalid(new DocError.InvalidOperation(target.ToString() ?? "", "unknown target"));
        }
    }

    /// <summary>Paths of the form <c>/persistent/name...</c> stay in one subtree; <c>/persistent</c> is a fixed root.</summary>
    public static Place Locate(DocPath path)
    {
        var steps = path.Segments;
        if (steps.Length == 0) return new Place.DocRoot();
        var first = steps[0];
        var fixedRoot = first.Axis == PathAxis.Child && first.Name is { } r && IsRoot(r) && first.Kind is null or DocNames.RootKind;
        if (!fixedRoot) return new Place.Unknown(path);
        if (steps.Length == 1) return path.Property is null ? new Place.FixedRoot(first.Name!) : new Place.Unknown(path);
        var second = steps[1];
        return second.Axis == PathAxis.Child && second.Name is { } name ? new Place.InSubtree(first.Name!, name) : new Place.Unknown(path);
    }

    /// <summary>
    /// The subtree a path like <c>/persistent/name/...</c> names, read from its first two steps
    /// without parsing the rest: the subtree parses it (and reports any fault) anyway.
    /// </summary>
    public static Place.InSubtree? NamedSubtree(string text)
    {
        var root = text.StartsWith("/persistent/", StringComparison.Ordinal) ? DocNames.Persistent
            : text.StartsWith("/volatile/", StringComparison.Ordinal) ? DocNames.Volatile
            : null;
        if (root is null) return null;
        var start = root.Length + 2;
        var end = text.AsSpan(start).IndexOfAny("/[.");
        var encoded = end < 0 ? text[start..] : text.Substring(start, end);
        if (encoded.Length == 0) return null;
        if (!encoded.Contains('%')) return new Place.InSubtree(root, encoded);
        try
        {
            return new Place.InSubtree(root, DocPathParser.DecodeName(encoded));
        }
        catch (DocPathException)
        {
            return null; // let the full parse report where the fault is
        }
    }

    public static bool IsRoot(string name) => name is DocNames.Persistent or DocNames.Volatile;


    /// <summary>
    /// The one subtree a request stays in when that can be told without evaluating anything, else
    /// null: mounts, paths like <c>//[@Disk]</c>, fixed roots, batches over several subtrees,
    /// reverts and fan-out queries go through the DOC actor.
    /// </summary>
    public static Place.InSubtree? SubtreeOf(object message)
    {
        switch (message)
        {
            case Mutate { Mutations: { IsDefaultOrEmpty: false } mutations }:
            {
                Place.InSubtree? only = null;
                foreach (var mutation in mutations)
                {
                    var place = mutation.Target is NodeTarget.ByPath { Path: var text } ? NamedSubtree(text) : Locate(mutation.Target) as Place.InSubtree;
                    if (place is null || (only is not null && only != place)) return null;
                    only = place;
                }
                return only;
            }
            case Find { From: null } find:
                return NamedSubtree(find.Path);
            case Find { From: { } from }:
                return Locate(new NodeTarget.ById(from)) as Place.InSubtree;
            default:
                return null;
        }
    }
}
