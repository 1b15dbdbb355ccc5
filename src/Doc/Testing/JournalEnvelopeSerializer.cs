using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Serialization;

namespace Caiman.Doc.Testing;

/// <summary>
/// Akka's journals send themselves internal messages that never cross a process: the reply
/// envelope AsyncWriteJournal+Desequenced, and the SQL journal's WriteFinished (it holds a Task).
/// With serialize-messages on, Akka would push them through the default Newtonsoft serializer,
/// which fails on them, and drop them. Tests bind only those plugin-internal types here. Every message of
/// ours is still verified by DocSerializer, and events are serialized for real by the SQLite specs.
/// </summary>
public sealed class JournalEnvelopeSerializer(ExtendedActorSystem system) : Serializer(system)
{
    private static readonly ConcurrentDictionary<long, object> InFlight = new();
    private static long _next;

    public override int Identifier => 1299;
    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj)
    {
        var key = Interlocked.Increment(ref _next);
        InFlight[key] = obj;
        return BitConverter.GetBytes(key);
    }

    public override object FromBinary(byte[] bytes, Type type) =>
        InFlight.TryRemove(BitConverter.ToInt64(bytes), out var obj) ? obj : throw new InvalidOperationException("unknown journal envelope");
}
