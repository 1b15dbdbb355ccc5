using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Journal;
using Microsoft.Data.Sqlite;

namespace Caiman.Doc.Persistence;

/// <summary>
/// Akka.Persistence.Sql's journal (1.5.73) on SQLite with three repairs: the writes of many
/// persistent actors share one transaction (group commit), a batch with no events in it never
/// reaches the plugin, and an actor that never wrote recovers without a query.
/// </summary>
/// <remarks>
/// <para>
/// Group commit. The plugin queues each actor's write for a stream that batches whatever waits while
/// the previous transaction runs. With Microsoft.Data.Sqlite every call completes synchronously, so the
/// stream's stage has finished its transaction (fsync included) before it looks at the queue again, and
/// finds one write there: each actor's write was its own transaction and fsync. Here the journal actor
/// keeps at most one batch in the plugin at a time; what arrives meanwhile, from any actor, waits and
/// goes in as the next batch, one transaction. A write is still acknowledged only once its transaction
/// committed; results are handed back per actor, in order.
/// </para>
/// <para>
/// Empty batches. An actor that calls <c>DeferAsync</c> while one of its writes is in flight (the run and
/// subtree actors reply that way) sends its deferred replies as a <c>WriteMessages</c> of their own once
/// the write returns. <c>AsyncWriteJournal.ExecuteBatch</c> then calls <c>WriteMessagesAsync</c> with no
/// <see cref="AtomicWrite"/>, and <c>SqlWriteJournal.WriteMessagesAsync</c> takes the persistence id of the
/// first one (<c>messages.ToList().Head()</c>): "Sequence contains no elements". The circuit breaker
/// counts each as a failure; ten in a row open it, and for its reset timeout every write and recovery
/// of the system fails. Here an empty batch succeeds at once: there is nothing to write.
/// </para>
/// <para>
/// New actors. Every recovery asks for the actor's highest sequence number, one query with its own
/// connection and transaction; a new run recovers two actors that never wrote. The persistence ids
/// in the journal are read once when it starts (one scan of its index) and kept up to date by its
/// own writes, which is exact while one process owns the file (the data directory's lock); an id
/// not among them has no events, so its highest sequence number is 0.
/// </para>
/// </remarks>
public class GroupCommitSqlJournal : SqlWriteJournal
{
    private static readonly Task<IImmutableList<Exception>> NothingWritten =
        Task.FromResult<IImmutableList<Exception>>(ImmutableList<Exception>.Empty);

    private List<PendingWrite> _waiting = [];
    private bool _batchInFlight;

    /// <summary>Per persistence id, the write of its that is waiting or in flight: a recovery reads its highest sequence number after it.</summary>
    private readonly Dictionary<string, Task> _writing = new(StringComparer.Ordinal);

    /// <summary>Every persistence id with events in the journal, or with a write on its way there.</summary>
    private readonly HashSet<string> _written;

    public GroupCommitSqlJournal(Config journalConfig)
        : base(journalConfig)
    {
        _written = WrittenIds(journalConfig.WithFallback(SqlPersistence.DefaultJournalConfiguration));
    }

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages as IReadOnlyList<AtomicWrite> ?? [.. messages];
        if (writes.Count == 0) return NothingWritten;
        var pending = new PendingWrite(writes);
        foreach (var write in writes)
        {
            _writing[write.PersistenceId] = pending.Done.Task;
            _written.Add(write.PersistenceId);
        }
        _waiting.Add(pending);
        if (!_batchInFlight) WriteWaiting();
        return pending.Done.Task;
    }

    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        if (!_written.Contains(persistenceId)) return 0;
        if (_writing.TryGetValue(persistenceId, out var writing))
            await writing.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        return await base.ReadHighestSequenceNrAsync(persistenceId, fromSequenceNr, cancellationToken).ConfigureAwait(false);
    }

    protected override bool ReceivePluginInternal(object message)
    {
        if (message is not BatchWritten written) return base.ReceivePluginInternal(message);
        Settle(written);
        _batchInFlight = false;
        if (_waiting.Count > 0) WriteWaiting();
        return true;
    }

    /// <summary>Hands everything waiting to the plugin as one batch; its end comes back to this actor as <see cref="BatchWritten"/>.</summary>
    private void WriteWaiting()
    {
        var batch = _waiting;
        _waiting = [];
        _batchInFlight = true;
        Task<IImmutableList<Exception>> task;
        try
        {
            // Not the callers' tokens: a batch serves many callers, and the circuit breaker times each of them out by itself.
            task = base.WriteMessagesAsync(batch.Count == 1 ? batch[0].Writes : [.. batch.SelectMany(p => p.Writes)], CancellationToken.None);
        }
        catch (Exception e)
        {
            task = Task.FromException<IImmutableList<Exception>>(e);
        }
        var self = Self;
        task.ContinueWith(t => self.Tell(new BatchWritten(batch, t)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Completes each caller's write with its own share of the results (one per AtomicWrite), or with the batch's failure.</summary>
    private void Settle(BatchWritten written)
    {
        var offset = 0;
        foreach (var pending in written.Batch)
        {
            var task = written.Task;
            if (task.IsFaulted) pending.Done.TrySetException(task.Exception!.InnerExceptions);
            else if (task.IsCanceled) pending.Done.TrySetCanceled();
            else if (task.Result is not { } results) pending.Done.TrySetResult(null!);
            else pending.Done.TrySetResult(results.Skip(offset).Take(pending.Writes.Count).ToImmutableList());
            offset += pending.Writes.Count;
            foreach (var write in pending.Writes)
                if (_writing.TryGetValue(write.PersistenceId, out var latest) && latest == pending.Done.Task) _writing.Remove(write.PersistenceId);
        }
    }

    /// <summary>The distinct persistence ids of the journal table; none while the table does not exist yet.</summary>
    private static HashSet<string> WrittenIds(Config config)
    {
        var mapping = config.GetString("table-mapping", "default");
        var table = config.GetString($"{mapping}.journal.table-name", "journal");
        var column = config.GetString($"{mapping}.journal.columns.persistence-id", "persistence_id");
        return SqliteTables.DistinctValues(config.GetString("connection-string"), table, column);
    }

    private sealed class PendingWrite(IReadOnlyList<AtomicWrite> writes)
    {
        public IReadOnlyList<AtomicWrite> Writes { get; } = writes;

        public TaskCompletionSource<IImmutableList<Exception>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A batch's transaction ended (committed or failed); local to the journal actor.</summary>
    private sealed record BatchWritten(List<PendingWrite> Batch, Task<IImmutableList<Exception>> Task) : INoSerializationVerificationNeeded;
}
