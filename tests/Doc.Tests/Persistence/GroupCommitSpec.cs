using Akka.Actor;
using Akka.Persistence;
using Caiman.Doc.Persistence;
using Caiman.Doc.Testing;
using Microsoft.Data.Sqlite;

namespace Caiman.Doc.Tests.Persistence;

/// <summary>
/// Writes of many persistent actors that reach the journal while a transaction is running share the
/// next one, and each is acknowledged only once its transaction committed.
/// </summary>
public sealed class GroupCommitSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly string Data = Directory.CreateTempSubdirectory("caiman-group-commit-").FullName;
    private static readonly string File = Path.Combine(Data, "caiman.db");

    public GroupCommitSpec()
        : base(SqlitePersistence.Config(File).WithFallback(VerifiedMessages.Config))
    {
    }

    [Fact]
    public void Writes_that_arrive_while_a_transaction_runs_should_share_the_next_one()
    {
        const int actors = 50;
        var writers = Enumerable.Range(0, actors).Select(i => Sys.ActorOf(Props.Create(() => new Writer($"writer-{i}")))).ToList();
        foreach (var writer in writers) writer.Tell("ready?");
        for (var i = 0; i < actors; i++) ExpectMsg("ready", TimeSpan.FromSeconds(20));

        // Given a transaction that cannot commit yet: another connection holds SQLite's write lock.
        using (var blocker = new SqliteConnection($"Data Source={File};Pooling=False"))
        {
            blocker.Open();
            using var hold = blocker.BeginTransaction(deferred: false);
            // When every actor writes while the first write waits for the lock,
            foreach (var writer in writers) writer.Tell("write");
            for (var i = 0; i < actors; i++) ExpectMsg("writing", TimeSpan.FromSeconds(20));
            ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // nothing is acknowledged before it is committed
            hold.Rollback();
        }
        for (var i = 0; i < actors; i++) ExpectMsg("written", TimeSpan.FromSeconds(30));

        // Then the first went alone and the other 49 together: every row of one batch carries the batch's timestamp.
        Assert.Equal(actors, Count("SELECT count(*) FROM journal WHERE persistence_id LIKE 'writer-%'"));
        Assert.InRange(Count("SELECT count(DISTINCT created) FROM journal WHERE persistence_id LIKE 'writer-%'"), 1, 3);
    }

    private static long Count(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={File};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Data, recursive: true);
    }

    private sealed class Writer : ReceivePersistentActor
    {
        public Writer(string id)
        {
            PersistenceId = id;
            Recover<string>(_ => { });
            Command<string>(command =>
            {
                var sender = Sender;
                if (command == "ready?")
                {
                    sender.Tell("ready");
                    return;
                }
                Persist("event", _ => sender.Tell("written"));
                sender.Tell("writing");
            });
        }

        public override string PersistenceId { get; }
    }
}
