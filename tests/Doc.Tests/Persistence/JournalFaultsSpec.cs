using System.Runtime.Versioning;
using Akka.Actor;
using Akka.Configuration;
using Akka.Pattern;
using Akka.Persistence;
using Caiman.Doc.Persistence;
using Caiman.Doc.Testing;
using Microsoft.Data.Sqlite;

namespace Caiman.Doc.Tests.Persistence;

/// <summary>
/// What Akka hands a persistent actor when the journal fails mid-run, mapped to one line: for real
/// (a disk that fills while an actor writes, a journal made immutable under a running system) and
/// for the exception chains the plugin and its circuit breaker build.
/// </summary>
[SupportedOSPlatform("linux")] // mounts, chattr
public sealed class JournalFaultsSpec : IDisposable
{
    private readonly FaultyStorage _storage = new();
    private readonly List<ActorSystem> _systems = [];

    private ActorSystem NewSystem(Config persistence)
    {
        var system = ActorSystem.Create("faults", persistence.WithFallback(VerifiedMessages.Config));
        _systems.Add(system);
        return system;
    }

    [SkippableFact]
    public async Task A_disk_that_fills_mid_run_should_fail_the_write_with_one_line_and_take_writes_again_once_space_is_back()
    {
        var disk = _storage.SmallFileSystem("8m");
        var db = Path.Combine(disk, "caiman.db");
        var config = SqlitePersistence.Config(db);
        var system = NewSystem(config);
        var failures = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = system.ActorOf(Props.Create(() => new Writer("writer", failures)));
        var written = 0L;
        for (var i = 0; i < 3; i++) written = await writer.Ask<long>(new Write(16), TimeSpan.FromSeconds(20));
        var filler = FaultyStorage.Fill(disk);

        // Big events until one no longer fits (the filler leaves next to nothing).
        for (var i = 0; i < 200; i++)
        {
            var write = writer.Ask<long>(new Write(64 * 1024), TimeSpan.FromSeconds(20));
            if (await Task.WhenAny(write, failures.Task) == failures.Task) break;
            written = await write;
        }
        var cause = await failures.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var problem = JournalFaults.Describe(cause, system.Settings.Config);
        Assert.Equal(JournalFault.DiskFull, problem.Fault);
        Assert.Equal($"journal write failed: no space left on device, at {db}", problem.Message);

        File.Delete(filler);
        var again = system.ActorOf(Props.Create(() => new Writer("writer", new TaskCompletionSource<Exception>())));
        Assert.Equal(written + 1, await again.Ask<long>(new Write(16), TimeSpan.FromSeconds(20)));
    }

    [SkippableFact]
    public async Task A_journal_made_immutable_under_a_running_system_should_name_that_fault()
    {
        var data = _storage.NewDirectory("data");
        var db = Path.Combine(data, "caiman.db");
        var system = NewSystem(SqlitePersistence.Config(db));
        var failures = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = system.ActorOf(Props.Create(() => new Writer("writer", failures)));
        Assert.Equal(1L, await writer.Ask<long>(new Write(16), TimeSpan.FromSeconds(20)));
        await system.Terminate(); // closes the journal's connections, so the -wal and -shm are gone
        SqliteConnection.ClearAllPools();
        _storage.MakeImmutable(db);
        _storage.MakeImmutable(data);

        var reading = NewSystem(SqlitePersistence.ReadOnlyConfig(db));
        var reader = reading.ActorOf(Props.Create(() => new Writer("writer", failures)));
        var ignored = reader.Ask<long>(new Write(16), TimeSpan.FromSeconds(20));
        var cause = await failures.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var problem = JournalFaults.Describe(cause, reading.Settings.Config);
        Assert.Equal(JournalFault.Immutable, problem.Fault);
        Assert.Equal($"journal write failed: the file is immutable or append-only (chattr +i/+a), at {db}", problem.Message);
    }

    [SkippableFact]
    public async Task A_journal_on_a_read_only_mount_should_still_recover_what_it_holds()
    {
        var data = _storage.NewDirectory("data");
        var db = Path.Combine(data, "caiman.db");
        var system = NewSystem(SqlitePersistence.Config(db));
        var writer = system.ActorOf(Props.Create(() => new Writer("writer", new TaskCompletionSource<Exception>())));
        for (var i = 0; i < 3; i++) await writer.Ask<long>(new Write(16), TimeSpan.FromSeconds(20));
        await system.Terminate();
        SqliteConnection.ClearAllPools();
        var view = _storage.ReadOnlyView(data);

        Assert.Throws<JournalException>(() => SqlitePersistence.Config(Path.Combine(view, "caiman.db")));
        var reading = NewSystem(SqlitePersistence.ReadOnlyConfig(Path.Combine(view, "caiman.db")));
        var reader = reading.ActorOf(Props.Create(() => new Writer("writer", new TaskCompletionSource<Exception>())));

        Assert.Equal(3L, await reader.Ask<long>(Recovered.Instance, TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void A_failure_behind_the_circuit_breaker_should_be_named_by_the_SQLite_error_inside()
    {
        var full = new OpenCircuitException(new AggregateException(new InvalidOperationException("batch failed", new SqliteException("SQLite Error 13: 'database or disk is full'.", 13))), TimeSpan.FromSeconds(30));

        var problem = JournalFaults.Describe(full, "/data/caiman.db", recovering: false);

        Assert.Equal(JournalFault.DiskFull, problem.Fault);
        Assert.Equal("journal write failed: no space left on device, at /data/caiman.db", problem.Message);
        Assert.Equal(JournalFault.Corrupt, JournalFaults.Describe(new SqliteException("malformed", 11), "/data/caiman.db", recovering: true).Fault);
        Assert.StartsWith("journal read failed: the database is corrupt", JournalFaults.Describe(new SqliteException("malformed", 11), "/data/caiman.db", recovering: true).Message);
    }

    [Fact]
    public void A_failure_with_no_SQLite_error_on_a_sound_file_should_still_be_one_line()
    {
        var db = FaultyStorage.SampleDatabase(Path.Combine(_storage.NewDirectory("data"), "caiman.db"));

        var problem = JournalFaults.Describe(new OpenCircuitException(new TimeoutException("Execution did not complete within the time allotted\nof 10 s")), db);

        Assert.Equal(JournalFault.Failed, problem.Fault);
        Assert.Equal($"journal write failed: Execution did not complete within the time allotted of 10 s, at {db}", problem.Message);
    }

    public void Dispose()
    {
        foreach (var system in _systems) system.Terminate().Wait(TimeSpan.FromSeconds(10));
        _storage.Dispose();
    }

    private sealed record Write(int Bytes);

    private sealed record Recovered
    {
        public static readonly Recovered Instance = new();
    }

    /// <summary>Persists a string of the size asked and replies with its sequence number; tells <c>failures</c> what a failed write or recovery hands it.</summary>
    private sealed class Writer : ReceivePersistentActor
    {
        private readonly TaskCompletionSource<Exception> _failures;

        public Writer(string id, TaskCompletionSource<Exception> failures)
        {
            _failures = failures;
            PersistenceId = id;
            Recover<string>(_ => { });
            Command<Recovered>(_ => Sender.Tell(LastSequenceNr));
            Command<Write>(write =>
            {
                if (write.Bytes == 0)
                {
                    Sender.Tell(LastSequenceNr);
                    return;
                }
                var sender = Sender;
                Persist(new string('x', write.Bytes), _ => sender.Tell(LastSequenceNr));
            });
        }

        public override string PersistenceId { get; }

        protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
        {
            _failures.TrySetResult(cause);
            base.OnPersistFailure(cause, @event, sequenceNr);
        }

        protected override void OnRecoveryFailure(Exception reason, object? message = null)
        {
            _failures.TrySetResult(reason);
            base.OnRecoveryFailure(reason, message);
        }
    }
}
