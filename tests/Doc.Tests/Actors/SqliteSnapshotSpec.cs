using Akka.Configuration;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Persistence;
using Caiman.Doc.Protocol;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Caiman.Doc.Tests.Actors;

/// <summary>A TestKit on a real SQLite file, with the snapshot settings a spec chooses.</summary>
public abstract class SqliteSpec : Akka.TestKit.Xunit2.TestKit
{
    private readonly string _database;

    protected SqliteSpec(string docSettings, ITestOutputHelper output) : this(NewDatabase(), docSettings, output) { }

    private SqliteSpec(string database, string docSettings, ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString($"caiman.doc {{ {docSettings} }}")
            .WithFallback(SqlitePersistence.Config(database))
            .WithFallback(DocSpec.Verified), output: output) => _database = database;

    private static string NewDatabase() => Path.Combine(Directory.CreateTempSubdirectory("caiman-snap-").FullName, "caiman.db");

    protected long SnapshotRows(string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={_database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM snapshot WHERE persistence_id = $id";
        command.Parameters.AddWithValue("$id", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(_database)!, recursive: true);
    }
}

/// <summary>Snapshots on a real SQLite file: taken once writes pause, and used by recovery.</summary>
public sealed class SqliteSnapshotSpec(ITestOutputHelper output) : SqliteSpec("snapshot-every = 3, snapshot-quiet-period = 50ms", output)
{
    [Fact]
    public async Task Persistent_subtree_should_snapshot_after_its_interval_once_writes_pause_and_recover_from_it()
    {
        var doc = DocClient.Start(Sys, "run-s");
        await doc.InsertAsync("/persistent", new NewNode("target"));
        for (var i = 0; i < 5; i++) await doc.SetAsync("/persistent/target", "n", i);
        var before = (await doc.ExportAsync()).ToJsonString();

        await AwaitAssertAsync(() => Assert.True(SnapshotRows("doc-run-s-/persistent/target") >= 1), TimeSpan.FromSeconds(10));

        // A second DOC of the same run in this system recovers from that snapshot (plus any later events).
        Sys.Stop(doc.Actor);
        await WatchAndWait(doc.Actor);
        var again = DocClient.Start(Sys, "run-s");
        Assert.Equal(before, (await again.ExportAsync()).ToJsonString());
        Assert.Equal(4, ((DocValue.Integer)(await again.GetAsync("/persistent/target"))["n"]!).Value);
    }

    private async Task WatchAndWait(Akka.Actor.IActorRef actor)
    {
        var probe = CreateTestProbe();
        probe.Watch(actor);
        await probe.ExpectTerminatedAsync(actor);
    }

}

/// <summary>Under a write load with no pause, a due snapshot is still taken (by draining the writes in flight).</summary>
public sealed class SqliteForcedSnapshotSpec(ITestOutputHelper output) : SqliteSpec("snapshot-every = 3, snapshot-quiet-period = 60s", output)
{
    [Fact]
    public async Task Persistent_subtree_should_snapshot_under_a_pipelined_load_that_never_pauses()
    {
        var doc = DocClient.Start(Sys, "run-f");
        await doc.InsertAsync("/persistent", new NewNode("target"));
        var probe = CreateTestProbe();

        // 200 changes in flight at once: the quiet period (60 s) never passes, so only a forced snapshot can appear.
        for (var i = 0; i < 200; i++)
            doc.Actor.Tell(new Mutate(doc.Writer, [new Mutation.SetProperties("/persistent/target", PropertyMap.Of(("n", DocValue.From(i))))]), probe.Ref);
        for (var i = 0; i < 200; i++) Assert.True((await probe.ExpectMsgAsync<MutationResult>()).IsSuccess);

        await AwaitAssertAsync(() => Assert.True(SnapshotRows("doc-run-f-/persistent/target") >= 1), TimeSpan.FromSeconds(10));
        Assert.Equal(199, ((DocValue.Integer)(await doc.GetAsync("/persistent/target"))["n"]!).Value);
    }
}
