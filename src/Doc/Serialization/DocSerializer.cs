using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Serialization;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Serialization;

/// <summary>
/// Serializes every <see cref="IDocMessage"/> under a stable string manifest, so the journal and
/// snapshot store never depend on CLR type names. Two formats, told apart by the first byte:
/// persisted events and snapshots are System.Text.Json (<see cref="DocJson"/>, starting with '{'),
/// as they always were; wire messages (requests, queries, replies) are the compact binary format
/// (<see cref="DocBinary"/>, starting with <see cref="DocBinary.Version1"/>), several times
/// cheaper to write and read (bench/results/doc.md). Every message also still reads from JSON, the shape older
/// processes sent. A new binary layout gets a new leading byte; the old one keeps being read.
/// </summary>
public sealed class DocSerializer : SerializerWithStringManifest
{
    public const int Id = 1201;

    // Written out by hand on purpose: renaming or moving a class must not change what the journal says.
    // A manifest, once persisted, is never renamed or reused; add new ones instead.
    private static readonly (Type Type, string Manifest)[] Table =
    [
        // Commands
        (typeof(Mutate), "doc.Mutate"),
        (typeof(RevertWriters), "doc.RevertWriters"),
        // Queries
        (typeof(Find), "doc.Find"),
        (typeof(FindWrites), "doc.FindWrites"),
        (typeof(Blame), "doc.Blame"),
        (typeof(BlameResult), "doc.BlameResult"),
        (typeof(FenceWriters), "doc.FenceWriters"),
        (typeof(WritersFenced), "doc.WritersFenced"),
        (typeof(WritesResult), "doc.WritesResult"),
        (typeof(LocateSubtree), "doc.LocateSubtree"),
        (typeof(SubtreeLocated), "doc.SubtreeLocated"),
        (typeof(EvaluateStage), "doc.EvaluateStage"),
        (typeof(StageResult), "doc.StageResult"),
        // Replies
        (typeof(MutationResult), "doc.MutationResult"),
        (typeof(QueryResult), "doc.QueryResult"),
        (typeof(RevertResult), "doc.RevertResult"),
        // Events (persisted)
        (typeof(ChildrenInserted), "doc.ChildrenInserted"),
        (typeof(NodesDeleted), "doc.NodesDeleted"),
        (typeof(PropertiesSet), "doc.PropertiesSet"),
        (typeof(PropertiesRemoved), "doc.PropertiesRemoved"),
        (typeof(WritersReverted), "doc.WritersReverted"),
        (typeof(SubtreeRegistered), "doc.SubtreeRegistered"),
        // Snapshots (persisted)
        (typeof(SubtreeSnapshot), "doc.SubtreeSnapshot"),
    ];

    private static readonly FrozenDictionary<Type, Entry> ByType;
    private static readonly FrozenDictionary<string, Entry> ByManifest;

    static DocSerializer()
    {
        var entries = Table.Select(t => new Entry(t.Type, t.Manifest,
            t.Type == typeof(SubtreeLocated) ? null : DocJson.Options.GetTypeInfo(t.Type), DocBinary.IsWire(t.Type))).ToArray();
        ByType = entries.ToFrozenDictionary(e => e.Type);
        ByManifest = entries.ToFrozenDictionary(e => e.Manifest, StringComparer.Ordinal);
    }

    public DocSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => Id;

    /// <summary>Every serializable type with its manifest.</summary>
    public static IReadOnlyDictionary<Type, string> Manifests { get; } = Table.ToFrozenDictionary(t => t.Type, t => t.Manifest);

    public override string Manifest(object o) => EntryFor(o).Manifest;

    /// <summary>
    /// Wire messages (requests, queries, replies) are written in the compact binary format
    /// (<see cref="DocBinary"/>); persisted events and snapshots stay JSON (<see cref="DocJson"/>), so
    /// every journal written before the binary format existed reads as it always did.
    /// </summary>
    public override byte[] ToBinary(object obj)
    {
        var entry = EntryFor(obj);
        return entry.Binary ? DocBinary.Serialize(obj) : JsonSerializer.SerializeToUtf8Bytes(obj, entry.TypeInfo!);
    }

    /// <summary>The JSON shape of a message, which every message still reads from (older processes sent wire messages as JSON).</summary>
    public static byte[] ToJson(object message) => JsonSerializer.SerializeToUtf8Bytes(message, EntryFor(message).TypeInfo
        ?? throw new SerializationException($"DocSerializer: {message.GetType().Name} has no JSON shape (it carries an actor reference)"));

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!ByManifest.TryGetValue(manifest, out var entry))
            throw new SerializationException($"DocSerializer: unknown manifest '{manifest}' (known: {string.Join(", ", ByManifest.Keys.Order(StringComparer.Ordinal))})");
        if (bytes.Length > 0 && bytes[0] == DocBinary.Version1)
        {
            if (!entry.Binary) throw new SerializationException($"DocSerializer: '{manifest}' is persisted as JSON, not in the binary format");
            return DocBinary.Deserialize(bytes, entry.Type, system);
        }
        // A payload that starts with '{' is JSON: every persisted event and snapshot, and wire messages from older processes.
        if (entry.TypeInfo is null) throw new SerializationException($"DocSerializer: '{manifest}' has no JSON shape");
        try
        {
            return JsonSerializer.Deserialize(bytes, entry.TypeInfo)
                ?? throw new SerializationException($"DocSerializer: '{manifest}' payload is JSON null");
        }
        catch (JsonException e)
        {
            throw new SerializationException($"DocSerializer: cannot read '{manifest}' as {entry.Type.Name}: {e.Message}", e);
        }
    }

    private static Entry EntryFor(object o) =>
        o is not null && ByType.TryGetValue(o.GetType(), out var entry)
            ? entry
            : throw new SerializationException($"DocSerializer: no manifest for {o?.GetType().FullName ?? "null"}; add it to DocSerializer's table");

    private sealed record Entry(Type Type, string Manifest, JsonTypeInfo? TypeInfo, bool Binary);

    /// <summary>Whether a message type is written in the binary format (wire messages) rather than JSON (persisted ones).</summary>
    public static bool IsBinary(Type type) => ByType.TryGetValue(type, out var entry) && entry.Binary;
}
