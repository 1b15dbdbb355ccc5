using System.Collections.Immutable;

namespace Caiman.Doc.Paths;

/// <summary>How a path segment moves from the current nodes: to children (<c>/</c>) or to descendants (<c>//</c>).</summary>
public enum PathAxis
{
    Child,
    Descendant,
}

/// <summary>
/// One step of a path: <c>/name[@Kind#N?D]</c> or <c>//name[...]</c>. A null name or kind
/// matches any. <see cref="MaxCount"/> (<c>#N</c>) caps the matches taken from each starting
/// node (a count, not an index); <see cref="MaxDepth"/> (<c>?N</c>) bounds a descendant step.
/// <see cref="Position"/> is the offset of the step's slash in the path text, for error messages.
/// </summary>
public sealed record PathSegment(PathAxis Axis, string? Name, string? Kind, int? MaxCount, int? MaxDepth, int Position);

/// <summary>
/// A parsed DOC path: steps from the DOC root, and an optional trailing <c>.property</c> that
/// makes the path yield that property of each match instead of the node.
/// </summary>
public sealed record DocPath(string Text, ImmutableArray<PathSegment> Segments, string? Property)
{
    /// <summary>
    /// Every step names a child (<c>/a/b</c>: no <c>//</c>, constraints, property or escapes), so the
    /// text is also the canonical path of whatever it matches from the DOC root.
    /// </summary>
    public bool IsCanonical { get; init; }

    public bool Equals(DocPath? other) => other is not null && Text == other.Text;
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => Text;
}

/// <summary>Why a path could not be parsed, and at which character (0-based).</summary>
public sealed record PathSyntaxError(string Path, int Position, string Reason)
{
    public override string ToString() => $"invalid path '{Path}' at position {Position}: {Reason}";
}
