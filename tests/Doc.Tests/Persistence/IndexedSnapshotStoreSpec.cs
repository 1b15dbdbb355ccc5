using Akka.Actor;
using Akka.Persistence;
using Caiman.Doc.Persistence;
using Caiman.Doc.Testing;
using Microsoft.Data.Sqlite;

namespace Caiman.Doc.Tests.Persistence;

/// <summary>
/// The snapshot store skips its query for actors without snapshots; an actor that saved one gets it
/// back, in the same system and after a restart on the same file.
/// </summary>
public sealed class IndexedSnapshotStoreSpec : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("caiman-snapshots-").FullName;
    private readonly List<ActorSystem> _systems = [];

    private ActorSystem NewSystem()
    {
        var system = ActorSystem.Create("snapshots", SqlitePersistence.Config(Path.Combine(_data, "caiman.db")).WithFallback(VerifiedMessages.Config));
        _systems.Add(system);
        return system;
    }

    [Fact]
    public async Task An_actor_that_saved_a_snapshot_should_recover_from_it_and_one_that_did_not_from_its_events()
    {
        var first = NewSystem();
        var saver = first.ActorOf(Props.Create(() => new Recorder("saver")));
        Assert.Equal("events 0, snapshot none", await saver.Ask<string>("state", TimeSpan.FromSeconds(20)));
        Assert.Equal("saved", await saver.Ask<string>("snapshot", TimeSpan.FromSeconds(20)));
        var plain = first.ActorOf(Props.Create(() => new Recorder("plain")));
        Assert.Equal("events 0, snapshot none", await plain.Ask<string>("state", TimeSpan.FromSeconds(20)));
        await plain.Ask<string>("event", TimeSpan.FromSeconds(20));
        // In the same system: the store learnt of the snapshot it saved.
        await saver.GracefulStop(TimeSpan.FromSeconds(10));
        var again = first.ActorOf(Props.Create(() => new Recorder("saver")));
        Assert.Equal("events 0, snapshot at 1", await again.Ask<string>("state", TimeSpan.FromSeconds(20)));
        await first.Terminate();
        SqliteConnection.ClearAllPools();

        // After a restart: the store read the ids with snapshots from the file.
        var second = NewSystem();
        var restored = second.ActorOf(Props.Create(() => new Recorder("saver")));
        var replayed = second.ActorOf(Props.Create(() => new Recorder("plain")));

        Assert.Equal("events 0, snapshot at 1", await restored.Ask<string>("state", TimeSpan.FromSeconds(20)));
        Assert.Equal("events 1, snapshot none", await replayed.Ask<string>("state", TimeSpan.FromSeconds(20)));
    }

    public void Dispose()
    {
        foreach (var system in _systems) system.Terminate().Wait(TimeSpan.FromSeconds(10));
        SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    /// <summary>Persists "event"s, snapshots on "snapshot", and tells what its recovery saw.</summary>
    private sealed class Recorder : ReceivePersistentActor
    {
        private int _replayed;
        private long? _snapshotAt;
        private IActorRef _waiting = ActorRefs.Nobody;

        public Recorder(string id)
        {
            PersistenceId = id;
            Recover<SnapshotOffer>(offer => _snapshotAt = offer.Metadata.SequenceNr);
            Recover<string>(_ => _replayed++);
            Command<SaveSnapshotSuccess>(_ => _waiting.Tell("saved"));
            Command<string>(command =>
            {
                var sender = Sender;
                switch (command)
                {
                    case "state":
                        sender.Tell($"events {_replayed}, snapshot {(_snapshotAt is { } at ? $"at {at}" : "none")}");
                        break;
                    case "event":
                        Persist("event", _ => sender.Tell("written"));
                        break;
                    case "snapshot":
                        _waiting = sender;
                        Persist("event", _ => SaveSnapshot("state"));
                        break;
                }
            });
        }

        public override string PersistenceId { get; }
    }
}
