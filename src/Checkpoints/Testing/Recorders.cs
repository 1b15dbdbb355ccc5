using System.Collections.Immutable;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Testing;

// The kit's in-memory stand-ins for the engine's services. A checkpoint may report from several
// threads at once (process output readers, for one), so each recorder locks.

internal sealed class ProgressRecorder : IProgressReporter
{
    private readonly List<ProgressReport> _reports = [];

    public void Report(double percent, string? message = null)
    {
        var clamped = double.IsNaN(percent) ? 0 : Math.Clamp(percent, 0, 100);
        lock (_reports) _reports.Add(new ProgressReport(clamped, message));
    }

    public IReadOnlyList<ProgressReport> Snapshot()
    {
        lock (_reports) return [.. _reports];
    }
}

internal sealed class ErrorRecorder(Writer writer) : IErrorReporter
{
    private readonly List<CheckpointError> _errors = [];

    public bool HasError
    {
        get { lock (_errors) return _errors.Any(e => e.Kind == CheckpointErrorKind.Error); }
    }

    public void Report(CheckpointErrorKind kind, string message, Exception? exception = null, IReadOnlyDictionary<string, string>? data = null) =>
        Add(new CheckpointError(writer.Checkpoint, writer.Attempt, kind, exception?.GetType().FullName, message,
            data is null ? ImmutableSortedDictionary<string, string>.Empty : data.ToImmutableSortedDictionary(StringComparer.Ordinal),
            DateTimeOffset.UtcNow));

    public void Add(CheckpointError error)
    {
        lock (_errors) _errors.Add(error);
    }

    public IReadOnlyList<CheckpointError> Snapshot()
    {
        lock (_errors) return [.. _errors];
    }
}

internal sealed class LaunchRecorder : IProcessLaunchRecorder
{
    private readonly List<ProcessLaunch> _launches = [];

    public Task RecordAsync(ProcessLaunch launch)
    {
        lock (_launches) _launches.Add(launch);
        return Task.CompletedTask;
    }

    public IReadOnlyList<ProcessLaunch> Snapshot()
    {
        lock (_launches) return [.. _launches];
    }
}

internal sealed class RecordingLogger : ILogger
{
    private readonly List<LogRecord> _records = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var message = formatter(state, exception);
        if (exception is not null) message += $" ({exception.GetType().Name}: {exception.Message})";
        lock (_records) _records.Add(new LogRecord(logLevel, message));
    }

    public IReadOnlyList<LogRecord> Snapshot()
    {
        lock (_records) return [.. _records];
    }
}
