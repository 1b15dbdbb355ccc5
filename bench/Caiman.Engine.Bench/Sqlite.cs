using Microsoft.Data.Sqlite;

namespace Caiman.Engine.Bench;

/// <summary>Reads a run's journal rows straight from its SQLite file (read-only; the engine keeps writing through Akka).</summary>
internal static class Sqlite
{
    /// <summary>Journal rows and their payload bytes for one persistence id, or for those starting with a prefix when it ends in '%'.</summary>
    public static (long Rows, long PayloadBytes) Events(string file, string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*), coalesce(sum(length(message)), 0) FROM journal WHERE persistence_id LIKE $id";
        command.Parameters.AddWithValue("$id", persistenceId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }

    /// <summary>Rows per manifest for one persistence id: which events a run wrote.</summary>
    public static List<(string Manifest, long Rows, long PayloadBytes)> ByManifest(string file, string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(manifest, ''), count(*), coalesce(sum(length(message)), 0) FROM journal WHERE persistence_id LIKE $id GROUP BY manifest ORDER BY count(*) DESC";
        command.Parameters.AddWithValue("$id", persistenceId);
        using var reader = command.ExecuteReader();
        var result = new List<(string, long, long)>();
        while (reader.Read()) result.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        return result;
    }
}
