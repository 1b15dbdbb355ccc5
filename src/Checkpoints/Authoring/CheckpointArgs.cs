using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Caiman.Checkpoints;

/// <summary>
/// A checkpoint's args: its pipeline-file entry without the engine's keys, as an immutable JSON
/// object. HOCON leaves are kept as strings (HOCON does not say whether <c>5</c> is text or a
/// number); the typed getters parse them and name the key when a value is of the wrong shape.
/// </summary>
[JsonConverter(typeof(CheckpointArgsJsonConverter))]
public sealed class CheckpointArgs : IEquatable<CheckpointArgs>
{
    private readonly string _json;

    private CheckpointArgs(JsonElement root, string json)
    {
        Root = root;
        _json = json;
    }

    /// <summary>No args.</summary>
    public static CheckpointArgs Empty { get; } = FromJson("{}");

    /// <summary>The args as a JSON object.</summary>
    public JsonElement Root { get; }

    /// <summary>Args from JSON text, which must be an object.</summary>
    public static CheckpointArgs FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new CheckpointArgsException("(args)", "must be an object");
        return new CheckpointArgs(document.RootElement.Clone(), json);
    }

    /// <summary>The args as JSON text (their persisted form).</summary>
    public string ToJson() => _json;

    /// <summary>The keys present.</summary>
    public IEnumerable<string> Keys => Root.EnumerateObject().Select(p => p.Name);

    /// <summary>Whether the key is present.</summary>
    public bool Has(string key) => Root.TryGetProperty(key, out _);

    /// <summary>The raw value of a key, if present.</summary>
    public JsonElement? Get(string key) => Root.TryGetProperty(key, out var value) ? value : null;

    /// <summary>A text value; numbers and booleans are given as their text. Null when absent.</summary>
    public string? GetString(string key) => Get(key) is { } value ? Text(key, value) : null;

    /// <summary>A list of strings; a single string counts as a list of one. Null when absent.</summary>
    public IReadOnlyList<string>? GetStrings(string key) => Get(key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Array } array => [.. array.EnumerateArray().Select((v, i) => Text($"{key}[{i}]", v))],
        { } single => [Text(key, single)],
    };

    /// <summary>An object of string values (e.g. <c>env { A = "1" }</c>). Null when absent.</summary>
    public IReadOnlyDictionary<string, string>? GetStringMap(string key) => Get(key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Object } obj => obj.EnumerateObject().ToDictionary(p => p.Name, p => Text($"{key}.{p.Name}", p.Value), StringComparer.Ordinal),
        _ => throw new CheckpointArgsException(key, "must be an object of key = value pairs"),
    };

    /// <summary>An integer. Null when absent.</summary>
    public long? GetInt64(string key) => GetString(key) is { } text
        ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new CheckpointArgsException(key, $"must be an integer, not '{text}'")
        : null;

    /// <summary>A boolean (true/false, on/off, yes/no). Null when absent.</summary>
    public bool? GetBoolean(string key) => GetString(key)?.ToLowerInvariant() switch
    {
        null => null,
        "true" or "on" or "yes" => true,
        "false" or "off" or "no" => false,
        var other => throw new CheckpointArgsException(key, $"must be true or false, not '{other}'"),
    };

    private static string Text(string key, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => throw new CheckpointArgsException(key, $"must be a single value, not {Describe(value.ValueKind)}"),
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <inheritdoc />
    public bool Equals(CheckpointArgs? other) => other is not null && _json == other._json;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as CheckpointArgs);

    /// <inheritdoc />
    public override int GetHashCode() => _json.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => _json;
}

/// <summary>An arg of the wrong shape; <see cref="Key"/> names it.</summary>
public sealed class CheckpointArgsException(string key, string problem) : Exception($"'{key}' {problem}")
{
    /// <summary>The key at fault, with a <c>[i]</c> or <c>.name</c> suffix inside lists and objects.</summary>
    public string Key { get; } = key;
}

/// <summary>Writes args as the JSON object they are.</summary>
public sealed class CheckpointArgsJsonConverter : JsonConverter<CheckpointArgs>
{
    /// <inheritdoc />
    public override CheckpointArgs Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return CheckpointArgs.FromJson(document.RootElement.GetRawText());
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, CheckpointArgs value, JsonSerializerOptions options) => value.Root.WriteTo(writer);
}
