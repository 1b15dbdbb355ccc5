using Akka.Configuration;
using Akka.Pattern;
using Microsoft.Data.Sqlite;

namespace Caiman.Doc.Persistence;

/// <summary>
/// Turns what Akka hands a persistent actor when the journal fails (<c>OnPersistFailure</c>,
/// <c>OnRecoveryFailure</c>: an exception chain with a <see cref="SqliteException"/> somewhere in
/// it, often inside the circuit breaker's <see cref="OpenCircuitException"/>) into the same one-line
/// <see cref="JournalProblem"/> the preflight gives.
/// </summary>
public static class JournalFaults
{
    /// <summary>The configuration key <see cref="SqlitePersistence.Config"/> sets to the database file.</summary>
    public const string DatabaseFileKey = "caiman.persistence.sqlite-file";

    /// <summary>
    /// The fault behind a journal failure, e.g. "journal write failed: no space left on device, at
    /// /data/caiman.db". <paramref name="config"/> is the actor system's (it names the file); pass
    /// <paramref name="recovering"/> for a recovery failure ("journal read failed: ...").
    /// </summary>
    public static JournalProblem Describe(Exception failure, Config config, bool recovering = false) =>
        Describe(failure, config.HasPath(DatabaseFileKey) ? config.GetString(DatabaseFileKey) : null, recovering);

    /// <inheritdoc cref="Describe(Exception, Config, bool)"/>
    public static JournalProblem Describe(Exception failure, string? databaseFile, bool recovering = false)
    {
        var what = recovering ? "read failed" : "write failed";
        var file = databaseFile is null ? "the journal's database" : Path.GetFullPath(databaseFile);
        var chain = Chain(failure).ToList();
        var sqlite = chain.OfType<SqliteException>().FirstOrDefault();
        var fault = sqlite is null ? null : (sqlite.SqliteErrorCode & 0xff) switch
        {
            SqliteCodes.Full => JournalFault.DiskFull,
            SqliteCodes.Corrupt => JournalFault.Corrupt,
            SqliteCodes.NotADatabase => JournalFault.NotADatabase,
            SqliteCodes.Busy or SqliteCodes.Locked => JournalFault.Locked,
            _ => (JournalFault?)null,
        };
        if (fault is { } known)
            return new JournalProblem(known, file, what, JournalPreflight.Reason(known, Path.GetDirectoryName(file) ?? file));

        // An I/O error, a refused write, anything else: the file itself says what changed under the journal.
        if (databaseFile is not null && JournalPreflight.Check(databaseFile, scanPages: false).Problem is { } found)
            return found with { Action = what };

        var cause = sqlite?.Message ?? Innermost(chain).Message;
        return new JournalProblem(JournalFault.Failed, file, what, JournalPreflight.OneLine(cause));
    }

    /// <summary>The exception, its inner exceptions and those of aggregates, outermost first.</summary>
    private static IEnumerable<Exception> Chain(Exception failure)
    {
        var pending = new Stack<Exception>();
        pending.Push(failure);
        while (pending.Count > 0)
        {
            var e = pending.Pop();
            yield return e;
            if (e is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions.Reverse()) pending.Push(inner);
            else if (e.InnerException is { } next) pending.Push(next);
        }
    }

    /// <summary>The deepest cause, skipping the circuit breaker's own wrapper when it has one.</summary>
    private static Exception Innermost(List<Exception> chain) =>
        chain.LastOrDefault(e => e is not (OpenCircuitException or AggregateException)) ?? chain[^1];
}
