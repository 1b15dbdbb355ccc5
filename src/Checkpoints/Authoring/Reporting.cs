using System.Collections.Immutable;

namespace Caiman.Checkpoints;

/// <summary>What a reported error means (the original error service's types, plus warnings).</summary>
public enum CheckpointErrorKind
{
    /// <summary>The step failed; reporting one fails the attempt even if it returns normally.</summary>
    Error,
    /// <summary>Cleaning up after the step went wrong; the step itself may still have succeeded.</summary>
    CleanupError,
    /// <summary>Something went wrong and was repaired; kept for the record.</summary>
    Repaired,
    /// <summary>Worth a look but not a failure, e.g. a race between checkpoints when races are warnings.</summary>
    Warning,
}

/// <summary>
/// One entry of a run's error service. <see cref="ExceptionType"/> is the CLR type name when the
/// error came from an exception; <see cref="Data"/> holds extra facts (exit code, path, fix-it hint...).
/// </summary>
public sealed record CheckpointError(
    string Checkpoint,
    int Attempt,
    CheckpointErrorKind Kind,
    string? ExceptionType,
    string Message,
    ImmutableSortedDictionary<string, string> Data,
    DateTimeOffset At)
{
    /// <summary>The error an exception stands for, with its type name and message.</summary>
    public static CheckpointError From(string checkpoint, int attempt, Exception exception, CheckpointErrorKind kind = CheckpointErrorKind.Error) =>
        new(checkpoint, attempt, kind, exception.GetType().FullName, exception.Message, ImmutableSortedDictionary<string, string>.Empty, DateTimeOffset.UtcNow);
}

/// <summary>Where a checkpoint reports how far it got.</summary>
public interface IProgressReporter
{
    /// <summary>Reports the step's own progress, 0 to 100 (clamped), with an optional message.</summary>
    void Report(double percent, string? message = null);
}

/// <summary>Where a checkpoint reports errors to the run's error service.</summary>
public interface IErrorReporter
{
    /// <summary>Records an error; <see cref="CheckpointErrorKind.Error"/> fails the attempt when it ends.</summary>
    void Report(CheckpointErrorKind kind, string message, Exception? exception = null, IReadOnlyDictionary<string, string>? data = null);
}
