using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Client;

/// <summary>
/// Export and import as JSON. A node is <c>{"name", "kind", "id", "properties": {}, "children": []}</c>;
/// the whole DOC is <c>{"persistent": [nodes], "volatile": [nodes]}</c>. Ids are exported for
/// reference only: an import gives new ids.
/// </summary>
public sealed partial class DocClient
{
    /// <summary>The whole DOC, or the subtree at <paramref name="path"/>.</summary>
    public async Task<JsonObject> ExportAsync(string? path = null)
    {
        if (path is not null) return ToJson(await GetAsync(path, QueryShape.Subtree).ConfigureAwait(false));
        var doc = new JsonObject();
        foreach (var root in new[] { DocNames.Persistent, DocNames.Volatile })
        {
            var subtrees = await FindAsync("/" + root + DocPathParser.AllChildren, QueryShape.Subtree).ConfigureAwait(false);
            doc[root] = new JsonArray([.. subtrees.Select(n => (JsonNode)ToJson(n))]);
        }
        return doc;
    }

    public static JsonObject ToJson(DocNode node) => new()
    {
        ["name"] = node.Name,
        ["kind"] = node.Kind,
        ["id"] = node.Id.ToString(),
        ["properties"] = node.Properties.ToJsonObject(),
        ["children"] = new JsonArray([.. node.Children.Select(c => (JsonNode)ToJson(c))]),
    };

    /// <summary>
    /// Replaces the whole DOC with an export. The document is checked in full first, so a bad one
    /// changes nothing; the error names the JSON location (<c>$.persistent[0].children[2].name</c>).
    /// </summary>
    public async Task ImportAsync(JsonObject doc)
    {
        var roots = new Dictionary<string, ImmutableArray<NewNode>>();
        foreach (var (key, value) in doc)
        {
            if (key is not (DocNames.Persistent or DocNames.Volatile))
                throw Invalid("$." + key, "only 'persistent' and 'volatile' may appear at the top");
            if (value is not JsonArray array) throw Invalid("$." + key, "expected an array of nodes");
            roots[key] = [.. array.Select((n, i) => ParseNode(n, $"$.{key}[{i}]"))];
        }
        foreach (var (root, nodes) in roots)
        {
            await DeleteChildrenAsync("/" + root).ConfigureAwait(false);
            if (nodes.Length > 0) await InsertAsync("/" + root, [.. nodes]).ConfigureAwait(false);
        }
    }

    /// <summary>Inserts an exported subtree under <paramref name="parent"/>; returns the new node's id.</summary>
    public async Task<NodeId> ImportAsync(NodeTarget parent, JsonObject node) =>
        (await InsertAsync(parent, ParseNode(node, "$")).ConfigureAwait(false))[0];

    public static NewNode ParseNode(JsonNode? json, string location)
    {
        try
        {
            return ParseNodeAt(json, location);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // A string escape that is not valid UTF-16 (a lone "\udc0a") surfaces only when read.
            throw Invalid(location, $"not valid JSON text: {e.GetBaseException().Message}");
        }
    }

    private static NewNode ParseNodeAt(JsonNode? json, string location)
    {
        if (json is not JsonObject node) throw Invalid(location, "expected a node object");
        var name = node["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : throw Invalid(location + ".name", "expected a string");
        if (DocNames.NameProblem(name) is { } nameProblem) throw Invalid(location + ".name", nameProblem);
        var kind = DocNames.DefaultKind;
        if (node["kind"] is { } kindNode)
        {
            kind = kindNode is JsonValue k && k.TryGetValue<string>(out var ks) ? ks : throw Invalid(location + ".kind", "expected a string");
            if (DocNames.KindProblem(kind) is { } kindProblem) throw Invalid(location + ".kind", kindProblem);
        }
        var properties = PropertyMap.Empty;
        if (node["properties"] is { } propertiesNode)
        {
            if (propertiesNode is not JsonObject props) throw Invalid(location + ".properties", "expected an object");
            var element = JsonSerializer.SerializeToElement(props);
            foreach (var p in element.EnumerateObject())
                if (DocNames.PropertyProblem(p.Name) is { } propertyProblem) throw Invalid($"{location}.properties['{p.Name}']", propertyProblem);
            properties = PropertyMap.From(element.EnumerateObject().Select(p => new KeyValuePair<string, DocValue>(p.Name, DocValue.FromJson(p.Value))));
        }
        var children = ImmutableArray<NewNode>.Empty;
        if (node["children"] is { } childrenNode)
        {
            if (childrenNode is not JsonArray array) throw Invalid(location + ".children", "expected an array of nodes");
            children = [.. array.Select((c, i) => ParseNodeAt(c, $"{location}.children[{i}]"))];
        }
        foreach (var (key, _) in node)
            if (key is not ("name" or "kind" or "id" or "properties" or "children"))
                throw Invalid($"{location}.{key}", "unknown key (a node has name, kind, id, properties, children)");
        return new NewNode(name, kind, properties, children);
    }

    private static DocException Invalid(string location, string reason) => new(new DocError.InvalidDocument(location, reason));
}
