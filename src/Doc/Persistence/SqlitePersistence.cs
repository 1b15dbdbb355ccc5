using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace Caiman.Doc.Persistence;

/// <summary>The embedded SQLite journal and snapshot store (config/persistence.sqlite.conf).</summary>
public static class SqlitePersistence
{
    /// <summary>
    /// Configuration for a journal in <paramref name="databaseFile"/>; the file is created and put in
    /// WAL mode first, since Microsoft.Data.Sqlite has no connection-string key for it.
    /// </summary>
    public static Config Config(string databaseFile)
    {
        var full = Path.GetFullPath(databaseFile);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        UseWriteAheadLog(full);
        var template = DocConfig.ReadResource("Caiman.Doc.persistence.sqlite.conf");
        var quoted = "\"" + full.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        return ConfigurationFactory.ParseString($"caiman.persistence.sqlite-file = {quoted}\n{template}");
    }

    /// <summary>WAL mode is a property of the file: set once, every later connection uses it.</summary>
    public static void UseWriteAheadLog(string databaseFile)
    {
        using var connection = new SqliteConnection($"Data Source={databaseFile};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite file {databaseFile} refused WAL mode (it reports '{mode}')");
    }
}
