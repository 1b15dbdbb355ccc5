using Akka.Actor;
using Akka.Configuration;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Persistence;
using Caiman.Doc.Protocol;
using Xunit.Abstractions;

namespace Caiman.Doc.Tests.Actors;

/// <summary>
/// The persistent DOC on a real SQLite file, through a full restart of the actor system: the
/// journal and snapshots are written by DocSerializer and read back by a new process-like system.
/// </summary>
public sealed class SqliteRecoverySpec(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("caiman-doc-").FullName;

    private static readonly Writer Alice = new("run-9", "alice", 1);
    private static readonly Writer Bob = new("run-9", "bob", 2);

    private ActorSystem NewSystem(int snapshotEvery) =>
        ActorSystem.Create("recovery", ConfigurationFactory.ParseString($"caiman.doc.snapshot-every = {snapshotEvery}")
            .WithFallback(SqlitePersistence.Config(Path.Combine(_directory, "caiman.db")))
            .WithFallback(DocSpec.Verified));

    [Theory]
    [InlineData(1000)]
    [InlineData(3)]
    public async Task Persistent_doc_should_recover_exactly_after_a_restart_of_the_actor_system(int snapshotEvery)
    {
        string before;
        string volatileGone;
        var first = NewSystem(snapshotEvery);
        try
        {
            var doc = DocClient.Start(first, "run-9");
            var alice = doc.As(Alice);
            await alice.InsertAsync("/persistent", new NewNode("target", "Target").WithChildren(
                new NewNode("disk", "Disk", PropertyMap.Of(("name", DocValue.From("c0t0d0")), ("size", new DocValue.Number(1.0)))),
                new NewNode("disk", "Disk", PropertyMap.Of(("name", DocValue.From("c0t1d0"))))));
            await alice.InsertAsync("/persistent", new InsertPosition.Before("target"), new NewNode("build"));
            await doc.As(Bob).SetAsync("/persistent/build", "dir", "/tmp/b");
            await doc.As(Bob).InsertAsync("/persistent/target", new NewNode("scratch"));
            await doc.As(Bob).DeleteAsync("/persistent/target/scratch");
            await alice.InsertAsync("/volatile", new NewNode("cache"));
            await doc.As(Bob).InsertAsync("/persistent", new NewNode("temp"));
            await doc.RevertAsync(Bob, cascade: false).ContinueWith(_ => { });
            before = (await doc.ExportAsync()).ToJsonString();
            volatileGone = before.Replace("""{"name":"cache","kind":"Node","id":"volatile/cache:1","properties":{},"children":[]}""", "");
            output.WriteLine(before);
        }
        finally
        {
            await first.Terminate();
        }

        var second = NewSystem(snapshotEvery);
        try
        {
            var doc = DocClient.Start(second, "run-9");
            var recovered = (await doc.ExportAsync()).ToJsonString();
            var reverted = await doc.RevertAsync(Alice);
            var empty = (await doc.ExportAsync()).ToJsonString();

            Assert.Equal(volatileGone, recovered);
            Assert.DoesNotContain("cache", recovered);
            Assert.Equal(new[] { Alice }, reverted.ToArray());
            Assert.Equal("""{"persistent":[],"volatile":[]}""", empty);
        }
        finally
        {
            await second.Terminate();
        }
    }

    [Fact]
    public async Task Persistent_doc_should_keep_a_revert_across_a_restart()
    {
        var first = NewSystem(1000);
        string after;
        try
        {
            var doc = DocClient.Start(first, "run-9");
            await doc.As(Alice).InsertAsync("/persistent", new NewNode("target"));
            await doc.As(Bob).SetAsync("/persistent/target", "size", 5);
            await doc.As(Bob).InsertAsync("/persistent/target", new NewNode("disk"));
            await doc.RevertAsync(Bob);
            after = (await doc.ExportAsync()).ToJsonString();
        }
        finally
        {
            await first.Terminate();
        }

        var second = NewSystem(1000);
        try
        {
            var doc = DocClient.Start(second, "run-9");
            Assert.Equal(after, (await doc.ExportAsync()).ToJsonString());
            Assert.Empty(await doc.FindAsync("/persistent/target/disk"));
        }
        finally
        {
            await second.Terminate();
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
