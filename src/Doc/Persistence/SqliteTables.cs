using Microsoft.Data.Sqlite;

namespace Caiman.Doc.Persistence;

/// <summary>Reads the plugin's tables directly, for the indexes the journal and snapshot store keep in memory.</summary>
internal static class SqliteTables
{
    /// <summary>The distinct values of a text column; none while the table does not exist yet (the plugin creates it later).</summary>
    public static HashSet<string> DistinctValues(string connectionString, string table, string column)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $table";
        command.Parameters.AddWithValue("$table", table);
        if ((long)command.ExecuteScalar()! == 0) return values;
        command.CommandText = $"SELECT DISTINCT \"{column.Replace("\"", "\"\"")}\" FROM \"{table.Replace("\"", "\"\"")}\"";
        using var reader = command.ExecuteReader();
        while (reader.Read()) values.Add(reader.GetString(0));
        return values;
    }
}
