using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Serialization;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Serialization;

/// <summary>
/// Serializes every <see cref="IDocMessage"/> as System.Text.Json (<see cref="DocJson"/>) under a
/// stable string manifest, so the journal and snapshot store never depend on CLR type names.
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
        var entries = Table.Select(t => new Entry(t.Type, t.Manifest, t.Type == typeof(SubtreeLocated) ? null! : DocJson.Options.GetTypeInfo(t.Type))).ToArray();
        ByType = entries.ToFrozenDictionary(e => e.Type);
        ByManifest = entries.ToFrozenDictionary(e => e.Manifest, StringComparer.Ordinal);
    }

    public DocSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => Id;

    /// <summary>Every serializable type with its manifest.</summary>
    public static IReadOnlyDictionary<Type, string> Manifests { get; } = Table.ToFrozenDictionary(t => t.Type, t => t.Manifest);

    public override string Manifest(object o) => EntryFor(o).Manifest;

    public override byte[] ToBinary(object obj) => obj is SubtreeLocated located
        ? JsonSerializer.SerializeToUtf8Bytes(new LocatedJson(located.Root, located.Name, located.Subtree is null ? null : Akka.Serialization.Serialization.SerializedActorPath(located.Subtree)), DocJson.Options)
        : JsonSerializer.SerializeToUtf8Bytes(obj, EntryFor(obj).TypeInfo);

    /// <summary>An actor reference travels as its path and is resolved by the receiving system.</summary>
    private sealed record LocatedJson(string Root, string Name, string? Subtree);

    private SubtreeLocated ReadLocated(byte[] bytes)
    {
        var json = JsonSerializer.Deserialize<LocatedJson>(bytes, DocJson.Options) ?? throw new SerializationException("DocSerializer: 'doc.SubtreeLocated' payload is JSON null");
        return new SubtreeLocated(json.Root, json.Name, json.Subtree is null ? null : system.Provider.ResolveActorRef(json.Subtree));
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!ByManifest.TryGetValue(manifest, out var entry))
            throw new SerializationException($"DocSerializer: unknown manifest '{manifest}' (known: {string.Join(", ", ByManifest.Keys.Order(StringComparer.Ordinal))})");
        try
        {
            if (entry.Type == typeof(SubtreeLocated)) return ReadLocated(bytes);
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

    private sealed record Entry(Type Type, string Manifest, JsonTypeInfo TypeInfo);
}
