using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Caiman.Doc.Model;

/// <summary>
/// A JSON-compatible property value. Immutable, so copies can cross actors freely;
/// equality is structural so trees can be compared.
/// </summary>
[JsonConverter(typeof(Caiman.Doc.Serialization.DocValueJsonConverter))]
public abstract record DocValue
{
    private DocValue() { }

    public sealed record Null : DocValue
    {
        public static readonly Null Instance = new();
        public override string ToString() => "null";
    }

    public sealed record Bool(bool Value) : DocValue
    {
        public static readonly Bool True = new(true);
        public static readonly Bool False = new(false);
        public override string ToString() => Value ? "true" : "false";
    }

    /// <summary>Whole numbers keep full 64-bit precision; JSON readers may lose it past 2^53.</summary>
    public sealed record Integer(long Value) : DocValue
    {
        public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
    }

    public sealed record Number(double Value) : DocValue
    {
        public override string ToString() => FormatNumber(Value);
    }

    public sealed record String(string Value) : DocValue
    {
        public override string ToString() => Value;
    }

    public sealed record Array(ImmutableArray<DocValue> Items) : DocValue
    {
        public bool Equals(Array? other) => other is not null && Items.SequenceEqual(other.Items);
        public override int GetHashCode() => Items.Aggregate(17, (h, v) => h * 31 + v.GetHashCode());
        public override string ToString() => ToJson()!.ToJsonString();
    }

    public sealed record Object(PropertyMap Properties) : DocValue
    {
        public override string ToString() => ToJson()!.ToJsonString();
    }

    public static DocValue From(string value) => new String(value);
    public static DocValue From(long value) => new Integer(value);
    public static DocValue From(bool value) => value ? Bool.True : Bool.False;

    /// <summary>
    /// Converts a CLR value (string, number, bool, null, JSON element or node, list, dictionary)
    /// into a DocValue, or says why it is not JSON-compatible.
    /// </summary>
    public static bool TryFrom(object? value, out DocValue result, out string? reason)
    {
        reason = null;
        result = Null.Instance;
        switch (value)
        {
            case null: return true;
            case DocValue v: result = v; return Validate(v, out reason);
            case string s: result = new String(s); return Validate(result, out reason);
            case bool b: result = From(b); return true;
            case int or long or short or sbyte or byte or ushort or uint:
                result = new Integer(Convert.ToInt64(value, CultureInfo.InvariantCulture)); return true;
            case ulong ul when ul <= long.MaxValue: result = new Integer((long)ul); return true;
            case float or double or decimal or ulong:
                var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (!double.IsFinite(d)) { reason = $"{d} is not a finite number"; return false; }
                result = new Number(d); return true;
            case JsonElement e: result = FromJson(e); return true;
            case JsonNode n: result = FromJson(JsonSerializer.SerializeToElement(n)); return true;
            case System.Collections.IDictionary dict:
            {
                var builder = new SortedDictionary<string, DocValue>(StringComparer.Ordinal);
                foreach (System.Collections.DictionaryEntry entry in dict)
                {
                    if (entry.Key is not string key) { reason = $"object key {entry.Key} is not a string"; return false; }
                    if (!TryFrom(entry.Value, out var item, out reason)) { reason = $"{key}: {reason}"; return false; }
                    builder[key] = item;
                }
                result = new Object(PropertyMap.From(builder));
                return true;
            }
            case System.Collections.IEnumerable list:
            {
                var items = ImmutableArray.CreateBuilder<DocValue>();
                var index = 0;
                foreach (var element in list)
                {
                    if (!TryFrom(element, out var item, out reason)) { reason = $"[{index}]: {reason}"; return false; }
                    items.Add(item);
                    index++;
                }
                result = new Array(items.ToImmutable());
                return true;
            }
            default:
                reason = $"a value of type {value.GetType().Name} is not JSON-compatible";
                return false;
        }
    }

    /// <summary>Checks a value built by hand (NaN and infinities are not JSON).</summary>
    public static bool Validate(DocValue value, out string? reason)
    {
        reason = null;
        switch (value)
        {
            case Number n when !double.IsFinite(n.Value):
                reason = $"{n.Value} is not a finite number";
                return false;
            case String s when s.Value is null:
                reason = "a string value is null";
                return false;
            case String s when DocNames.HasLoneSurrogate(s.Value):
                reason = "a string holds a lone UTF-16 surrogate, which JSON (UTF-8) cannot carry";
                return false;
            case Array a:
                for (var i = 0; i < a.Items.Length; i++)
                    if (!Validate(a.Items[i], out reason)) { reason = $"[{i}]: {reason}"; return false; }
                return true;
            case Object o:
                foreach (var (key, item) in o.Properties)
                    if (!Validate(item, out reason)) { reason = $"{key}: {reason}"; return false; }
                return true;
            default:
                return true;
        }
    }

    public static DocValue FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => Null.Instance,
        JsonValueKind.True => Bool.True,
        JsonValueKind.False => Bool.False,
        JsonValueKind.String => new String(element.GetString()!),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? new Integer(l) : new Number(element.GetDouble()),
        JsonValueKind.Array => new Array(element.EnumerateArray().Select(FromJson).ToImmutableArray()),
        JsonValueKind.Object => new Object(PropertyMap.From(element.EnumerateObject()
            .Select(p => new KeyValuePair<string, DocValue>(p.Name, FromJson(p.Value))))),
        _ => throw new ArgumentOutOfRangeException(nameof(element), element.ValueKind, "unknown JSON value kind"),
    };

    public JsonNode? ToJson() => this switch
    {
        Null => null,
        Bool b => JsonValue.Create(b.Value),
        Integer i => JsonValue.Create(i.Value),
        // Only a value built by hand can be non-finite (the DOC refuses it); its text keeps ToString from throwing.
        Number n => double.IsFinite(n.Value) ? JsonNode.Parse(FormatNumber(n.Value)) : JsonValue.Create(FormatNumber(n.Value)),
        String s => JsonValue.Create(s.Value),
        Array a => new JsonArray(a.Items.Select(v => v.ToJson()).ToArray()),
        Object o => o.Properties.ToJsonObject(),
        _ => throw new InvalidOperationException("unreachable"),
    };

    /// <summary>A double as JSON text that always reads back as a double (1.0, not 1, which would read back as an integer).</summary>
    public static string FormatNumber(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.AsSpan().IndexOfAny(".eE") >= 0 ? text : text + ".0";
    }

    /// <summary>The text used when a value is substituted into a string (<c>%{path}</c>).</summary>
    public string ToText() => this switch
    {
        String s => s.Value,
        _ => ToString() ?? "",
    };
}
