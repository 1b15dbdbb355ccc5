namespace Caiman.Bench;

/// <summary>A temporary directory of this process for the run's SQLite files (and the like), removed at the end.</summary>
internal sealed class ScratchDirectory(string prefix)
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Environment.ProcessId}");

    /// <summary>A path in the directory with nothing at it: any earlier file of that name, and its SQLite -wal and -shm files, are deleted.</summary>
    public string NewFile(string name)
    {
        Directory.CreateDirectory(Path);
        var file = System.IO.Path.Combine(Path, name);
        foreach (var f in WithSqliteCompanions(file))
            if (File.Exists(f)) File.Delete(f);
        return file;
    }

    /// <summary>Deletes a database and its -wal and -shm files as far as it can: a file still held open is left.</summary>
    public static void DeleteDatabase(string file)
    {
        foreach (var f in WithSqliteCompanions(file))
        {
            try { if (File.Exists(f)) File.Delete(f); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    public void Delete()
    {
        try { if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string[] WithSqliteCompanions(string file) => [file, file + "-wal", file + "-shm"];
}
