using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Caiman.Doc.Serialization;
using CsCheck;
using Xunit;
using Xunit.Abstractions;

namespace Caiman.Doc.Tests.Serialization;

public sealed class DocSerializerSpec
{
    private static readonly Writer Alice = new("run-1", "disks/format", 2);
    private static readonly Writer Bob = Writer.User("run-1");

    // Every kind of value, with the cases that are easy to get wrong: 1 vs 1.0, null inside containers, non-ASCII text.
    private static readonly PropertyMap AllKinds = PropertyMap.Of(
        ("null", DocValue.Null.Instance),
        ("yes", DocValue.Bool.True),
        ("no", DocValue.Bool.False),
        ("int", new DocValue.Integer(1)),
        ("one", new DocValue.Number(1.0)),
        ("big", new DocValue.Integer(long.MaxValue)),
        ("small", new DocValue.Integer(long.MinValue)),
        ("pi", new DocValue.Number(Math.PI)),
        ("tiny", new DocValue.Number(double.Epsilon)),
        ("huge", new DocValue.Number(1e300)),
        ("negZero", new DocValue.Number(-0.0)),
        ("text", new DocValue.String("héllo \"wörld\" \\ / \n\t 日本語 🐊 \u0001")),
        ("empty", new DocValue.String("")),
        ("list", new DocValue.Array([new DocValue.Integer(1), new DocValue.Number(1.0), DocValue.Null.Instance,
            new DocValue.Array([]), new DocValue.Array([new DocValue.String("deep")])])),
        ("obj", new DocValue.Object(PropertyMap.Of(
            ("a", new DocValue.Object(PropertyMap.Empty)),
            ("b", new DocValue.Array([new DocValue.Object(PropertyMap.Of(("c", DocValue.Null.Instance)))])),
            ("ключ", new DocValue.Number(-2.5e-8))))));

    private static readonly NodeId DiskId = new("persistent/disks", 42);

    private static readonly ImmutableArray<DocError> AllErrors =
    [
        new DocError.InvalidPath("/a[", 3, "expected ']'"),
        new DocError.PathNotFound("/missing"),
        new DocError.AmbiguousPath("//disk", 2),
        new DocError.InvalidName("", "a name must not be empty"),
        new DocError.ReferenceChildMissing("/persistent/disks", "sda"),
        new DocError.VersionConflict("/persistent/disks", 3, 4),
        new DocError.NotJsonCompatible("/persistent/disks", "size", "NaN is not a finite number"),
        new DocError.NothingMatched("/persistent/disks", "name 'sdz'"),
        new DocError.RevertConflict(Alice, Bob, "/persistent/disks/sda"),
        new DocError.InvalidOperation("/persistent", "a fixed root has no properties"),
        new DocError.InvalidDocument("$.children[0]", "expected an object"),
    ];

    private static SnapshotNode SnapNode(long serial, string name, params SnapshotNode[] children) => new(
        serial, name, "Disk", PropertyMap.Of(("size", new DocValue.Integer(serial * 1024))), serial + 1,
        new SnapshotStamp(0, serial), [1],
        [new SnapshotPropertyStamp("size", new SnapshotStamp(1, serial + 10))], [.. children]);

    private static DocNode Node(string name, params DocNode[] children) => new(
        new NodeId("persistent/disks", name.Length), name, "Disk", AllKinds, 7, $"/persistent/disks/{name}", children.Length, [.. children]);

    /// <summary>At least one hand-built instance of every message type, nested unions and values included.</summary>
    private static readonly ImmutableArray<IDocMessage> Samples =
    [
        new Mutate(Alice,
        [
            new Mutation.InsertChildren("/persistent/disks",
                [
                    new NewNode("sda", "Disk", AllKinds).WithChildren(new NewNode("p1"), new NewNode("p2", "Partition").WithChildren(new NewNode("fs"))),
                    new NewNode("sdb"),
                ],
                InsertPosition.Append.Instance),
            new Mutation.InsertChildren(DiskId, [new NewNode("x")], new InsertPosition.Before("sdb"), ExpectedVersion: 3),
            new Mutation.InsertChildren(NodeId.Root, [new NewNode("y")], new InsertPosition.After("sda")),
            new Mutation.DeleteChildren("/persistent/disks", Name: "sdb", Kind: "Disk", ErrorIfNone: true, ExpectedVersion: 0),
            new Mutation.DeleteChildren(DiskId),
            new Mutation.DeleteNode("/persistent/disks/sdc", ExpectedVersion: long.MaxValue),
            new Mutation.SetProperties(DiskId, AllKinds),
            new Mutation.RemoveProperties("/persistent/disks/sda", ["size", "ключ"]),
        ]),
        new Mutate(Bob, []),
        new RevertWriters(Bob, [Alice, Alice with { Attempt = 3 }], Cascade: true, DryRun: true),
        new Find("//[@Disk].size"),
        new Find("sda/p1", DiskId, QueryShape.Subtree),
        new EvaluateStage("//disk#2/p", 1, 3, StageOrigin.Serials, [1, 2, long.MaxValue], Final: true, QueryShape.Subtree),
        new EvaluateStage("/persistent//x", 0, 1, StageOrigin.FixedRoot, [], Final: false, QueryShape.Node),
        new StageResult(
        [
            new StageMatch(5, SharedParent.None, Node("sda", Node("p1")), null),
            new StageMatch(6, SharedParent.FixedRoot, null, DocValue.Null.Instance),
            new StageMatch(7, SharedParent.DocRoot, null, new DocValue.Number(1.0)),
            new StageMatch(8, SharedParent.None, null, null),
        ], null),
        new StageResult([], new DocError.AmbiguousPath("//x", 3)),
        new MutationResult([DiskId, new NodeId("volatile/scratch:tmp", 0)], null),
        .. AllErrors.Select(MutationResult.Failed),
        new QueryResult([Node("sda", Node("p1", Node("fs")), Node("p2")), Node("sdb")], [], null),
        new QueryResult([], [DocValue.Null.Instance, new DocValue.Integer(1), new DocValue.Number(1.0), new DocValue.String("🐊")], null),
        QueryResult.Failed(new DocError.PathNotFound("/nowhere")),
        new RevertResult([Alice, Bob], null),
        new FenceWriters([Alice, Bob]),
        new WritersFenced([Alice]),
        new FindWrites([Alice]),
        new LocateSubtree(DocNames.Persistent, "disks"),
        new SubtreeLocated(DocNames.Volatile, "scratch", null),
        new Blame([DiskId]),
        new BlameResult([new NodeBlame(DiskId, "/persistent/disks/sda", Alice, Bob, [new PropertyBlame("size", Bob), new PropertyBlame("name", null)])]),
        new WritesResult([new WrittenNode(Alice, DiskId, "/persistent/disks/sda")]),
        MutationResult.Failed(new DocError.WriterFenced(Bob)),
        RevertResult.Failed(new DocError.RevertConflict(Alice, Bob, "/persistent/disks")),
        new ChildrenInserted(Alice, 0, 0,
        [
            new NodeData(1, "sda", "Disk", AllKinds, [new NodeData(2, "p1", "Partition", PropertyMap.Empty, [])]),
            new NodeData(3, "sdb", "Disk", PropertyMap.Of(("n", new DocValue.Integer(-1))), []),
        ]),
        new NodesDeleted(Alice, [1, 2, 3]),
        new PropertiesSet(Bob, 4, AllKinds),
        new PropertiesRemoved(Alice, 4, ["size", "日本語"]),
        new WritersReverted(Bob, [Alice, Alice with { Attempt = 1 }]),
        new SubtreeRegistered(Alice, DocNames.Persistent, "disks", 2),
        new SubtreeSnapshot("persistent", "disks", 3, 100, 57, [Alice, Bob],
            [SnapNode(1, "sda", SnapNode(2, "p1"), SnapNode(3, "p2", SnapNode(4, "fs")), SnapNode(5, "gone", SnapNode(6, "child")) with { Hidden = true })],
        [
            new SnapshotUndo(0, "inserted", 10, 0, 0, [1, 2, 3, 4], []),
            new SnapshotUndo(1, "deleted", 11, 2, 1, [5], []),
            new SnapshotUndo(1, "properties", 12, 3, 1, [],
            [
                new SnapshotPropertyChange("absent", null, null),
                new SnapshotPropertyChange("wasNull", DocValue.Null.Instance, new SnapshotStamp(0, 10)),
                new SnapshotPropertyChange("wasOne", new DocValue.Number(1.0), new SnapshotStamp(1, 11)),
                new SnapshotPropertyChange("wasObj", new DocValue.Object(AllKinds), null),
            ]),
        ]),
        new SubtreeSnapshot("volatile", "empty", 1, 1, 0, [], [], []),
    ];

    private static readonly DocSerializer Serializer = new(null!);

    public static TheoryData<string> AllManifests => new(DocSerializer.Manifests.Values.Order(StringComparer.Ordinal));

    public static TheoryData<int> ErrorIndexes => new(Enumerable.Range(0, AllErrors.Length));

    private static IEnumerable<Type> ConcreteDocMessageTypes() =>
        typeof(IDocMessage).Assembly.GetTypes().Where(t => typeof(IDocMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false });

    private static T RoundTrip<T>(T message) where T : notnull
    {
        var bytes = Serializer.ToBinary(message);
        return (T)Serializer.FromBinary(bytes, Serializer.Manifest(message));
    }

    private static string Json(object message) => Encoding.UTF8.GetString(DocSerializer.ToJson(message));

    private static readonly Type[] PersistedTypes =
        [typeof(ChildrenInserted), typeof(NodesDeleted), typeof(PropertiesSet), typeof(PropertiesRemoved), typeof(WritersReverted), typeof(SubtreeRegistered), typeof(SubtreeSnapshot)];

    private static bool HasJson(Type type) => type != typeof(SubtreeLocated);

    // ---- Golden files: one checked-in sample per manifest and format ----------------------------

    private static string GoldenDirectory([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Golden");

    /// <summary>Set to 1 to write the golden files from the samples (then review the diff and check them in).</summary>
    private const string WriteGolden = "CAIMAN_WRITE_GOLDEN";

    private static byte[] ReadHex(string path) =>
        Convert.FromHexString(string.Concat(File.ReadAllLines(path).Select(l => l.Trim())));

    private static string ToHex(byte[] bytes) =>
        string.Join('\n', bytes.Chunk(32).Select(c => Convert.ToHexString(c).ToLowerInvariant())) + "\n";

    [Theory]
    [MemberData(nameof(AllManifests))]
    public void Golden_sample_of_every_manifest_should_read_back_and_be_written_byte_for_byte_the_same(string manifest)
    {
        var type = DocSerializer.Manifests.Single(p => p.Value == manifest).Key;
        var sample = Samples.First(s => s.GetType() == type);
        var formats = new List<(string File, byte[] Now, Func<string, byte[]> Read)>();
        if (HasJson(type)) formats.Add(($"{manifest}.json", DocSerializer.ToJson(sample), File.ReadAllBytes));
        if (DocSerializer.IsBinary(type)) formats.Add(($"{manifest}.bin.hex", Serializer.ToBinary(sample), ReadHex));
        Assert.NotEmpty(formats);
        foreach (var (name, now, read) in formats)
        {
            var path = Path.Combine(GoldenDirectory(), name);
            if (Environment.GetEnvironmentVariable(WriteGolden) == "1")
            {
                Directory.CreateDirectory(GoldenDirectory());
                if (name.EndsWith(".json", StringComparison.Ordinal)) File.WriteAllBytes(path, now);
                else File.WriteAllText(path, ToHex(now));
            }
            Assert.True(File.Exists(path), $"no golden sample {name}: run this test once with {WriteGolden}=1, review and check the file in");
            var golden = read(path);
            // What older processes and journals hold must still read...
            AssertDeepEqual(sample, Serializer.FromBinary(golden, manifest));
            // ...and the format must not change without a new golden file (and, for binary, a new format byte).
            Assert.True(golden.AsSpan().SequenceEqual(now), $"{name}: the serialized form changed; if on purpose, keep reading the old one and add a sample of the new");
        }
    }

    [Fact]
    public void Persisted_events_and_snapshots_should_stay_json_and_wire_messages_should_be_binary()
    {
        foreach (var type in DocSerializer.Manifests.Keys)
        {
            var sample = Samples.First(s => s.GetType() == type);
            var first = Serializer.ToBinary(sample)[0];
            if (PersistedTypes.Contains(type)) Assert.True(first == (byte)'{', $"{type.Name} is persisted and must stay JSON");
            else Assert.True(first == 0x01, $"{type.Name} is a wire message and should be binary (format byte 1), not {first}");
        }
    }

    [Fact]
    public void Wire_messages_should_still_read_from_the_json_older_processes_sent()
    {
        foreach (var sample in Samples.Where(s => !PersistedTypes.Contains(s.GetType()) && HasJson(s.GetType())))
            AssertDeepEqual(sample, Serializer.FromBinary(DocSerializer.ToJson(sample), Serializer.Manifest(sample)));
    }

    [Fact]
    public void Binary_payload_that_is_cut_short_or_corrupt_should_be_refused_with_a_serialization_error()
    {
        var bytes = Serializer.ToBinary(Samples[0]);
        for (var length = 1; length < bytes.Length; length++)
        {
            var cut = bytes[..length];
            Assert.Throws<SerializationException>(() => Serializer.FromBinary(cut, "doc.Mutate"));
        }
        Assert.Throws<SerializationException>(() => Serializer.FromBinary([.. bytes, 0], "doc.Mutate"));
        Assert.Throws<SerializationException>(() => Serializer.FromBinary([0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "doc.FenceWriters"));
        Assert.Throws<SerializationException>(() => Serializer.FromBinary([0x01, 0x01], "doc.NodesDeleted"));
    }

    [Fact]
    public void Serializer_should_have_a_manifest_for_every_concrete_doc_message()
    {
        var missing = ConcreteDocMessageTypes().Where(t => !DocSerializer.Manifests.ContainsKey(t)).Select(t => t.FullName).ToList();
        Assert.True(missing.Count == 0, $"no manifest in DocSerializer's table for: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Manifests_should_be_unique_and_name_only_doc_messages()
    {
        Assert.Equal(DocSerializer.Manifests.Count, DocSerializer.Manifests.Values.Distinct(StringComparer.Ordinal).Count());
        Assert.All(DocSerializer.Manifests.Keys, t => Assert.True(typeof(IDocMessage).IsAssignableFrom(t), t.FullName));
        Assert.All(DocSerializer.Manifests.Values, m => Assert.StartsWith("doc.", m, StringComparison.Ordinal));
    }

    [Fact]
    public void Samples_should_cover_every_concrete_doc_message()
    {
        var sampled = Samples.Select(s => s.GetType()).ToHashSet();
        var missing = ConcreteDocMessageTypes().Where(t => !sampled.Contains(t)).Select(t => t.FullName).ToList();
        Assert.True(missing.Count == 0, $"add a round-trip sample for: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Manifests_of_persisted_events_and_snapshots_should_never_change()
    {
        // These strings are in journals and snapshot stores; a failing assert here means old data becomes unreadable.
        Assert.Equal("doc.ChildrenInserted", DocSerializer.Manifests[typeof(ChildrenInserted)]);
        Assert.Equal("doc.NodesDeleted", DocSerializer.Manifests[typeof(NodesDeleted)]);
        Assert.Equal("doc.PropertiesSet", DocSerializer.Manifests[typeof(PropertiesSet)]);
        Assert.Equal("doc.PropertiesRemoved", DocSerializer.Manifests[typeof(PropertiesRemoved)]);
        Assert.Equal("doc.WritersReverted", DocSerializer.Manifests[typeof(WritersReverted)]);
        Assert.Equal("doc.SubtreeRegistered", DocSerializer.Manifests[typeof(SubtreeRegistered)]);
        Assert.Equal("doc.SubtreeSnapshot", DocSerializer.Manifests[typeof(SubtreeSnapshot)]);
        Assert.Equal(1201, Serializer.Identifier);
    }

    [Fact]
    public void Persisted_event_json_should_keep_its_exact_shape()
    {
        // A golden copy of the journal format: property names, discriminators and number spelling are all persisted.
        var inserted = new ChildrenInserted(Alice, 7, 1,
            [new NodeData(8, "sda", "Disk", PropertyMap.Of(("size", new DocValue.Integer(1))), [new NodeData(9, "p1", "Partition", PropertyMap.Of(("ratio", new DocValue.Number(1.0))), default)])]);
        const string expected =
            """{"writer":{"run":"run-1","checkpoint":"disks/format","attempt":2},"parentSerial":7,"index":1,"nodes":[{"serial":8,"name":"sda","kind":"Disk","properties":{"size":1},"children":[{"serial":9,"name":"p1","kind":"Partition","properties":{"ratio":1.0}}]}]}""";
        Assert.Equal(expected, Json(inserted));
        AssertDeepEqual(inserted, Serializer.FromBinary(Encoding.UTF8.GetBytes(expected), "doc.ChildrenInserted"));

        var change = new SubtreeSnapshot("persistent", "d", 1, 2, 1, [Bob], [],
            [new SnapshotUndo(0, "properties", 1, 0, 1, [],
                [new SnapshotPropertyChange("gone", null, null), new SnapshotPropertyChange("wasNull", DocValue.Null.Instance, new SnapshotStamp(-1, 0))])]);
        Assert.Equal(
            """{"rootName":"persistent","mountName":"d","fixedRootVersion":1,"nextSerial":2,"sequence":1,"writers":[{"run":"run-1","checkpoint":"","attempt":0}],"undo":[{"writer":0,"type":"properties","seq":1,"priorVersion":0,"parentSerial":1,"changes":[{"key":"gone"},{"key":"wasNull","old":null,"previousStamp":{"writer":-1,"seq":0}}]}]}""",
            Json(change));
    }

    [Fact]
    public void Unions_should_carry_a_stable_discriminator_and_no_computed_members()
    {
        var json = Json(new Mutate(Bob, [new Mutation.InsertChildren(DiskId, [new NewNode("a")], new InsertPosition.Before("b"))]));
        Assert.Equal(
            """{"writer":{"run":"run-1","checkpoint":"","attempt":0},"mutations":[{"$t":"insertChildren","target":{"$t":"id","id":"persistent/disks:42"},"nodes":[{"name":"a","kind":"Node","properties":{},"children":[]}],"position":{"$t":"before","sibling":"b"}}]}""",
            json);
        var failed = Json(MutationResult.Failed(new DocError.PathNotFound("/x")));
        Assert.Equal("""{"error":{"$t":"pathNotFound","path":"/x"}}""", failed);
    }

    [Fact]
    public void Every_union_variant_should_have_a_discriminator()
    {
        foreach (var union in new[] { typeof(NodeTarget), typeof(InsertPosition), typeof(Mutation), typeof(DocError) })
        {
            var declared = union.GetCustomAttributes<JsonDerivedTypeAttribute>().Select(a => a.DerivedType).ToHashSet();
            var variants = union.Assembly.GetTypes().Where(t => t.IsSubclassOf(union) && !t.IsAbstract);
            Assert.All(variants, v => Assert.True(declared.Contains(v), $"{union.Name}.{v.Name} has no [JsonDerivedType] on {union.Name}"));
        }
    }

    [Theory]
    [MemberData(nameof(AllManifests))]
    public void Every_message_type_should_round_trip_exactly(string manifest)
    {
        var type = DocSerializer.Manifests.Single(p => p.Value == manifest).Key;
        var samples = Samples.Where(s => s.GetType() == type).ToList();
        Assert.NotEmpty(samples);
        foreach (var sample in samples)
        {
            Assert.Equal(manifest, Serializer.Manifest(sample));
            var copy = RoundTrip(sample);
            Assert.IsType(type, copy);
            AssertDeepEqual(sample, copy);
            if (HasJson(type)) Assert.Equal(Json(sample), Json(copy));
        }
    }

    [Theory]
    [MemberData(nameof(ErrorIndexes))]
    public void Every_doc_error_should_round_trip_inside_a_reply(int index)
    {
        var reply = MutationResult.Failed(AllErrors[index]);
        var copy = RoundTrip(reply);
        Assert.Equal(AllErrors[index], copy.Error);
        Assert.Equal(AllErrors[index].Message, copy.Error!.Message);
    }

    [Fact]
    public void Nullable_doc_value_should_keep_absent_apart_from_json_null()
    {
        var copy = RoundTrip(new StageResult([new StageMatch(1, SharedParent.None, null, null), new StageMatch(2, SharedParent.None, null, DocValue.Null.Instance)], null));
        Assert.Null(copy.Matches[0].Value);
        Assert.Same(DocValue.Null.Instance, copy.Matches[1].Value);
    }

    [Fact]
    public void Empty_immutable_arrays_should_be_left_out_and_missing_ones_should_read_as_empty()
    {
        var deleted = new NodesDeleted(Alice, default);
        Assert.DoesNotContain("serials", Json(deleted), StringComparison.Ordinal);
        Assert.False(RoundTrip(deleted).Serials.IsDefault);

        var removed = (PropertiesRemoved)Serializer.FromBinary(Encoding.UTF8.GetBytes("""{"writer":{"run":"r","checkpoint":"","attempt":0},"serial":3}"""), "doc.PropertiesRemoved");
        Assert.False(removed.Names.IsDefault);
        Assert.Empty(removed.Names);

        var snapshot = (SubtreeSnapshot)Serializer.FromBinary(Encoding.UTF8.GetBytes("""{"rootName":"persistent","mountName":"m","nextSerial":1,"sequence":0}"""), "doc.SubtreeSnapshot");
        Assert.False(snapshot.Writers.IsDefault);
        Assert.False(snapshot.Undo.IsDefault);
    }

    [Fact]
    public void FromBinary_should_refuse_an_unknown_manifest_clearly()
    {
        var error = Assert.Throws<SerializationException>(() => Serializer.FromBinary("{}"u8.ToArray(), "doc.NoSuchThing"));
        Assert.Contains("doc.NoSuchThing", error.Message, StringComparison.Ordinal);
        Assert.Throws<SerializationException>(() => Serializer.Manifest("not a doc message"));
        Assert.Throws<SerializationException>(() => Serializer.FromBinary("{\"writer\":"u8.ToArray(), "doc.NodesDeleted"));
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e20, "1E+20")]
    [InlineData(-2.5e-8, "-2.5E-08")]
    [InlineData(123456789012.0, "123456789012.0")]
    public void Number_should_always_be_written_with_a_fraction_or_exponent(double value, string json)
    {
        Assert.Equal(json, DocJson.ToJson(new DocValue.Number(value)));
        var parsed = Assert.IsType<DocValue.Number>(DocJson.ParseValue(json));
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(parsed.Value));
    }

    [Fact]
    public void Numbers_should_parse_as_integer_only_without_fraction_or_exponent()
    {
        Assert.Equal(new DocValue.Integer(1), DocJson.ParseValue("1"));
        Assert.Equal(new DocValue.Integer(long.MinValue), DocJson.ParseValue("-9223372036854775808"));
        Assert.Equal(new DocValue.Number(1.0), DocJson.ParseValue("1.0"));
        Assert.Equal(new DocValue.Number(1000), DocJson.ParseValue("1e3"));
        Assert.Equal(new DocValue.Number(1000), DocJson.ParseValue("1E3"));
        Assert.Equal(new DocValue.Number(9223372036854775808.0), DocJson.ParseValue("9223372036854775808"));
        Assert.Equal("1", DocJson.ToJson(new DocValue.Integer(1)));
        Assert.Equal("-9223372036854775808", DocJson.ToJson(new DocValue.Integer(long.MinValue)));
    }

    [Fact]
    public void Non_finite_numbers_should_be_refused()
    {
        Assert.Throws<JsonException>(() => DocJson.ToJson(new DocValue.Number(double.NaN)));
        Assert.Throws<JsonException>(() => DocJson.ToJson(new DocValue.Number(double.PositiveInfinity)));
    }

    [Fact]
    public void Values_should_be_plain_json_with_unicode_unescaped()
    {
        // Only characters outside the BMP are still \u-escaped: the inbox encoders always escape surrogate pairs.
        Assert.Equal("""{"a":null,"b":[true,false,1,1.0],"é":"日本語 \uD83D\uDC0A \"q\""}""", DocJson.ToJson(new DocValue.Object(PropertyMap.Of(
            ("a", DocValue.Null.Instance),
            ("b", new DocValue.Array([DocValue.Bool.True, DocValue.Bool.False, new DocValue.Integer(1), new DocValue.Number(1)])),
            ("é", new DocValue.String("日本語 🐊 \"q\""))))));
        Assert.ThrowsAny<JsonException>(() => DocJson.ParseValue("1 2"));
        Assert.ThrowsAny<JsonException>(() => DocJson.ParseValue(""));
    }

    [Fact]
    public void NodeId_should_be_a_subtree_serial_string()
    {
        Assert.Equal("\"persistent/disks:42\"", JsonSerializer.Serialize(DiskId, DocJson.Options));
        Assert.Equal(new NodeId("a:b", 7), JsonSerializer.Deserialize<NodeId>("\"a:b:7\"", DocJson.Options));
        Assert.Equal(NodeId.Root, JsonSerializer.Deserialize<NodeId>("\":0\"", DocJson.Options));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<NodeId>("\"no-serial\"", DocJson.Options));
    }

    [Fact]
    public void Deeply_nested_trees_should_serialize()
    {
        // Each tree level is two JSON levels; the default limit of 64 would refuse this.
        var node = new NodeData(200, "leaf", "Node", PropertyMap.Empty, []);
        for (var i = 199; i > 0; i--) node = new NodeData(i, $"n{i}", "Node", PropertyMap.Empty, [node]);
        var copy = RoundTrip(new ChildrenInserted(Alice, 0, 0, [node]));
        Assert.Equal(Json(new ChildrenInserted(Alice, 0, 0, [node])), Json(copy));
    }

    [Fact]
    public void Any_value_should_round_trip_through_json_text()
    {
        var key = Gen.String[Gen.Char.AlphaNumeric, 0, 6];
        var text = Gen.OneOf(key, Gen.String[Gen.Char.Where(c => !char.IsSurrogate(c)), 0, 8], Gen.Const("🐊"));
        var leaf = Gen.OneOf<DocValue>(
            Gen.Const<DocValue>(DocValue.Null.Instance),
            Gen.Bool.Select(DocValue.From),
            Gen.Long.Select(DocValue.From),
            Gen.Double.Where(double.IsFinite).Select(d => (DocValue)new DocValue.Number(d)),
            text.Select(DocValue.From));
        var value = Gen.Recursive<DocValue>((depth, self) => depth >= 4 ? leaf : Gen.OneOf(
            leaf,
            self.Array[0, 4].Select(items => (DocValue)new DocValue.Array([.. items])),
            Gen.Dictionary(key, self)[0, 4].Select(d => (DocValue)new DocValue.Object(PropertyMap.From(d)))));
        value.Sample(v =>
        {
            var json = DocJson.ToJson(v);
            var copy = DocJson.ParseValue(json);
            AssertDeepEqual(v, copy);
            Assert.Equal(json, DocJson.ToJson(copy));
        });
    }

    /// <summary>
    /// Structural equality through every public property; records compare ImmutableArray members by
    /// reference, and doubles are compared by bits so -0.0 and 0.0 differ. A default array equals an empty one.
    /// </summary>
    internal static void AssertDeepEqual(object? expected, object? actual, string path = "$")
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }
        var type = expected.GetType();
        Assert.True(type == actual.GetType(), $"{path}: expected {type.Name}, got {actual.GetType().Name}");
        switch (expected)
        {
            case double d:
                Assert.True(BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits((double)actual), $"{path}: expected {d:R}, got {actual:R}");
                return;
            case string or bool or Enum or long or int or NodeId:
                Assert.True(expected.Equals(actual), $"{path}: expected {expected}, got {actual}");
                return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
        {
            var isDefault = type.GetProperty(nameof(ImmutableArray<int>.IsDefault))!;
            var e = (bool)isDefault.GetValue(expected)! ? [] : ((IEnumerable)expected).Cast<object?>().ToList();
            var a = (bool)isDefault.GetValue(actual)! ? [] : ((IEnumerable)actual).Cast<object?>().ToList();
            AssertSequence(e, a, path);
            return;
        }
        if (expected is IEnumerable enumerable)
        {
            AssertSequence(enumerable.Cast<object?>().ToList(), ((IEnumerable)actual).Cast<object?>().ToList(), path);
            return;
        }
        // Types without properties (DocValue.Null, InsertPosition.Append) are equal once their types are.
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0))
            AssertDeepEqual(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
    }

    private static void AssertSequence(List<object?> expected, List<object?> actual, string path)
    {
        Assert.True(expected.Count == actual.Count, $"{path}: expected {expected.Count} items, got {actual.Count}");
        for (var i = 0; i < expected.Count; i++) AssertDeepEqual(expected[i], actual[i], $"{path}[{i}]");
    }
}

/// <summary>The binding in reference.conf, exercised by a real actor system that serializes every message it delivers.</summary>
public sealed class DocSerializerBindingSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config SerializeEverything =
        ConfigurationFactory.ParseString("akka.actor.serialize-messages = on").WithFallback(DocConfig.Default());

    private static readonly Mutate Sample = new(new Writer("run-1", "cp", 1),
    [
        new Mutation.InsertChildren("/persistent/disks",
            [new NewNode("sda", "Disk", PropertyMap.Of(("size", new DocValue.Integer(1)), ("ratio", new DocValue.Number(1.0))))],
            InsertPosition.Append.Instance),
        new Mutation.SetProperties(new NodeId("persistent/disks", 3), PropertyMap.Of(("x", DocValue.Null.Instance))),
    ]);

    public DocSerializerBindingSpec(ITestOutputHelper output) : base(SerializeEverything, nameof(DocSerializerBindingSpec), output) { }

    [Fact]
    public void Actor_system_should_pick_the_doc_serializer_for_doc_messages()
    {
        Assert.IsType<DocSerializer>(Sys.Serialization.FindSerializerFor(Sample));
        Assert.IsType<DocSerializer>(Sys.Serialization.FindSerializerFor(new NodesDeleted(Sample.Writer, [1])));
        Assert.IsType<DocSerializer>(Sys.Serialization.FindSerializerFor(new SubtreeSnapshot("persistent", "d", 1, 1, 0, [], [], [])));
        Assert.IsType<DocSerializer>(Sys.Serialization.FindSerializerForType(typeof(IDocMessage)));
        Assert.Equal(DocSerializer.Id, Sys.Serialization.FindSerializerFor(Sample).Identifier);
        Assert.True(Sys.Settings.SerializeAllMessages);
    }

    [Fact]
    public void Actor_system_should_deliver_a_serialized_copy_with_serialize_messages_on()
    {
        TestActor.Tell(Sample);
        var received = ExpectMsg<Mutate>();
        Assert.NotSame(Sample, received);
        DocSerializerSpec.AssertDeepEqual(Sample, received);
    }

    [Fact]
    public void Actor_system_should_deserialize_by_serializer_id_and_manifest()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(Sample);
        var bytes = serializer.ToBinary(Sample);
        var copy = Sys.Serialization.Deserialize(bytes, DocSerializer.Id, serializer.Manifest(Sample));
        DocSerializerSpec.AssertDeepEqual(Sample, copy);
    }
}
