namespace Caiman.Doc.Bench;

/// <summary>Reads the journal's SQLite file directly (read-only questions; the DOC keeps writing through Akka).</summary>
internal static class Sqlite
{
    public static List<(string Name, string Sql)> Schema(string file) =>
        SqliteFile.Query(file, "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name", r => (r.GetString(0), r.GetString(1)));

    public static long Scalar(string file, string sql)
    {
        using var connection = SqliteFile.Open(file);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A journal row: which actor, its payload size, and all its stored columns added up.</summary>
    public sealed record Row(long Ordering, string PersistenceId, long SequenceNr, string Manifest, long PayloadBytes, long RowBytes);

    /// <summary>Journal rows after <paramref name="afterOrdering"/>; the row size adds every column's stored length (integers as 8).</summary>
    public static List<Row> JournalRows(string file, long afterOrdering)
    {
        using var connection = SqliteFile.Open(file);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM journal WHERE ordering > $o ORDER BY ordering";
        command.Parameters.AddWithValue("$o", afterOrdering);
        using var reader = command.ExecuteReader();
        var rows = new List<Row>();
        while (reader.Read())
        {
            long rowBytes = 0, payload = 0;
            long ordering = 0, seq = 0;
            string pid = "", manifest = "";
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (reader.IsDBNull(i)) continue;
                var name = reader.GetName(i);
                var value = reader.GetValue(i);
                var length = value switch
                {
                    byte[] bytes => bytes.Length,
                    string text => System.Text.Encoding.UTF8.GetByteCount(text),
                    _ => 8,
                };
                rowBytes += length;
                switch (name)
                {
                    case "message": payload = length; break;
                    case "ordering": ordering = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture); break;
                    case "sequence_number": seq = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture); break;
                    case "persistence_id": pid = (string)value; break;
                    case "manifest": manifest = value as string ?? ""; break;
                }
            }
            rows.Add(new Row(ordering, pid, seq, manifest, payload, rowBytes));
        }
        return rows;
    }

    public static long MaxOrdering(string file) =>
        Scalar(file, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'journal'") == 0 ? 0
        : Scalar(file, "SELECT coalesce(max(ordering), 0) FROM journal");

    /// <summary>Moves the WAL into the database and empties it, so its size afterwards is what was written since.</summary>
    public static bool TruncateWal(string file)
    {
        using var connection = SqliteFile.Open(file);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        using var reader = command.ExecuteReader();
        return reader.Read() && reader.GetInt64(0) == 0; // busy = 0
    }

    public static long WalBytes(string file) => File.Exists(file + "-wal") ? new FileInfo(file + "-wal").Length : 0;
}
