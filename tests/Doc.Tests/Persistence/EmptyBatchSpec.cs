using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Caiman.Doc.Persistence;
using Caiman.Doc.Testing;

namespace Caiman.Doc.Tests.Persistence;

/// <summary>
/// A journal batch with no events in it must succeed and leave the journal working. A persistent
/// actor sends one (holding only its deferred replies) when it calls DeferAsync while a write of its
/// own is in flight; Akka.Persistence.Sql 1.5.73 fails it, and ten in a row open its circuit breaker.
/// </summary>
public sealed class EmptyBatchSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly string Data = Directory.CreateTempSubdirectory("caiman-empty-batch-").FullName;

    public EmptyBatchSpec()
        : base(SqlitePersistence.Config(Path.Combine(Data, "caiman.db")).WithFallback(VerifiedMessages.Config))
    {
    }

    [Fact]
    public void A_batch_of_deferred_replies_only_should_succeed_and_not_count_against_the_journal()
    {
        var journal = Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);

        // The deferred replies themselves are Akka's internal NonPersistentMessage; the journal takes
        // the same path without them: no AtomicWrite, so WriteMessagesAsync gets an empty batch.
        // More of them than the circuit breaker's max-failures (10), which the plugin alone would open.
        for (var i = 0; i < 12; i++)
        {
            journal.Tell(new WriteMessages([], TestActor, 1));
            ExpectMsg<WriteMessagesSuccessful>();
        }

        var written = new Persistent("event", 1, "empty-batch", writerGuid: "spec", sender: TestActor);
        journal.Tell(new WriteMessages([new AtomicWrite(written)], TestActor, 1));
        ExpectMsg<WriteMessagesSuccessful>();
        Assert.Equal("event", ExpectMsg<WriteMessageSuccess>().Persistent.Payload);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Data, recursive: true);
    }
}
