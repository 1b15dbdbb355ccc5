using System.Collections.Immutable;
using System.Text.Json;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;

namespace Caiman.Checkpoints.BuiltIn;

// The parsed args of a `doc` checkpoint. Every entry keeps its key ("insert[1].children[0]") so
// that a problem found when the file is validated, or a refusal at run time, names it.

/// <summary>Text that may hold <c>%{path}</c> references, filled from the DOC at run time.</summary>
internal sealed record DocText(string Key, DocTemplate Template)
{
    /// <summary>The text itself when it has no references (escapes resolved), else null.</summary>
    public string? Fixed => Template.HasReferences ? null : string.Concat(Template.Parts.OfType<TemplatePart.Literal>().Select(l => l.Text));
}

/// <summary>A property value: text kept as a string, or (under <c>json</c>) JSON text read into a typed value.</summary>
internal abstract record DocValueSpec
{
    private DocValueSpec() { }

    /// <summary>From <c>properties</c>: always a string.</summary>
    public sealed record Text(DocText Value) : DocValueSpec;

    /// <summary>A leaf under <c>json</c>: the text (after substitution) is parsed as JSON.</summary>
    public sealed record JsonText(DocText Value) : DocValueSpec;

    /// <summary>A number, boolean or null given as such (args built in code rather than read from HOCON).</summary>
    public sealed record Literal(DocValue Value) : DocValueSpec;

    /// <summary>A list under <c>json</c>; each item is read the same way.</summary>
    public sealed record List(ImmutableArray<DocValueSpec> Items) : DocValueSpec;

    /// <summary>An object under <c>json</c>; each member is read the same way.</summary>
    public sealed record Map(ImmutableArray<KeyValuePair<string, DocValueSpec>> Members) : DocValueSpec;
}

internal sealed record DocPropertySpec(string Name, DocValueSpec Value);

internal sealed record DocNodeSpec(string Key, DocText Name, string Kind, ImmutableArray<DocPropertySpec> Properties, ImmutableArray<DocNodeSpec> Children)
{
    public int Count => 1 + Children.Sum(c => c.Count);
}

internal sealed record DocInsertSpec(string Key, DocText Parent, DocNodeSpec Node);

internal sealed record DocSetSpec(string Key, DocText Path, ImmutableArray<DocPropertySpec> Properties);

/// <summary>What a <c>doc</c> checkpoint does: its inserts, then its sets, each in file order.</summary>
internal sealed record DocCheckpointArgs(ImmutableArray<DocInsertSpec> Inserts, ImmutableArray<DocSetSpec> Sets)
{
    private static readonly string[] TopKeys = ["insert", "set"];
    private static readonly string[] InsertKeys = ["parent", "name", "kind", "properties", "json", "children"];
    private static readonly string[] ChildKeys = ["name", "kind", "properties", "json", "children"];
    private static readonly string[] SetKeys = ["path", "properties", "json"];

    /// <summary>Reads the args, adding every problem found to <paramref name="problems"/>.</summary>
    public static DocCheckpointArgs Parse(CheckpointArgs args, List<string> problems)
    {
        UnknownKeys(args.Root, null, TopKeys, problems);
        var inserts = Entries(args.Root, "insert", problems).Select(e => Insert(e.Key, e.Value, problems)).OfType<DocInsertSpec>().ToImmutableArray();
        var sets = Entries(args.Root, "set", problems).Select(e => Set(e.Key, e.Value, problems)).OfType<DocSetSpec>().ToImmutableArray();
        if (!args.Has("insert") && !args.Has("set"))
            problems.Add("a doc checkpoint needs insert or set (or both)");
        return new DocCheckpointArgs(inserts, sets);
    }

    // A single object counts as a list of one, as a single string does for a list of strings.
    private static IEnumerable<(string Key, JsonElement Value)> Entries(JsonElement parent, string key, List<string> problems) =>
        Entries(parent, key, key, problems);

    private static IEnumerable<(string Key, JsonElement Value)> Entries(JsonElement parent, string name, string key, List<string> problems)
    {
        if (!parent.TryGetProperty(name, out var value)) return [];
        switch (value.ValueKind)
        {
            case JsonValueKind.Array:
                var entries = value.EnumerateArray().Select((item, i) => ($"{key}[{i}]", item)).ToList();
                foreach (var (itemKey, item) in entries)
                    if (item.ValueKind != JsonValueKind.Object) problems.Add($"{itemKey} must be an object {{ ... }}, not {Describe(item)}");
                return entries.Where(e => e.item.ValueKind == JsonValueKind.Object);
            case JsonValueKind.Object:
                return [($"{key}[0]", value)];
            default:
                problems.Add($"{key} must be a list of objects, not {Describe(value)}");
                return [];
        }
    }

    private static DocInsertSpec? Insert(string key, JsonElement entry, List<string> problems)
    {
        UnknownKeys(entry, key, InsertKeys, problems);
        var parent = RequiredPath(entry, "parent", key, PathUse.Parent, problems);
        var node = Node(key, entry, problems);
        return parent is null || node is null ? null : new DocInsertSpec(key, parent, node);
    }

    private static DocNodeSpec? Node(string key, JsonElement entry, List<string> problems)
    {
        var name = Text(entry, "name", key, problems);
        if (name is null) problems.Add($"{key}.name is required");
        else if (name.Fixed is { } fixedName && DocNames.NameProblem(fixedName) is { } nameProblem) problems.Add($"{key}.name: {nameProblem}");

        var kind = DocNames.DefaultKind;
        if (Text(entry, "kind", key, problems) is { } kindText)
        {
            kind = kindText.Template.Text;
            if (DocNames.KindProblem(kind) is { } kindProblem) problems.Add($"{key}.kind: {kindProblem}");
        }

        var properties = Properties(entry, key, problems);
        var children = Entries(entry, "children", $"{key}.children", problems)
            .Select(c =>
            {
                UnknownKeys(c.Value, c.Key, ChildKeys, problems);
                return Node(c.Key, c.Value, problems);
            })
            .OfType<DocNodeSpec>().ToImmutableArray();
        return name is null ? null : new DocNodeSpec(key, name, kind, properties, children);
    }

    private static DocSetSpec? Set(string key, JsonElement entry, List<string> problems)
    {
        UnknownKeys(entry, key, SetKeys, problems);
        var path = RequiredPath(entry, "path", key, PathUse.Properties, problems);
        var properties = Properties(entry, key, problems);
        if (!entry.TryGetProperty("properties", out _) && !entry.TryGetProperty("json", out _))
            problems.Add($"{key} needs properties or json (the values to set)");
        return path is null ? null : new DocSetSpec(key, path, properties);
    }

    private static ImmutableArray<DocPropertySpec> Properties(JsonElement entry, string key, List<string> problems)
    {
        var properties = ImmutableArray.CreateBuilder<DocPropertySpec>();
        foreach (var section in (string[])["properties", "json"])
        {
            if (!entry.TryGetProperty(section, out var values)) continue;
            var sectionKey = $"{key}.{section}";
            if (values.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"{sectionKey} must be an object of name = value pairs, not {Describe(values)}");
                continue;
            }
            foreach (var property in values.EnumerateObject())
            {
                var propertyKey = $"{sectionKey}.{property.Name}";
                if (DocNames.PropertyProblem(property.Name) is { } nameProblem)
                    problems.Add($"{propertyKey}: {nameProblem}");
                else if (properties.Any(p => p.Name == property.Name))
                    problems.Add($"{propertyKey} is given twice (in properties and in json)");
                var value = section == "json" ? JsonValue(propertyKey, property.Value, problems) : TextValue(propertyKey, property.Value, problems);
                if (value is not null) properties.Add(new DocPropertySpec(property.Name, value));
            }
        }
        return properties.ToImmutable();
    }

    private static DocValueSpec? TextValue(string key, JsonElement value, List<string> problems)
    {
        if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null)
        {
            problems.Add($"{key} must be a single value, not {Describe(value)} (use json for typed values)");
            return null;
        }
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        return Template(key, text, problems) is { } template ? new DocValueSpec.Text(template) : null;
    }

    private static DocValueSpec? JsonValue(string key, JsonElement value, List<string> problems)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                if (Template(key, value.GetString()!, problems) is not { } template) return null;
                if (template.Fixed is { } json && JsonProblem(json) is { } problem) problems.Add($"{key} is not JSON text: {problem}");
                return new DocValueSpec.JsonText(template);
            case JsonValueKind.Array:
                var items = value.EnumerateArray().Select((item, i) => JsonValue($"{key}[{i}]", item, problems)).ToList();
                return items.Contains(null) ? null : new DocValueSpec.List([.. items!]);
            case JsonValueKind.Object:
                var members = value.EnumerateObject().Select(m => KeyValuePair.Create(m.Name, JsonValue($"{key}.{m.Name}", m.Value, problems))).ToList();
                return members.Any(m => m.Value is null) ? null : new DocValueSpec.Map([.. members.Select(m => KeyValuePair.Create(m.Key, m.Value!))]);
            default:
                if (NumberProblem(value) is { } numberProblem)
                {
                    problems.Add($"{key}: {numberProblem}");
                    return null;
                }
                return new DocValueSpec.Literal(DocValue.FromJson(value));
        }
    }

    /// <summary>Why the text is not one JSON value, or null when it is.</summary>
    public static string? JsonProblem(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return NumberProblem(document.RootElement);
        }
        catch (JsonException e)
        {
            return e.Message;
        }
    }

    // JSON allows 1e999; the DOC holds only finite numbers, so it would refuse the value at run time.
    private static string? NumberProblem(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when !value.TryGetInt64(out _) && !double.IsFinite(value.GetDouble()) =>
            $"the number {InputText.Shown(value.GetRawText(), 40)} is too large for the DOC, which holds numbers up to about 1.8e308",
        JsonValueKind.Array => value.EnumerateArray().Select(NumberProblem).FirstOrDefault(p => p is not null),
        JsonValueKind.Object => value.EnumerateObject().Select(m => NumberProblem(m.Value)).FirstOrDefault(p => p is not null),
        _ => null,
    };

    private enum PathUse { Parent, Properties }

    private static DocText? RequiredPath(JsonElement entry, string name, string key, PathUse use, List<string> problems)
    {
        var path = Text(entry, name, key, problems);
        if (path is null)
        {
            problems.Add($"{key}.{name} is required");
            return null;
        }
        if (path.Fixed is { } fixedPath)
        {
            if (!fixedPath.StartsWith('/'))
                problems.Add($"{key}.{name} must be an absolute DOC path (starting with /), not '{fixedPath}'");
            else if (!DocPathParser.TryParse(fixedPath, out var parsed, out var error))
                problems.Add($"{key}.{name}: {error}");
            else if (parsed.Property is not null)
                problems.Add($"{key}.{name} must name a node, not a property ('.{parsed.Property}')");
            else if (PlaceProblem(parsed, use) is { } place)
                problems.Add($"{key}.{name} '{fixedPath}' {place}");
        }
        else if (path.Template.Parts is [TemplatePart.Literal { Text: var start }, ..] && StartProblem(start) is { } startProblem)
        {
            problems.Add($"{key}.{name} '{path.Template.Text}' {startProblem}");
        }
        return path;
    }

    // Where a path can lead, from its steps alone: the DOC root holds exactly /persistent and /volatile.
    private static string? PlaceProblem(DocPath path, PathUse use)
    {
        var first = path.Segments[0];
        var rootsOnly = path.Segments.Length == 1;
        if (first.Axis == PathAxis.Child && first.Name is { } root && !IsRoot(root))
            return NotUnderARoot;
        if (first.Axis == PathAxis.Child && first.Kind is { } kind && kind != DocNames.RootKind)
            return $"can never match a node: the first step is a child of the DOC root, whose children /persistent and /volatile are of kind {DocNames.RootKind}, not {kind}";
        if (rootsOnly && first.Axis == PathAxis.Child && use == PathUse.Properties)
            return "names /persistent or /volatile, which have no properties: name a node under them";
        if (rootsOnly && first.Name is null && first.Kind is null or DocNames.RootKind && first.MaxCount is not 1)
            return "always matches both /persistent and /volatile, never one node: name the node (or add #1)";
        return null;
    }

    private const string NotUnderARoot = "is not under /persistent or /volatile, the only children of the DOC root, so it can never match a node";

    // A path filled in at run time is checked as far as its text before the first %{} reference goes.
    private static string? StartProblem(string start)
    {
        if (!start.StartsWith('/'))
            return "must be an absolute DOC path: it must start with /";
        if (start.StartsWith("//", StringComparison.Ordinal))
            return null;
        var end = start.AsSpan(1).IndexOfAny("/[.");
        if (end < 0)
            return null; // the first step's name goes on in the reference
        try
        {
            var root = DocPathParser.DecodeName(start.Substring(1, end));
            return root.Length == 0 || IsRoot(root) ? null : NotUnderARoot;
        }
        catch (DocPathException e)
        {
            return $"is not a DOC path: {e.Error.Reason}";
        }
    }

    private static bool IsRoot(string name) => name is DocNames.Persistent or DocNames.Volatile;

    private static DocText? Text(JsonElement entry, string name, string key, List<string> problems)
    {
        if (!entry.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null)
        {
            problems.Add($"{key}.{name} must be a single value, not {Describe(value)}");
            return null;
        }
        return Template($"{key}.{name}", value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText(), problems);
    }

    private static DocText? Template(string key, string text, List<string> problems)
    {
        if (DocTemplate.TryParse(text, out var template, out var error)) return new DocText(key, template);
        problems.Add($"{key}: {error}");
        return null;
    }

    private static void UnknownKeys(JsonElement entry, string? key, string[] known, List<string> problems)
    {
        foreach (var property in entry.EnumerateObject())
            if (!known.Contains(property.Name))
                problems.Add($"{(key is null ? "" : key + ".")}{property.Name} is not a key of a doc checkpoint{(key is null ? "" : " entry")} (known: {string.Join(", ", known)})");
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.Null => "null",
        JsonValueKind.String => $"'{value.GetString()}'",
        _ => value.GetRawText(),
    };
}
