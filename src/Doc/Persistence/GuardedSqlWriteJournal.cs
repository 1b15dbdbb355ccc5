using System.Collections.Immutable;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql.Journal;

namespace Caiman.Doc.Persistence;

/// <summary>
/// Akka.Persistence.Sql's journal (1.5.73), guarded against a batch it cannot take: a batch with
/// no events in it.
/// </summary>
/// <remarks>
/// A persistent actor that calls <c>DeferAsync</c> while one of its writes is in flight (the run and
/// subtree actors reply that way) queues a <c>NonPersistentMessage</c>; when the write returns, that
/// message may go to the journal as a <c>WriteMessages</c> of its own. <c>AsyncWriteJournal.ExecuteBatch</c>
/// then calls <c>WriteMessagesAsync</c> with no <see cref="AtomicWrite"/>, and <c>SqlWriteJournal.WriteMessagesAsync</c>
/// takes the persistence id of the first one (<c>messages.ToList().Head()</c>): "Sequence contains no elements".
/// The journal's circuit breaker counts it as a failed call; ten in a row (many actors deferring at
/// once) open it, and for its reset timeout every write and every recovery of the system fails.
/// Here an empty batch succeeds without reaching the plugin: there is nothing to write, and the
/// deferred handlers then run in order as they should.
/// </remarks>
public class GuardedSqlWriteJournal(Config journalConfig) : SqlWriteJournal(journalConfig)
{
    private static readonly Task<IImmutableList<Exception>> NothingWritten =
        Task.FromResult<IImmutableList<Exception>>(ImmutableList<Exception>.Empty);

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages as IReadOnlyCollection<AtomicWrite> ?? [.. messages];
        return writes.Count == 0 ? NothingWritten : base.WriteMessagesAsync(writes, cancellationToken);
    }
}
