namespace Caiman.Doc.Persistence;

/// <summary>What is wrong with the journal's SQLite file, or with where it lives.</summary>
public enum JournalFault
{
    /// <summary>
    /// The file is not there: deleted or moved when the data directory still holds runs (<c>runs/</c>),
    /// or never made (<see cref="JournalCheck.IsNew"/>, reported only when asked to read it).
    /// </summary>
    Missing,

    /// <summary>The file has 0 bytes while the data directory still holds runs: emptied.</summary>
    Emptied,

    /// <summary>A directory stands where the file should be.</summary>
    IsDirectory,

    /// <summary>The file is not an SQLite database (SQLite error 26: zeroed, or another kind of file).</summary>
    NotADatabase,

    /// <summary>The database is damaged (SQLite error 11, or an integrity check failed): truncated, overwritten in part.</summary>
    Corrupt,

    /// <summary>The file cannot be read (permission denied).</summary>
    Unreadable,

    /// <summary>The file's mode does not let this user write it.</summary>
    ReadOnlyFile,

    /// <summary>The file system holding it is mounted read-only.</summary>
    ReadOnlyMount,

    /// <summary>The file is immutable or append-only (<c>chattr +i</c> / <c>+a</c>), which even root cannot write.</summary>
    Immutable,

    /// <summary>Its directory cannot be written, and SQLite must create the file and its <c>-wal</c> and <c>-shm</c> beside it.</summary>
    DirectoryNotWritable,

    /// <summary>The file system holding it has no space left.</summary>
    DiskFull,

    /// <summary>Another process holds the database locked.</summary>
    Locked,

    /// <summary>Any other failure of the storage under the journal (SQLite I/O errors and the like).</summary>
    Failed,
}

/// <summary>
/// A journal fault, with a one-line <see cref="Message"/> that names the file and the fault, e.g.
/// <c>journal write failed: no space left on device, at /var/lib/caiman/caiman.db</c>.
/// </summary>
/// <param name="Fault">What is wrong.</param>
/// <param name="File">The database file, as a full path.</param>
/// <param name="Action">What could not be done: "cannot be read", "cannot be written", "write failed", "read failed".</param>
/// <param name="Reason">The fault in words, e.g. "no space left on device".</param>
public sealed record JournalProblem(JournalFault Fault, string File, string Action, string Reason)
{
    public string Message => $"journal {Action}: {Reason}, at {File}";

    public override string ToString() => Message;
}

/// <summary>
/// What the preflight found: whether the journal can be read and written, and if not, why. A journal
/// that can be read but not written (read-only mount, immutable file, full disk) is still worth
/// opening with <see cref="SqlitePersistence.ReadOnlyConfig"/> to show what it holds.
/// </summary>
/// <param name="File">The database file, as a full path.</param>
/// <param name="Problem">Null when the journal can be read and written.</param>
/// <param name="CanRead">Its runs can be read (false for a missing, emptied, damaged or unreadable file).</param>
/// <param name="CanWrite">Runs can be started and go on.</param>
/// <param name="IsNew">There is no journal yet and nothing says there was one: a fresh data directory.</param>
public sealed record JournalCheck(string File, JournalProblem? Problem, bool CanRead, bool CanWrite, bool IsNew)
{
    public bool IsHealthy => Problem is null;
}

/// <summary>The journal cannot be used as asked; <see cref="Exception.Message"/> is the one line to show.</summary>
public sealed class JournalException(JournalProblem problem) : Exception(problem.Message)
{
    public JournalProblem Problem { get; } = problem;

    public JournalFault Fault => Problem.Fault;
}
