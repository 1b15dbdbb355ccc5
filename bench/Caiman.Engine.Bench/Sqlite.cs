namespace Caiman.Engine.Bench;

/// <summary>Reads a run's journal rows straight from its SQLite file (read-only; the engine keeps writing through Akka).</summary>
internal static class Sqlite
{
    /// <summary>Journal rows and their payload bytes for one persistence id, or for those starting with a prefix when it ends in '%'.</summary>
    public static (long Rows, long PayloadBytes) Events(string file, string persistenceId) =>
        SqliteFile.Query(file, "SELECT count(*), coalesce(sum(length(message)), 0) FROM journal WHERE persistence_id LIKE $id",
            r => (r.GetInt64(0), r.GetInt64(1)), readOnly: true, ("$id", persistenceId)).FirstOrDefault();

    /// <summary>Rows per manifest for one persistence id: which events a run wrote.</summary>
    public static List<(string Manifest, long Rows, long PayloadBytes)> ByManifest(string file, string persistenceId) =>
        SqliteFile.Query(file, "SELECT coalesce(manifest, ''), count(*), coalesce(sum(length(message)), 0) FROM journal WHERE persistence_id LIKE $id GROUP BY manifest ORDER BY count(*) DESC",
            r => (r.GetString(0), r.GetInt64(1), r.GetInt64(2)), readOnly: true, ("$id", persistenceId));
}
