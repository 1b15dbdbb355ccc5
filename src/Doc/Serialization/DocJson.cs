using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Serialization;

/// <summary>
/// The JSON shape of every DOC message, event and snapshot. Wire and journal format: changing
/// a property name or a discriminator here breaks reading what is already persisted.
/// </summary>
public static class DocJson
{
    // Trees nest two JSON levels per node level; 64 (the default) would refuse a DOC only ~30 deep,
    // far beyond that the recursive converters would risk the stack instead.
    private const int MaxDepth = 512;

    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = MaxDepth };

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            // Names and values are free text; \u-escaping every non-ASCII character only bloats the journal.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            MaxDepth = MaxDepth,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { ShapeRecords } },
            Converters =
            {
                new JsonStringEnumConverter(),
                new NewNodeConverter(),
            },
        };
        options.MakeReadOnly(populateMissingResolver: false);
        return options;
    }

    /// <summary>A value as JSON text, numbers written exactly as <see cref="WriteValue"/> does.</summary>
    public static string ToJson(DocValue value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            WriteValue(writer, value);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Parses JSON text into a value; numbers with '.', 'e' or 'E' become <see cref="DocValue.Number"/>.</summary>
    public static DocValue ParseValue(string json)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = MaxDepth });
        if (!reader.Read()) throw new JsonException("empty JSON text");
        var value = ReadValue(ref reader);
        if (reader.Read()) throw new JsonException($"unexpected {reader.TokenType} after the JSON value at byte {reader.TokenStartIndex}");
        return value;
    }

    public static void WriteValue(Utf8JsonWriter writer, DocValue value)
    {
        switch (value)
        {
            case DocValue.Null: writer.WriteNullValue(); break;
            case DocValue.Bool b: writer.WriteBooleanValue(b.Value); break;
            case DocValue.Integer i: writer.WriteNumberValue(i.Value); break;
            case DocValue.Number n: WriteDouble(writer, n.Value); break;
            case DocValue.String s: writer.WriteStringValue(s.Value); break;
            case DocValue.Array a:
                writer.WriteStartArray();
                foreach (var item in a.Items.NullToEmpty()) WriteValue(writer, item);
                writer.WriteEndArray();
                break;
            case DocValue.Object o: WriteProperties(writer, o.Properties); break;
            default: throw new JsonException($"cannot write DocValue of type {value?.GetType().Name ?? "null"}");
        }
    }

    /// <summary>Reads the value at the reader's current token (already read), leaving the reader on its last token.</summary>
    public static DocValue ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null: return DocValue.Null.Instance;
            case JsonTokenType.True: return DocValue.Bool.True;
            case JsonTokenType.False: return DocValue.Bool.False;
            case JsonTokenType.String: return new DocValue.String(GetString(ref reader));
            case JsonTokenType.Number: return ReadNumber(ref reader);
            case JsonTokenType.StartArray:
            {
                var items = ImmutableArray.CreateBuilder<DocValue>();
                while (Next(ref reader) != JsonTokenType.EndArray) items.Add(ReadValue(ref reader));
                return new DocValue.Array(items.DrainToImmutable());
            }
            case JsonTokenType.StartObject: return new DocValue.Object(ReadProperties(ref reader));
            default: throw new JsonException($"expected a JSON value, found {reader.TokenType}");
        }
    }

    private static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        if (!double.IsFinite(value)) throw new JsonException($"{value} is not a JSON number");
        // "R" is the shortest text that parses back to the same double; a '.0' keeps 1.0 a Number, not an Integer.
        Span<byte> text = stackalloc byte[40];
        if (!value.TryFormat(text, out var length, "R", CultureInfo.InvariantCulture))
            throw new JsonException($"cannot format {value}");
        if (text[..length].IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0)
        {
            text[length++] = (byte)'.';
            text[length++] = (byte)'0';
        }
        writer.WriteRawValue(text[..length], skipInputValidation: true);
    }

    private static DocValue ReadNumber(ref Utf8JsonReader reader)
    {
        var isFraction = reader.HasValueSequence
            ? reader.ValueSequence.ToArray().AsSpan().IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0
            : reader.ValueSpan.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0;
        if (!isFraction && reader.TryGetInt64(out var integer)) return new DocValue.Integer(integer);
        // Past the range of long, precision is lost either way; a double at least keeps the magnitude.
        return new DocValue.Number(reader.GetDouble());
    }

    internal static void WriteProperties(Utf8JsonWriter writer, PropertyMap properties)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in properties)
        {
            writer.WritePropertyName(key);
            WriteValue(writer, value);
        }
        writer.WriteEndObject();
    }

    internal static PropertyMap ReadProperties(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException($"expected a JSON object, found {reader.TokenType}");
        List<KeyValuePair<string, DocValue>>? entries = null;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var key = GetString(ref reader);
            Next(ref reader);
            (entries ??= []).Add(new(key, ReadValue(ref reader)));
        }
        return entries is null ? PropertyMap.Empty : PropertyMap.FromSorted([.. entries]);
    }

    /// <summary>A string token's text; an escape that is not valid UTF-16 (a lone <c>\ud83d</c>) is a JsonException, not an InvalidOperationException.</summary>
    private static string GetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException($"invalid string at byte {reader.TokenStartIndex}: {e.Message}", null, null, reader.TokenStartIndex, e);
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) throw new JsonException("unexpected end of JSON");
        return reader.TokenType;
    }

    /// <summary>
    /// Serializes constructor data only (drops computed properties such as <c>DocError.Message</c>),
    /// omits null members so that a nullable <see cref="DocValue"/> keeps "absent" (omitted) apart
    /// from <see cref="DocValue.Null"/> (written <c>null</c>), and never lets a default
    /// <see cref="ImmutableArray{T}"/> throw or come back default.
    /// </summary>
    private static void ShapeRecords(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object) return;
        List<ImmutableArrayMember>? arrays = null;
        for (var i = info.Properties.Count - 1; i >= 0; i--)
        {
            var property = info.Properties[i];
            if (property.Set is null && property.AssociatedParameter is null)
            {
                info.Properties.RemoveAt(i);
                continue;
            }
            var type = property.PropertyType;
            if (!type.IsValueType || Nullable.GetUnderlyingType(type) is not null)
                property.ShouldSerialize = static (_, value) => value is not null;
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
            {
                var member = (ImmutableArrayMember)Activator.CreateInstance(
                    typeof(ImmutableArrayMember<>).MakeGenericType(type.GetGenericArguments()), property)!;
                (arrays ??= []).Add(member);
            }
        }
        if (arrays is null) return;
        var previous = info.OnDeserialized;
        info.OnDeserialized = value =>
        {
            foreach (var member in arrays) member.EmptyIfDefault(value);
            previous?.Invoke(value);
        };
    }

    private abstract class ImmutableArrayMember
    {
        public abstract void EmptyIfDefault(object owner);
    }

    private sealed class ImmutableArrayMember<T> : ImmutableArrayMember
    {
        private readonly Func<object, object?> _get;
        private readonly Action<object, object?>? _set;

        public ImmutableArrayMember(JsonPropertyInfo property)
        {
            var get = property.Get ?? throw new InvalidOperationException($"{property.DeclaringType.Name}.{property.Name} has no getter");
            _get = get;
            _set = property.Set;
            property.Get = owner =>
            {
                var value = get(owner);
                return value is ImmutableArray<T> { IsDefault: true } ? ImmutableArray<T>.Empty : value;
            };
            // An empty array is left out (it reads back as empty): leaves' "children": [] was most of a snapshot.
            property.ShouldSerialize = static (_, value) => value is ImmutableArray<T> { IsDefaultOrEmpty: false };
        }

        // The records are fresh and unpublished here, so setting the init-only member is safe.
        public override void EmptyIfDefault(object owner)
        {
            if (_set is not null && _get(owner) is ImmutableArray<T> { IsDefault: true }) _set(owner, ImmutableArray<T>.Empty);
        }
    }
}

/// <summary>A <see cref="DocValue"/> as plain JSON; <c>null</c> is <see cref="DocValue.Null"/>.</summary>
public sealed class DocValueJsonConverter : JsonConverter<DocValue>
{
    // JSON null must read as DocValue.Null, not as a missing value.
    public override bool HandleNull => true;

    public override DocValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => DocJson.ReadValue(ref reader);

    public override void Write(Utf8JsonWriter writer, DocValue value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue();
        else DocJson.WriteValue(writer, value);
    }
}

/// <summary>A <see cref="PropertyMap"/> as a JSON object in key order.</summary>
public sealed class PropertyMapJsonConverter : JsonConverter<PropertyMap>
{
    public override PropertyMap Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => DocJson.ReadProperties(ref reader);

    public override void Write(Utf8JsonWriter writer, PropertyMap value, JsonSerializerOptions options) => DocJson.WriteProperties(writer, value);
}

/// <summary>A <see cref="NodeId"/> as the string <c>subtree:serial</c>.</summary>
public sealed class NodeIdJsonConverter : JsonConverter<NodeId>
{
    public override NodeId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException($"expected a node id string, found {reader.TokenType}");
        return NodeId.TryParse(text, out var id) ? id : throw new JsonException($"'{text}' is not a node id (subtree:serial)");
    }

    public override void Write(Utf8JsonWriter writer, NodeId value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

/// <summary>
/// <see cref="NewNode"/> has two public constructors, which the default record handling refuses;
/// this also keeps its computed <c>Count</c> out of the JSON.
/// </summary>
internal sealed class NewNodeConverter : JsonConverter<NewNode>
{
    public override NewNode Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException($"expected a node object, found {reader.TokenType}");
        string? name = null, kind = null;
        var properties = PropertyMap.Empty;
        var children = ImmutableArray<NewNode>.Empty;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString();
            reader.Read();
            switch (key)
            {
                case "name": name = reader.GetString(); break;
                case "kind": kind = reader.GetString(); break;
                case "properties": properties = DocJson.ReadProperties(ref reader); break;
                case "children":
                    if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException($"expected children array, found {reader.TokenType}");
                    var builder = ImmutableArray.CreateBuilder<NewNode>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) builder.Add(Read(ref reader, typeToConvert, options));
                    children = builder.DrainToImmutable();
                    break;
                default: reader.Skip(); break;
            }
        }
        return new NewNode(name!, kind!, properties, children);
    }

    public override void Write(Utf8JsonWriter writer, NewNode value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        if (value.Name is not null) writer.WriteString("name", value.Name);
        if (value.Kind is not null) writer.WriteString("kind", value.Kind);
        if (value.Properties is not null)
        {
            writer.WritePropertyName("properties");
            DocJson.WriteProperties(writer, value.Properties);
        }
        writer.WriteStartArray("children");
        foreach (var child in value.Children.NullToEmpty()) Write(writer, child, options);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
