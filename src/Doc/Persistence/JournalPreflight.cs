using Microsoft.Data.Sqlite;

namespace Caiman.Doc.Persistence;

/// <summary>
/// Looks at the journal's SQLite file before any journal starts, so that a fault is one line naming
/// the file and the fault rather than a journal that retries its start, asks that time out after
/// 30 s and pages of stack traces. Nothing here writes to the file.
/// </summary>
public static class JournalPreflight
{
    /// <summary>
    /// Below this much free space a journal is refused: SQLite appends whole pages to the WAL and
    /// checkpoints them into the file, and a run writes many events; it would fail within moments.
    /// </summary>
    public const long MinimumFreeBytes = 1 << 20;

    /// <summary>Where a data directory keeps its runs' logs (see Caiman.Actors' RunFiles): the sign that a journal existed.</summary>
    public const string RunsDirectory = "runs";

    /// <summary>Classifies the journal file and where it lives; never throws for a fault it can name.</summary>
    /// <param name="databaseFile">The journal's SQLite file.</param>
    /// <param name="scanPages">
    /// Run SQLite's structural check, which reads every page once (about 4 ms per MB measured on a
    /// loaded 2-core machine): the only way to see garbage in the middle of the file before a recovery
    /// reads it. Without it, a damaged header or a foreign file is still found.
    /// </param>
    public static JournalCheck Check(string databaseFile, bool scanPages = true)
    {
        var file = Path.GetFullPath(databaseFile);
        var directory = Path.GetDirectoryName(file)!;
        if (Directory.Exists(file)) return Unusable(file, JournalFault.IsDirectory, "it is a directory, not a file");

        var runs = RunsRecorded(directory);
        var length = File.Exists(file) ? new FileInfo(file).Length : -1;
        if (length <= 0)
        {
            // SQLite would take a missing or 0-byte file for a new, empty journal: say so when runs/ shows there was one.
            if (runs > 0 && length < 0) return Unusable(file, JournalFault.Missing, $"the file is missing but {Path.Combine(directory, RunsDirectory)} holds {Runs(runs)} (deleted or moved?)");
            if (runs > 0) return Unusable(file, JournalFault.Emptied, $"the file is empty (0 bytes) but {Path.Combine(directory, RunsDirectory)} holds {Runs(runs)} (emptied?)");
            var creatable = length < 0 ? NearestExisting(directory) : directory;
            var fresh = FileWriteProblem(file) ?? DirectoryWriteProblem(file, creatable) ?? SpaceProblem(file, creatable);
            return new JournalCheck(file, fresh, CanRead: false, CanWrite: fresh is null, IsNew: true);
        }

        if (Posix.TryOpen(file, write: false) is not 0 and var readErrno)
            return Unusable(file, readErrno == Posix.EACCES ? JournalFault.Unreadable : JournalFault.Failed, Posix.Describe(readErrno));
        var write = FileWriteProblem(file) ?? DirectoryWriteProblem(file, directory) ?? SpaceProblem(file, directory);
        if (ContentProblem(file, readOnlyMedium: write is not null, scanPages) is { } content)
        {
            // SQLite could not read it, yet the file looked sound: the storage's fault explains it better than "disk I/O error".
            var cause = write is not null && content.Fault is JournalFault.Failed ? write with { Action = CannotRead } : content;
            return new JournalCheck(file, cause, CanRead: false, CanWrite: false, IsNew: false);
        }
        return new JournalCheck(file, write, CanRead: true, CanWrite: write is null, IsNew: false);
    }

    /// <summary>The check, or a <see cref="JournalException"/> if the journal cannot be written.</summary>
    public static JournalCheck EnsureWritable(string databaseFile)
    {
        var check = Check(databaseFile);
        return check.CanWrite ? check : throw new JournalException(check.Problem!);
    }

    /// <summary>The check, or a <see cref="JournalException"/> if there is no journal to read or it cannot be read.</summary>
    public static JournalCheck EnsureReadable(string databaseFile)
    {
        var check = Check(databaseFile);
        if (check.CanRead) return check;
        throw new JournalException(check.Problem ?? new JournalProblem(JournalFault.Missing, check.File, CannotRead, "there is no journal yet (a new data directory)"));
    }

    private const string CannotRead = "cannot be read";
    private const string CannotWrite = "cannot be written";

    internal static string Reason(JournalFault fault, string directory) => fault switch
    {
        JournalFault.ReadOnlyMount => "the file system is mounted read-only",
        JournalFault.Immutable => "the file is immutable or append-only (chattr +i/+a)",
        JournalFault.ReadOnlyFile => "the file is read-only (permission denied)",
        JournalFault.DiskFull => "no space left on device",
        JournalFault.Locked => "the database is locked by another process",
        JournalFault.NotADatabase => "the file is not an SQLite database (SQLite error 26)",
        JournalFault.Corrupt => "the database is corrupt (SQLite error 11)",
        JournalFault.DirectoryNotWritable => $"its directory {directory} cannot be written",
        _ => fault.ToString(),
    };

    private static JournalCheck Unusable(string file, JournalFault fault, string reason) =>
        new(file, new JournalProblem(fault, file, CannotRead, reason), CanRead: false, CanWrite: false, IsNew: false);

    private static JournalProblem ReadOnly(string file, JournalFault fault, string reason) =>
        new(fault, file, CannotWrite, reason);

    private static JournalProblem? FileWriteProblem(string file)
    {
        if (!File.Exists(file)) return null;
        return Posix.TryOpen(file, write: true) switch
        {
            0 => null,
            Posix.EROFS => ReadOnly(file, JournalFault.ReadOnlyMount, Reason(JournalFault.ReadOnlyMount, "")),
            Posix.EPERM => ReadOnly(file, JournalFault.Immutable, Reason(JournalFault.Immutable, "")),
            Posix.EACCES => ReadOnly(file, JournalFault.ReadOnlyFile, Reason(JournalFault.ReadOnlyFile, "")),
            var errno => ReadOnly(file, JournalFault.Failed, Posix.Describe(errno)),
        };
    }

    /// <summary>SQLite creates the file, its <c>-wal</c> and its <c>-shm</c> in the directory, so it must be writable too.</summary>
    private static JournalProblem? DirectoryWriteProblem(string file, string directory) => Posix.CanWriteDirectory(directory) switch
    {
        0 => null,
        Posix.EROFS => ReadOnly(file, JournalFault.ReadOnlyMount, Reason(JournalFault.ReadOnlyMount, directory)),
        Posix.EPERM => ReadOnly(file, JournalFault.DirectoryNotWritable, $"its directory {directory} is immutable (chattr +i)"),
        var errno => ReadOnly(file, JournalFault.DirectoryNotWritable, $"its directory {directory} cannot be written ({Posix.Describe(errno)})"),
    };

    private static JournalProblem? SpaceProblem(string file, string directory)
    {
        if (Posix.Space(directory) is not { } space) return null;
        if (space.ReadOnly) return ReadOnly(file, JournalFault.ReadOnlyMount, Reason(JournalFault.ReadOnlyMount, directory));
        return space.FreeBytes < MinimumFreeBytes
            ? ReadOnly(file, JournalFault.DiskFull, $"no space left on device ({space.FreeBytes / 1024:N0} KiB free)")
            : null;
    }

    /// <summary>Opens the file read-only (which reads its header and schema) and, if asked, runs SQLite's structural check.</summary>
    private static JournalProblem? ContentProblem(string file, bool readOnlyMedium, bool scanPages)
    {
        try
        {
            var connection = ReadConnectionString(file, readOnlyMedium);
            return scanPages ? QuickCheck(connection, file) : null;
        }
        catch (SqliteException e)
        {
            return ContentFault(e, file);
        }
    }

    /// <summary>
    /// A connection string that reads the file without writing it. On a medium that cannot be
    /// written (read-only, immutable, full), a WAL file whose <c>-shm</c> cannot be created or grown
    /// is opened as immutable instead, which is right as long as no commit waits in its <c>-wal</c>.
    /// </summary>
    /// <exception cref="SqliteException">SQLite cannot read the file.</exception>
    internal static string ReadConnectionString(string file, bool readOnlyMedium)
    {
        var plain = ReadOnlyConnectionString(file, immutable: false);
        try
        {
            using var connection = new SqliteConnection(plain);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM sqlite_master;";
            command.ExecuteScalar();
            return plain;
        }
        catch (SqliteException e) when (readOnlyMedium && (e.SqliteErrorCode & 0xff) is SqliteCodes.CantOpen or SqliteCodes.ReadOnly or SqliteCodes.IoErr && !HasWalContent(file))
        {
            return ReadOnlyConnectionString(file, immutable: true);
        }
    }

    private static JournalProblem? QuickCheck(string connectionString, string file)
    {
        try
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA quick_check(1);";
            var result = command.ExecuteScalar() as string;
            return string.Equals(result, "ok", StringComparison.OrdinalIgnoreCase)
                ? null
                : new JournalProblem(JournalFault.Corrupt, file, CannotRead, $"the database is corrupt ({OneLine(result ?? "integrity check failed")})");
        }
        catch (SqliteException e) when ((e.SqliteErrorCode & 0xff) is SqliteCodes.Corrupt or SqliteCodes.NotADatabase)
        {
            return ContentFault(e, file);
        }
    }

    private static JournalProblem ContentFault(SqliteException e, string file)
    {
        var fault = (e.SqliteErrorCode & 0xff) switch
        {
            SqliteCodes.NotADatabase => JournalFault.NotADatabase,
            SqliteCodes.Corrupt => JournalFault.Corrupt,
            SqliteCodes.Busy or SqliteCodes.Locked => JournalFault.Locked,
            _ => JournalFault.Failed,
        };
        var reason = fault == JournalFault.Failed ? OneLine(e.Message) : Reason(fault, "");
        return new JournalProblem(fault, file, CannotRead, reason);
    }

    /// <summary>A read-only connection; <paramref name="immutable"/> tells SQLite nothing can change the file, so it needs no <c>-shm</c>.</summary>
    private static string ReadOnlyConnectionString(string file, bool immutable) => immutable
        ? $"Data Source={new Uri(file).AbsoluteUri}?immutable=1;Mode=ReadOnly;Pooling=False"
        : new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();

    /// <summary>Whether commits may still sit in the <c>-wal</c> (left by a process that did not close the journal): an immutable open would not see them.</summary>
    private static bool HasWalContent(string file) => new FileInfo(file + "-wal") is { Exists: true, Length: > 0 };

    private static int RunsRecorded(string directory)
    {
        var runs = Path.Combine(directory, RunsDirectory);
        try
        {
            return Directory.Exists(runs) ? Directory.EnumerateFileSystemEntries(runs).Count() : 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static string Runs(int count) => count == 1 ? "1 run" : $"{count} runs";

    private static string NearestExisting(string directory)
    {
        var at = directory;
        while (!Directory.Exists(at) && Path.GetDirectoryName(at) is { } parent) at = parent;
        return at;
    }

    internal static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>SQLite's primary result codes that the journal's faults are told by.</summary>
internal static class SqliteCodes
{
    public const int Perm = 3;
    public const int Busy = 5;
    public const int Locked = 6;
    public const int ReadOnly = 8;
    public const int IoErr = 10;
    public const int Corrupt = 11;
    public const int Full = 13;
    public const int CantOpen = 14;
    public const int NotADatabase = 26;
}
