using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Serialization;

namespace Caiman.Doc.Tests.Actors;

/// <summary>
/// Akka's journals wrap replies in an internal envelope (AsyncWriteJournal+Desequenced) that is
/// sent between two of the journal's own local actors and never crosses a process; with
/// serialize-messages on, Akka would push it through the default Newtonsoft serializer, which
/// cannot handle our events inside it. Tests bind only that envelope type here. Every message of
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
