using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace Caiman.Doc.Persistence;

/// <summary>The embedded SQLite journal and snapshot store (config/persistence.sqlite.conf).</summary>
public static class SqlitePersistence
{
    /// <summary>
    /// Configuration for a journal in <paramref name="databaseFile"/>; the file is checked first
    /// (<see cref="JournalPreflight"/>), then created and put in WAL mode, since Microsoft.Data.Sqlite
    /// has no connection-string key for it.
    /// </summary>
    /// <exception cref="JournalException">The journal cannot be written; its message is one line naming the file and the fault.</exception>
    public static Config Config(string databaseFile)
    {
        var full = Path.GetFullPath(databaseFile);
        JournalPreflight.EnsureWritable(full);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        UseWriteAheadLog(full);
        return Template(full);
    }

    /// <summary>
    /// Configuration that reads the journal in <paramref name="databaseFile"/> and never writes it, for
    /// showing runs where the journal cannot be written (<see cref="JournalCheck.CanRead"/> without
    /// <see cref="JournalCheck.CanWrite"/>). Any write through it fails, and
    /// <see cref="JournalFaults.Describe(Exception, Akka.Configuration.Config, bool)"/> names the fault.
    /// </summary>
    /// <exception cref="JournalException">The journal cannot be read.</exception>
    public static Config ReadOnlyConfig(string databaseFile)
    {
        var full = Path.GetFullPath(databaseFile);
        var check = JournalPreflight.EnsureReadable(full);
        string connection;
        try
        {
            connection = Quote(JournalPreflight.ReadConnectionString(full, readOnlyMedium: !check.CanWrite));
        }
        catch (SqliteException e)
        {
            throw new JournalException(JournalFaults.Describe(e, full, recovering: true));
        }
        return ConfigurationFactory.ParseString($"""
            akka.persistence.journal.sql.connection-string = {connection}
            akka.persistence.journal.sql.auto-initialize = off
            akka.persistence.snapshot-store.sql.connection-string = {connection}
            akka.persistence.snapshot-store.sql.auto-initialize = off
            """).WithFallback(Template(full));
    }

    /// <summary>WAL mode is a property of the file: set once, every later connection uses it.</summary>
    /// <exception cref="JournalException">SQLite refused (the file changed since the preflight, or the preflight could not see the fault).</exception>
    public static void UseWriteAheadLog(string databaseFile)
    {
        try
        {
            using var connection = new SqliteConnection($"Data Source={databaseFile};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            var mode = command.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new JournalException(new JournalProblem(JournalFault.Failed, databaseFile, "cannot be written", $"SQLite refused WAL mode (it reports '{mode}')"));
        }
        catch (SqliteException e)
        {
            throw new JournalException(JournalFaults.Describe(e, databaseFile) with { Action = "cannot be written" });
        }
    }

    private static Config Template(string full)
    {
        var template = DocConfig.ReadResource("Caiman.Doc.persistence.sqlite.conf");
        return ConfigurationFactory.ParseString($"{JournalFaults.DatabaseFileKey} = {Quote(full)}\n{template}");
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
