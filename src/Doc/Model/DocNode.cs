using System.Collections.Immutable;

namespace Caiman.Doc.Model;

/// <summary>
/// An immutable copy of one node as a query returned it. <see cref="Children"/> is filled only
/// by subtree queries; <see cref="ChildCount"/> is always the node's real number of children.
/// </summary>
public sealed record DocNode(
    NodeId Id,
    string Name,
    string Kind,
    PropertyMap Properties,
    long Version,
    string Path,
    int ChildCount,
    ImmutableArray<DocNode> Children)
{
    public DocValue? this[string property] => Properties.TryGetValue(property, out var value) ? value : null;

    public bool Equals(DocNode? other) =>
        other is not null && Id == other.Id && Name == other.Name && Kind == other.Kind &&
        Properties.Equals(other.Properties) && Version == other.Version && Path == other.Path &&
        ChildCount == other.ChildCount && Children.NullToEmpty().SequenceEqual(other.Children.NullToEmpty());

    public override int GetHashCode() => HashCode.Combine(Id, Name, Kind, Version, ChildCount);
}
