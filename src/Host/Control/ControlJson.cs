using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Caiman.Host.Control;

/// <summary>
/// The control API's JSON, the same on both sides: camelCase names, enums as camelCase strings,
/// nulls left out — the run journal's own conventions, so a pipeline or a status reads the same
/// in the journal and on the wire.
/// </summary>
public static class ControlJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
            // Read by programs and by people with curl, never embedded in HTML: quotes stay quotes.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
