using Microsoft.Data.Sqlite;

namespace Caiman.Bench;

/// <summary>Direct access to a journal's SQLite file, beside the Akka plugin that keeps writing it.</summary>
internal static class SqliteFile
{
    /// <summary>An open connection of its own (no pooling, so nothing keeps the file open after it).</summary>
    public static SqliteConnection Open(string file, bool readOnly = false)
    {
        var connection = new SqliteConnection($"Data Source={file};{(readOnly ? "Mode=ReadOnly;" : "")}Pooling=False");
        connection.Open();
        return connection;
    }

    /// <summary>Every row of a query, each read by <paramref name="read"/>; parameters are named as in the SQL ($name).</summary>
    public static List<T> Query<T>(string file, string sql, Func<SqliteDataReader, T> read, bool readOnly = false, params (string Name, object Value)[] parameters)
    {
        using var connection = Open(file, readOnly);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }
}
