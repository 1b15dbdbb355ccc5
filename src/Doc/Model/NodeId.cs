using System.Globalization;
using System.Text.Json.Serialization;

namespace Caiman.Doc.Model;

/// <summary>
/// A node's stable id: the subtree that owns it plus a serial unique within that subtree.
/// Serials are never reused, so an id names one node for the life of the DOC.
/// The subtree part lets a mutation addressed by id be routed without a lookup.
/// </summary>
[JsonConverter(typeof(Caiman.Doc.Serialization.NodeIdJsonConverter))]
public readonly record struct NodeId(string Subtree, long Serial)
{
    /// <summary>The DOC root, above <c>/persistent</c> and <c>/volatile</c>.</summary>
    public static readonly NodeId Root = new("", 0);

    public override string ToString() => $"{Subtree}:{Serial.ToString(CultureInfo.InvariantCulture)}";

    public static bool TryParse(string text, out NodeId id)
    {
        id = default;
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !long.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var serial))
            return false;
        id = new NodeId(text[..colon], serial);
        return true;
    }
}
