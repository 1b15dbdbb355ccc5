using System.Runtime.Versioning;
using Caiman.Doc.Persistence;

namespace Caiman.Doc.Tests.Persistence;

/// <summary>
/// The preflight on every fault a journal file can have, each made for real: what it reports, that
/// the message is one line naming the file and the fault, and whether the journal can still be read.
/// </summary>
[SupportedOSPlatform("linux")] // errno, mounts, chattr, file modes
public sealed class JournalPreflightSpec : IDisposable
{
    private readonly FaultyStorage _storage = new();

    private string Data(string name = "data") => _storage.NewDirectory(name);

    private static string Db(string data) => Path.Combine(data, "caiman.db");

    private static void HasRuns(string data) => Directory.CreateDirectory(Path.Combine(data, JournalPreflight.RunsDirectory, "run-1"));

    private static JournalProblem Faulted(JournalCheck check, JournalFault fault, string reason)
    {
        Assert.NotNull(check.Problem);
        var problem = check.Problem!;
        Assert.True(fault == problem.Fault, problem.Message);
        Assert.Contains(reason, problem.Message);
        Assert.EndsWith($", at {check.File}", problem.Message);
        Assert.DoesNotContain('\n', problem.Message);
        return problem;
    }

    [Fact]
    public void A_fresh_data_directory_should_be_new_and_writable()
    {
        var check = JournalPreflight.Check(Db(Data()));

        Assert.True(check.IsHealthy);
        Assert.True(check.IsNew);
        Assert.True(check.CanWrite);
    }

    [Fact]
    public void A_data_directory_not_yet_made_should_be_new_and_writable()
    {
        var check = JournalPreflight.Check(Path.Combine(_storage.Root, "not", "yet", "caiman.db"));

        Assert.True(check is { IsHealthy: true, IsNew: true, CanWrite: true });
    }

    [Fact]
    public void A_deleted_journal_should_be_told_from_a_fresh_directory_by_the_runs_left_beside_it()
    {
        var data = Data();
        HasRuns(data);

        var check = JournalPreflight.Check(Db(data));

        Faulted(check, JournalFault.Missing, "the file is missing but");
        Assert.False(check.IsNew);
        Assert.False(check.CanRead);
        Assert.Equal($"journal cannot be read: the file is missing but {Path.Combine(data, "runs")} holds 1 run (deleted or moved?), at {Db(data)}", check.Problem!.Message);
    }

    [Fact]
    public void An_emptied_journal_should_be_reported_when_runs_were_recorded_and_be_new_when_not()
    {
        var emptied = Data("emptied");
        HasRuns(emptied);
        File.WriteAllBytes(Db(emptied), []);
        var fresh = Data("fresh");
        File.WriteAllBytes(Db(fresh), []);

        Faulted(JournalPreflight.Check(Db(emptied)), JournalFault.Emptied, "the file is empty (0 bytes)");
        Assert.True(JournalPreflight.Check(Db(fresh)) is { IsHealthy: true, IsNew: true });
    }

    [Fact]
    public void A_directory_in_the_files_place_should_be_reported()
    {
        var data = Data();
        Directory.CreateDirectory(Db(data));

        var check = JournalPreflight.Check(Db(data));

        Faulted(check, JournalFault.IsDirectory, "it is a directory, not a file");
        Assert.False(check.CanRead);
    }

    [Fact]
    public void A_zeroed_file_should_not_be_a_database()
    {
        var db = FaultyStorage.SampleDatabase(Db(Data()));
        File.WriteAllBytes(db, new byte[new FileInfo(db).Length]);

        Faulted(JournalPreflight.Check(db), JournalFault.NotADatabase, "SQLite error 26");
    }

    [Fact]
    public void A_file_of_another_kind_should_not_be_a_database()
    {
        var db = Db(Data());
        File.WriteAllText(db, string.Concat(Enumerable.Repeat("this is a text file, not a journal\n", 500)));

        Faulted(JournalPreflight.Check(db), JournalFault.NotADatabase, "not an SQLite database");
    }

    [Fact]
    public void A_truncated_file_should_be_corrupt()
    {
        var db = FaultyStorage.SampleDatabase(Db(Data()));
        using (var stream = new FileStream(db, FileMode.Open)) stream.SetLength(stream.Length / 2);

        var check = JournalPreflight.Check(db);

        Faulted(check, JournalFault.Corrupt, "the database is corrupt");
        Assert.False(check.CanRead);
    }

    [Fact]
    public void Garbage_in_the_middle_of_the_file_should_be_corrupt()
    {
        var db = FaultyStorage.SampleDatabase(Db(Data()));
        using (var stream = new FileStream(db, FileMode.Open))
        {
            stream.Position = stream.Length / 2 / 4096 * 4096;
            stream.Write(Enumerable.Range(0, 3 * 4096).Select(i => (byte)(i * 31 + 7)).ToArray());
        }

        Faulted(JournalPreflight.Check(db), JournalFault.Corrupt, "the database is corrupt");
    }

    [SkippableFact]
    public void An_immutable_file_should_be_readable_but_not_writable()
    {
        var db = FaultyStorage.SampleDatabase(Db(Data()));
        _storage.MakeImmutable(db);

        var check = JournalPreflight.Check(db);

        var problem = Faulted(check, JournalFault.Immutable, "immutable");
        Assert.True(check.CanRead);
        Assert.False(check.CanWrite);
        Assert.Equal($"journal cannot be written: the file is immutable or append-only (chattr +i/+a), at {db}", problem.Message);
        Assert.Equal(problem.Message, Assert.Throws<JournalException>(() => SqlitePersistence.Config(db)).Message);
    }

    [SkippableFact]
    public void A_read_only_file_should_be_readable_but_not_writable_for_a_user_other_than_root()
    {
        var data = Data();
        var traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(_storage.Root, traversable);
        File.SetUnixFileMode(data, traversable);
        var db = FaultyStorage.SampleDatabase(Db(data));
        File.SetUnixFileMode(db, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var check = FaultyStorage.AsNobody(() => JournalPreflight.Check(db));

        Faulted(check, JournalFault.ReadOnlyFile, "the file is read-only (permission denied)");
        Assert.True(check.CanRead);
    }

    [SkippableFact]
    public void A_journal_on_a_read_only_mount_should_be_readable_but_not_writable()
    {
        var data = Data();
        FaultyStorage.SampleDatabase(Db(data));
        var view = _storage.ReadOnlyView(data);

        var check = JournalPreflight.Check(Db(view));

        Faulted(check, JournalFault.ReadOnlyMount, "the file system is mounted read-only");
        Assert.True(check.CanRead);
        Assert.False(check.CanWrite);
    }

    [SkippableFact]
    public void A_data_directory_that_cannot_be_written_should_be_reported_for_a_new_journal_and_an_old_one()
    {
        var empty = Data("empty");
        _storage.MakeImmutable(empty);
        var old = Data("old");
        FaultyStorage.SampleDatabase(Db(old));
        _storage.MakeImmutable(old);

        var fresh = JournalPreflight.Check(Db(empty));
        var existing = JournalPreflight.Check(Db(old));

        Faulted(fresh, JournalFault.DirectoryNotWritable, $"its directory {empty} is immutable");
        Assert.False(fresh.CanWrite);
        Faulted(existing, JournalFault.DirectoryNotWritable, $"its directory {old} is immutable");
        Assert.True(existing.CanRead);
    }

    [SkippableFact]
    public void A_full_disk_should_leave_the_journal_readable_but_not_writable()
    {
        var disk = _storage.SmallFileSystem("4m");
        var db = FaultyStorage.SampleDatabase(Db(disk));
        FaultyStorage.Fill(disk);

        var check = JournalPreflight.Check(db);

        var problem = Faulted(check, JournalFault.DiskFull, "no space left on device");
        Assert.StartsWith("journal cannot be written: no space left on device (", problem.Message);
        Assert.True(check.CanRead);
    }

    public void Dispose() => _storage.Dispose();
}
