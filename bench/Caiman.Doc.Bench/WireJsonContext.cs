using System.Text.Json.Serialization;
using Caiman.Doc.Protocol;
using Caiman.Doc.Serialization;

namespace Caiman.Doc.Bench;

/// <summary>
/// The other candidate for the DOC's wire format, measured against the binary one (see the
/// serializer figures): System.Text.Json with source-generated metadata instead of reflection, for
/// one op's request and reply types. Kept in the bench only: the binary format was chosen.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true, Converters = [typeof(NewNodeConverter)])]
[JsonSerializable(typeof(Mutate))]
[JsonSerializable(typeof(Find))]
[JsonSerializable(typeof(MutationResult))]
[JsonSerializable(typeof(QueryResult))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
