using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Serialization;

/// <summary>
/// The compact binary shape of the DOC's wire messages (requests, queries, replies), written by
/// hand: a leading format byte (<see cref="Version1"/>), then each record's members in declaration
/// order. Integers are LEB128 varints (signed ones zigzagged), strings a varint of their UTF-8
/// length plus one (0 is null) and the bytes, doubles 8 bytes little-endian, lists a varint count,
/// unions and nullable members a leading tag byte. Changing the order or a tag changes the format:
/// bump the format byte and keep reading the old one (the golden files in the serializer's spec
/// fail otherwise).
/// </summary>
internal static class DocBinary
{
    /// <summary>The first byte of every binary payload. JSON payloads start with '{' (0x7B), so the two never meet.</summary>
    public const byte Version1 = 0x01;

    // Trees nest; deeper than this a payload is refused rather than risk the stack.
    private const int MaxDepth = 512;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [ThreadStatic] private static ArrayBufferWriter<byte>? _buffer;

    /// <summary>Whether this type travels in the binary format (wire messages); persisted events and snapshots stay JSON.</summary>
    public static bool IsWire(Type type) => Writers.ContainsKey(type);

    public static byte[] Serialize(object message)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = new Output(buffer);
        writer.Byte(Version1);
        Writers[message.GetType()](ref writer, message);
        return buffer.WrittenSpan.ToArray();
    }

    public static object Deserialize(ReadOnlySpan<byte> bytes, Type type, ActorSystem? system)
    {
        var reader = new Input(bytes, system);
        if (reader.Byte() != Version1) throw new SerializationException($"DocSerializer: unknown binary format {bytes[0]} for {type.Name}");
        var message = Readers[type](ref reader);
        if (!reader.AtEnd) throw new SerializationException($"DocSerializer: {bytes.Length - reader.Position} bytes left over after {type.Name}");
        return message;
    }

    private delegate void WriteMessage(ref Output writer, object message);

    private delegate object ReadMessage(ref Input reader);

    private static readonly Dictionary<Type, WriteMessage> Writers = new()
    {
        [typeof(Mutate)] = (ref Output w, object m) => { var x = (Mutate)m; w.Writer(x.Writer); w.List(x.Mutations, static (ref Output w, Mutation v) => w.Mutation(v)); },
        [typeof(RevertWriters)] = (ref Output w, object m) => { var x = (RevertWriters)m; w.Writer(x.Writer); w.Writers(x.Reverted); w.Bool(x.Cascade); w.Bool(x.DryRun); },
        [typeof(FenceWriters)] = (ref Output w, object m) => w.Writers(((FenceWriters)m).Writers),
        [typeof(WritersFenced)] = (ref Output w, object m) => w.Writers(((WritersFenced)m).Writers),
        [typeof(LocateSubtree)] = (ref Output w, object m) => { var x = (LocateSubtree)m; w.String(x.Root); w.String(x.Name); },
        [typeof(SubtreeLocated)] = (ref Output w, object m) =>
        {
            var x = (SubtreeLocated)m;
            w.String(x.Root);
            w.String(x.Name);
            w.String(x.Subtree is null ? null : Akka.Serialization.Serialization.SerializedActorPath(x.Subtree));
        },
        [typeof(Find)] = (ref Output w, object m) => { var x = (Find)m; w.String(x.Path); w.OptionalId(x.From); w.Byte((byte)x.Shape); },
        [typeof(FindWrites)] = (ref Output w, object m) => w.Writers(((FindWrites)m).Writers),
        [typeof(Blame)] = (ref Output w, object m) => w.List(((Blame)m).Nodes, static (ref Output w, NodeId v) => w.Id(v)),
        [typeof(EvaluateStage)] = (ref Output w, object m) =>
        {
            var x = (EvaluateStage)m;
            w.String(x.Path);
            w.Int(x.FromStep);
            w.Int(x.ToStep);
            w.Byte((byte)x.Origin);
            w.List(x.Starts, static (ref Output w, long v) => w.Long(v));
            w.Bool(x.Final);
            w.Byte((byte)x.Shape);
        },
        [typeof(StageResult)] = (ref Output w, object m) =>
        {
            var x = (StageResult)m;
            w.List(x.Matches, static (ref Output w, StageMatch v) =>
            {
                w.Long(v.Serial);
                w.Byte((byte)v.Parent);
                if (w.Present(v.Node)) w.Node(v.Node!, 0);
                if (w.Present(v.Value)) w.Value(v.Value!, 0);
            });
            w.OptionalError(x.Error);
        },
        [typeof(MutationResult)] = (ref Output w, object m) => { var x = (MutationResult)m; w.List(x.Inserted, static (ref Output w, NodeId v) => w.Id(v)); w.OptionalError(x.Error); },
        [typeof(QueryResult)] = (ref Output w, object m) =>
        {
            var x = (QueryResult)m;
            w.List(x.Nodes, static (ref Output w, DocNode v) => w.Node(v, 0));
            w.List(x.Values, static (ref Output w, DocValue v) => w.Value(v, 0));
            w.OptionalError(x.Error);
        },
        [typeof(RevertResult)] = (ref Output w, object m) => { var x = (RevertResult)m; w.Writers(x.Reverted); w.OptionalError(x.Error); },
        [typeof(WritesResult)] = (ref Output w, object m) =>
            w.List(((WritesResult)m).Nodes, static (ref Output w, WrittenNode v) => { w.Writer(v.Writer); w.Id(v.Node); w.String(v.Path); }),
        [typeof(BlameResult)] = (ref Output w, object m) => w.List(((BlameResult)m).Nodes, static (ref Output w, NodeBlame v) =>
        {
            w.Id(v.Node);
            w.String(v.Path);
            w.OptionalWriter(v.Inserted);
            w.OptionalWriter(v.LastChanged);
            w.List(v.Properties, static (ref Output w, PropertyBlame p) => { w.String(p.Property); w.OptionalWriter(p.Writer); });
        }),
    };

    private static readonly Dictionary<Type, ReadMessage> Readers = new()
    {
        [typeof(Mutate)] = (ref Input r) => new Mutate(r.Writer(), r.List(static (ref Input r) => r.Mutation())),
        [typeof(RevertWriters)] = (ref Input r) => new RevertWriters(r.Writer(), r.Writers(), r.Bool(), r.Bool()),
        [typeof(FenceWriters)] = (ref Input r) => new FenceWriters(r.Writers()),
        [typeof(WritersFenced)] = (ref Input r) => new WritersFenced(r.Writers()),
        [typeof(LocateSubtree)] = (ref Input r) => new LocateSubtree(r.RequiredString(), r.RequiredString()),
        [typeof(SubtreeLocated)] = (ref Input r) => new SubtreeLocated(r.RequiredString(), r.RequiredString(), r.ActorRef()),
        [typeof(Find)] = (ref Input r) => new Find(r.RequiredString(), r.OptionalId(), r.Enum<QueryShape>()),
        [typeof(FindWrites)] = (ref Input r) => new FindWrites(r.Writers()),
        [typeof(Blame)] = (ref Input r) => new Blame(r.List(static (ref Input r) => r.Id())),
        [typeof(EvaluateStage)] = (ref Input r) => new EvaluateStage(r.RequiredString(), r.Int(), r.Int(), r.Enum<StageOrigin>(),
            r.List(static (ref Input r) => r.Long()), r.Bool(), r.Enum<QueryShape>()),
        [typeof(StageResult)] = (ref Input r) => new StageResult(r.List(static (ref Input r) =>
            new StageMatch(r.Long(), r.Enum<SharedParent>(), r.Present() ? r.Node(0) : null, r.Present() ? r.Value(0) : null)), r.OptionalError()),
        [typeof(MutationResult)] = (ref Input r) => new MutationResult(r.List(static (ref Input r) => r.Id()), r.OptionalError()),
        [typeof(QueryResult)] = (ref Input r) => new QueryResult(r.List(static (ref Input r) => r.Node(0)), r.List(static (ref Input r) => r.Value(0)), r.OptionalError()),
        [typeof(RevertResult)] = (ref Input r) => new RevertResult(r.Writers(), r.OptionalError()),
        [typeof(WritesResult)] = (ref Input r) => new WritesResult(r.List(static (ref Input r) => new WrittenNode(r.Writer(), r.Id(), r.RequiredString()))),
        [typeof(BlameResult)] = (ref Input r) => new BlameResult(r.List(static (ref Input r) => new NodeBlame(r.Id(), r.RequiredString(), r.OptionalWriter(), r.OptionalWriter(),
            r.List(static (ref Input r) => new PropertyBlame(r.RequiredString(), r.OptionalWriter()))))),
    };

    // Tags of the unions: persisted in nothing, but part of the wire format all the same.
    private const byte TargetPath = 0, TargetId = 1;
    private const byte Append = 0, Before = 1, After = 2;
    private const byte Insert = 0, DeleteChildren = 1, DeleteNode = 2, SetProperties = 3, RemoveProperties = 4;
    private const byte ValueNull = 0, ValueFalse = 1, ValueTrue = 2, ValueInteger = 3, ValueNumber = 4, ValueString = 5, ValueArray = 6, ValueObject = 7;

    private ref struct Output(IBufferWriter<byte> output)
    {
        public delegate void Item<T>(ref Output writer, T item);

        public void Byte(byte value)
        {
            output.GetSpan(1)[0] = value;
            output.Advance(1);
        }

        public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

        public void ULong(ulong value)
        {
            var span = output.GetSpan(10);
            var i = 0;
            while (value >= 0x80)
            {
                span[i++] = (byte)(value | 0x80);
                value >>= 7;
            }
            span[i++] = (byte)value;
            output.Advance(i);
        }

        public void Long(long value) => ULong((ulong)((value << 1) ^ (value >> 63)));

        public void Int(int value) => Long(value);

        public void Double(double value)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(output.GetSpan(8), value);
            output.Advance(8);
        }

        public void String(string? value)
        {
            if (value is null)
            {
                Byte(0);
                return;
            }
            var length = StrictUtf8.GetByteCount(value);
            ULong((ulong)length + 1);
            StrictUtf8.GetBytes(value, output.GetSpan(length));
            output.Advance(length);
        }

        /// <summary>A presence byte for a nullable member; true when the member follows.</summary>
        public bool Present(object? value)
        {
            Bool(value is not null);
            return value is not null;
        }

        public void List<T>(ImmutableArray<T> items, Item<T> write)
        {
            var span = items.IsDefault ? [] : items.AsSpan();
            ULong((ulong)span.Length);
            foreach (var item in span) write(ref this, item);
        }

        public void Writer(Model.Writer value)
        {
            String(value.Run);
            String(value.Checkpoint);
            Int(value.Attempt);
        }

        public void OptionalWriter(Model.Writer? value)
        {
            if (Present(value)) Writer(value!);
        }

        public void Writers(ImmutableArray<Model.Writer> values) => List(values, static (ref Output w, Model.Writer v) => w.Writer(v));

        public void Id(NodeId id)
        {
            String(id.Subtree);
            Long(id.Serial);
        }

        public void OptionalId(NodeId? id)
        {
            Bool(id is not null);
            if (id is { } value) Id(value);
        }

        public void Target(NodeTarget target)
        {
            switch (target)
            {
                case NodeTarget.ByPath p: Byte(TargetPath); String(p.Path); break;
                case NodeTarget.ById i: Byte(TargetId); Id(i.Id); break;
                default: throw new SerializationException($"DocSerializer: cannot write target {target?.GetType().Name ?? "null"}");
            }
        }

        public void OptionalLong(long? value)
        {
            Bool(value is not null);
            if (value is { } v) Long(v);
        }

        public void Mutation(Mutation mutation)
        {
            switch (mutation)
            {
                case Protocol.Mutation.InsertChildren m:
                    Byte(Insert);
                    Target(m.Target);
                    List(m.Nodes, static (ref Output w, NewNode v) => w.NewNode(v, 0));
                    switch (m.Position)
                    {
                        case InsertPosition.Before b: Byte(Before); String(b.Sibling); break;
                        case InsertPosition.After a: Byte(After); String(a.Sibling); break;
                        default: Byte(Append); break;
                    }
                    OptionalLong(m.ExpectedVersion);
                    break;
                case Protocol.Mutation.DeleteChildren m:
                    Byte(DeleteChildren); Target(m.Target); String(m.Name); String(m.Kind); Bool(m.ErrorIfNone); OptionalLong(m.ExpectedVersion);
                    break;
                case Protocol.Mutation.DeleteNode m:
                    Byte(DeleteNode); Target(m.Target); OptionalLong(m.ExpectedVersion);
                    break;
                case Protocol.Mutation.SetProperties m:
                    Byte(SetProperties); Target(m.Target); Properties(m.Values, 0); OptionalLong(m.ExpectedVersion);
                    break;
                case Protocol.Mutation.RemoveProperties m:
                    Byte(RemoveProperties); Target(m.Target); List(m.Names, static (ref Output w, string v) => w.String(v)); OptionalLong(m.ExpectedVersion);
                    break;
                default:
                    throw new SerializationException($"DocSerializer: cannot write mutation {mutation?.GetType().Name ?? "null"}");
            }
        }

        public void NewNode(NewNode node, int depth)
        {
            if (depth > MaxDepth) throw new SerializationException($"DocSerializer: a node nests deeper than {MaxDepth} levels");
            String(node.Name);
            String(node.Kind);
            Properties(node.Properties ?? PropertyMap.Empty, depth);
            var children = node.Children.NullToEmpty();
            ULong((ulong)children.Length);
            foreach (var child in children) NewNode(child, depth + 1);
        }

        public void Node(DocNode node, int depth)
        {
            if (depth > MaxDepth) throw new SerializationException($"DocSerializer: a node nests deeper than {MaxDepth} levels");
            Id(node.Id);
            String(node.Name);
            String(node.Kind);
            Properties(node.Properties, depth);
            Long(node.Version);
            String(node.Path);
            Int(node.ChildCount);
            var children = node.Children.NullToEmpty();
            ULong((ulong)children.Length);
            foreach (var child in children) Node(child, depth + 1);
        }

        public void Properties(PropertyMap properties, int depth)
        {
            ULong((ulong)properties.Count);
            foreach (var (key, value) in properties)
            {
                String(key);
                Value(value, depth + 1);
            }
        }

        public void Value(DocValue value, int depth)
        {
            if (depth > MaxDepth) throw new SerializationException($"DocSerializer: a value nests deeper than {MaxDepth} levels");
            switch (value)
            {
                case DocValue.Null: Byte(ValueNull); break;
                case DocValue.Bool b: Byte(b.Value ? ValueTrue : ValueFalse); break;
                case DocValue.Integer i: Byte(ValueInteger); Long(i.Value); break;
                case DocValue.Number n: Byte(ValueNumber); Double(n.Value); break;
                case DocValue.String s: Byte(ValueString); String(s.Value); break;
                case DocValue.Array a:
                    Byte(ValueArray);
                    var items = a.Items.NullToEmpty();
                    ULong((ulong)items.Length);
                    foreach (var item in items) Value(item, depth + 1);
                    break;
                case DocValue.Object o: Byte(ValueObject); Properties(o.Properties, depth); break;
                default: throw new SerializationException($"DocSerializer: cannot write value {value?.GetType().Name ?? "null"}");
            }
        }

        public void OptionalError(DocError? error)
        {
            if (!Present(error)) return;
            switch (error)
            {
                case DocError.InvalidPath e: Byte(0); String(e.Path); Int(e.Position); String(e.Reason); break;
                case DocError.PathNotFound e: Byte(1); String(e.Path); break;
                case DocError.AmbiguousPath e: Byte(2); String(e.Path); Int(e.Matches); break;
                case DocError.InvalidName e: Byte(3); String(e.Name); String(e.Reason); break;
                case DocError.ReferenceChildMissing e: Byte(4); String(e.Parent); String(e.Sibling); break;
                case DocError.VersionConflict e: Byte(5); String(e.Path); Long(e.Expected); Long(e.Actual); break;
                case DocError.NotJsonCompatible e: Byte(6); String(e.Path); String(e.Property); String(e.Reason); break;
                case DocError.NothingMatched e: Byte(7); String(e.Path); String(e.Criteria); break;
                case DocError.RevertConflict e: Byte(8); Writer(e.Reverted); Writer(e.ChangedBy); String(e.Path); break;
                case DocError.InvalidOperation e: Byte(9); String(e.Path); String(e.Reason); break;
                case DocError.InvalidDocument e: Byte(10); String(e.Location); String(e.Reason); break;
                case DocError.WriterFenced e: Byte(11); Writer(e.Writer); break;
                case DocError.TemplatePathEmpty e: Byte(12); String(e.Template); String(e.Path); Int(e.Position); break;
                default: throw new SerializationException($"DocSerializer: cannot write error {error!.GetType().Name}");
            }
        }
    }

    private ref struct Input(ReadOnlySpan<byte> bytes, ActorSystem? system)
    {
        public delegate T Item<out T>(ref Input reader);

        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public readonly int Position => _position;

        public readonly bool AtEnd => _position == _bytes.Length;

        private readonly SerializationException Truncated() => new($"DocSerializer: payload ends early at byte {_position}");

        public byte Byte()
        {
            if (_position >= _bytes.Length) throw Truncated();
            return _bytes[_position++];
        }

        public bool Bool() => Byte() switch
        {
            0 => false,
            1 => true,
            var b => throw new SerializationException($"DocSerializer: {b} at byte {_position - 1} is not a boolean"),
        };

        public bool Present() => Bool();

        public T Enum<T>() where T : struct, System.Enum
        {
            var value = Byte();
            var result = (T)(object)(int)value;
            return System.Enum.IsDefined(result) ? result : throw new SerializationException($"DocSerializer: {value} is not a {typeof(T).Name}");
        }

        public ulong ULong()
        {
            ulong value = 0;
            for (var shift = 0; shift < 70; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw new SerializationException($"DocSerializer: varint too long at byte {_position}");
        }

        public long Long()
        {
            var raw = ULong();
            return (long)(raw >> 1) ^ -(long)(raw & 1);
        }

        public int Int()
        {
            var value = Long();
            return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw new SerializationException($"DocSerializer: {value} does not fit an int at byte {_position}");
        }

        /// <summary>A count of items that must each take at least a byte, so a corrupt count cannot allocate the moon.</summary>
        public int Count()
        {
            var count = ULong();
            return count <= (ulong)(_bytes.Length - _position) ? (int)count : throw new SerializationException($"DocSerializer: count {count} exceeds the payload at byte {_position}");
        }

        public double Double()
        {
            if (_bytes.Length - _position < 8) throw Truncated();
            var value = BinaryPrimitives.ReadDoubleLittleEndian(_bytes[_position..]);
            _position += 8;
            return value;
        }

        public string? String()
        {
            var length = ULong();
            if (length == 0) return null;
            var count = (long)length - 1;
            if (count > _bytes.Length - _position) throw Truncated();
            try
            {
                var text = StrictUtf8.GetString(_bytes.Slice(_position, (int)count));
                _position += (int)count;
                return text;
            }
            catch (DecoderFallbackException e)
            {
                throw new SerializationException($"DocSerializer: invalid UTF-8 at byte {_position}", e);
            }
        }

        public string RequiredString() => String() ?? throw new SerializationException($"DocSerializer: missing string at byte {_position - 1}");

        public ImmutableArray<T> List<T>(Item<T> read)
        {
            var count = Count();
            if (count == 0) return [];
            var items = new T[count];
            for (var i = 0; i < count; i++) items[i] = read(ref this);
            return ImmutableCollectionsMarshal.AsImmutableArray(items);
        }

        public Model.Writer Writer() => new(RequiredString(), RequiredString(), Int());

        public Model.Writer? OptionalWriter() => Present() ? Writer() : null;

        public ImmutableArray<Model.Writer> Writers() => List(static (ref Input r) => r.Writer());

        public NodeId Id() => new(RequiredString(), Long());

        public NodeId? OptionalId() => Present() ? Id() : null;

        public long? OptionalLong() => Present() ? Long() : null;

        public IActorRef? ActorRef()
        {
            var path = String();
            if (path is null) return null;
            if (system is null) throw new SerializationException("DocSerializer: an actor reference needs the actor system to be read");
            return ((ExtendedActorSystem)system).Provider.ResolveActorRef(path);
        }

        public NodeTarget Target() => Byte() switch
        {
            TargetPath => new NodeTarget.ByPath(RequiredString()),
            TargetId => new NodeTarget.ById(Id()),
            var tag => throw new SerializationException($"DocSerializer: unknown target tag {tag}"),
        };

        public Mutation Mutation()
        {
            switch (Byte())
            {
                case Insert:
                {
                    var target = Target();
                    var nodes = List(static (ref Input r) => r.NewNode(0));
                    InsertPosition position = Byte() switch
                    {
                        Append => InsertPosition.Append.Instance,
                        Before => new InsertPosition.Before(RequiredString()),
                        After => new InsertPosition.After(RequiredString()),
                        var tag => throw new SerializationException($"DocSerializer: unknown insert position {tag}"),
                    };
                    return new Protocol.Mutation.InsertChildren(target, nodes, position, OptionalLong());
                }
                case DeleteChildren: return new Protocol.Mutation.DeleteChildren(Target(), String(), String(), Bool(), OptionalLong());
                case DeleteNode: return new Protocol.Mutation.DeleteNode(Target(), OptionalLong());
                case SetProperties: return new Protocol.Mutation.SetProperties(Target(), Properties(0), OptionalLong());
                case RemoveProperties: return new Protocol.Mutation.RemoveProperties(Target(), List(static (ref Input r) => r.RequiredString()), OptionalLong());
                case var tag: throw new SerializationException($"DocSerializer: unknown mutation tag {tag}");
            }
        }

        public NewNode NewNode(int depth)
        {
            if (depth > MaxDepth) throw new SerializationException($"DocSerializer: a node nests deeper than {MaxDepth} levels");
            var name = String()!;
            var kind = String()!;
            var properties = Properties(depth);
            var count = Count();
            var children = count == 0 ? Array.Empty<NewNode>() : new NewNode[count];
            for (var i = 0; i < count; i++) children[i] = NewNode(depth + 1);
            return new NewNode(name, kind, properties, ImmutableCollectionsMarshal.AsImmutableArray(children));
        }

        public DocNode Node(int depth)
        {
            if (depth > MaxDepth) throw new SerializationException($"DocSerializer: a node nests deeper than {MaxDepth} levels");
            var id = Id();
            var name = RequiredString();
            var kind = RequiredString();
            var properties = Properties(depth);
            var version = Long();
            var path = RequiredString();
            var childCount = Int();
            var count = Count();
            var children = count == 0 ? Array.Empty<DocNode>() : new DocNode[count];
            for (var i = 0; i < count; i++) children[i] = Node(depth + 1);
            return new DocNode(id, name, kind, properties, version, path, childCount, ImmutableCollectionsMarshal.AsImmutableArray(children));
        }

        public PropertyMap Properties(int depth)
        {
            var count = Count();
            if (count == 0) return PropertyMap.Empty;
            var entries = new KeyValuePair<string, DocValue>[count];
            for (var i = 0; i < count; i++) entries[i] = new(RequiredString(), Value(depth + 1));
            return PropertyMap.FromSorted(entries);
        }

        public DocValue Value(int depth)
        {
            if (depth > MaxDepth) throw new SerializationException($"DocSerializer: a value nests deeper than {MaxDepth} levels");
            switch (Byte())
            {
                case ValueNull: return DocValue.Null.Instance;
                case ValueFalse: return DocValue.Bool.False;
                case ValueTrue: return DocValue.Bool.True;
                case ValueInteger: return new DocValue.Integer(Long());
                case ValueNumber: return new DocValue.Number(Double());
                case ValueString: return new DocValue.String(RequiredString());
                case ValueArray:
                {
                    var count = Count();
                    var items = new DocValue[count];
                    for (var i = 0; i < count; i++) items[i] = Value(depth + 1);
                    return new DocValue.Array(ImmutableCollectionsMarshal.AsImmutableArray(items));
                }
                case ValueObject: return new DocValue.Object(Properties(depth));
                case var tag: throw new SerializationException($"DocSerializer: unknown value tag {tag}");
            }
        }

        public DocError? OptionalError()
        {
            if (!Present()) return null;
            return Byte() switch
            {
                0 => new DocError.InvalidPath(RequiredString(), Int(), RequiredString()),
                1 => new DocError.PathNotFound(RequiredString()),
                2 => new DocError.AmbiguousPath(RequiredString(), Int()),
                3 => new DocError.InvalidName(RequiredString(), RequiredString()),
                4 => new DocError.ReferenceChildMissing(RequiredString(), RequiredString()),
                5 => new DocError.VersionConflict(RequiredString(), Long(), Long()),
                6 => new DocError.NotJsonCompatible(RequiredString(), RequiredString(), RequiredString()),
                7 => new DocError.NothingMatched(RequiredString(), RequiredString()),
                8 => new DocError.RevertConflict(Writer(), Writer(), RequiredString()),
                9 => new DocError.InvalidOperation(RequiredString(), RequiredString()),
                10 => new DocError.InvalidDocument(RequiredString(), RequiredString()),
                11 => new DocError.WriterFenced(Writer()),
                12 => new DocError.TemplatePathEmpty(RequiredString(), RequiredString(), Int()),
                var tag => throw new SerializationException($"DocSerializer: unknown error tag {tag}"),
            };
        }
    }
}
