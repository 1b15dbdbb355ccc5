using System.Collections.Immutable;
using System.Text;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Testing;

/// <summary>How an attempt run by the <see cref="CheckpointTestKit"/> ended, as the engine would judge it.</summary>
public enum CheckpointOutcome
{
    /// <summary><c>ExecuteAsync</c> returned and no error of kind <see cref="CheckpointErrorKind.Error"/> was reported.</summary>
    Completed,
    /// <summary><c>ExecuteAsync</c> threw, or returned after reporting an error of kind <see cref="CheckpointErrorKind.Error"/>.</summary>
    Failed,
    /// <summary><c>ExecuteAsync</c> threw <see cref="OperationCanceledException"/> after the token fired.</summary>
    Cancelled,
}

/// <summary>One progress report, as given (after clamping to 0..100).</summary>
/// <param name="Percent">The step's own progress, 0 to 100.</param>
/// <param name="Message">The message reported with it, if any.</param>
public sealed record ProgressReport(double Percent, string? Message);

/// <summary>One line the checkpoint logged, its message formatted with its state and exception.</summary>
/// <param name="Level">The level it was logged at.</param>
/// <param name="Message">The formatted message; an exception logged with it is appended as <c>(Type: message)</c>.</param>
public sealed record LogRecord(LogLevel Level, string Message);

/// <summary>Everything one attempt run by the <see cref="CheckpointTestKit"/> did, in the order it happened.</summary>
/// <param name="Writer">The attempt's writer: every DOC write of the attempt is stamped with it.</param>
/// <param name="Outcome">How the attempt ended.</param>
/// <param name="Exception">What <c>ExecuteAsync</c> threw, or null when it returned.</param>
/// <param name="Progress">Every progress report.</param>
/// <param name="Errors">Every error reported, plus the thrown exception (if it failed by throwing).</param>
/// <param name="Log">Every log record, from <see cref="LogLevel.Trace"/> up.</param>
/// <param name="Changes">The DOC nodes the attempt changed, where the changes still stand.</param>
/// <param name="Launches">Every external process launch recorded.</param>
public sealed record CheckpointTestResult(
    Writer Writer,
    CheckpointOutcome Outcome,
    Exception? Exception,
    IReadOnlyList<ProgressReport> Progress,
    IReadOnlyList<CheckpointError> Errors,
    IReadOnlyList<LogRecord> Log,
    ImmutableArray<WrittenNode> Changes,
    IReadOnlyList<ProcessLaunch> Launches)
{
    /// <summary>The paths of the nodes in <see cref="Changes"/>, sorted.</summary>
    public IReadOnlyList<string> ChangedPaths => [.. Changes.Select(c => c.Path).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// Returns this result when the attempt completed; otherwise throws, with the exception, the
    /// errors and the log in the message, so that a failing test says why.
    /// </summary>
    public CheckpointTestResult EnsureCompleted() => Outcome == CheckpointOutcome.Completed
        ? this
        : throw new InvalidOperationException(Describe(), Exception);

    /// <summary>A readable account of the attempt: writer, outcome, exception, errors and log.</summary>
    public string Describe()
    {
        var text = new StringBuilder($"{Writer}: {Outcome}");
        if (Exception is not null) text.Append($" ({Exception.GetType().Name}: {Exception.Message})");
        foreach (var error in Errors) text.Append($"\n  {error.Kind}: {error.Message}");
        foreach (var line in Log) text.Append($"\n  [{line.Level}] {line.Message}");
        return text.ToString();
    }
}
