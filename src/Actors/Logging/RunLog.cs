using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Logging;

/// <summary>
/// One log per run: a file under the run's data directory (when there is one) with run and
/// checkpoint on every line, and the same entries passed on to the host's logging
/// (Microsoft.Extensions.Logging, into which the host also bridges Akka's own log events).
/// </summary>
internal sealed class RunLog : IDisposable
{
    private readonly string _runId;
    private readonly ILoggerFactory _loggers;
    private readonly object _gate = new();
    private StreamWriter? _file;

    public RunLog(string runId, string dataDirectory, ILoggerFactory loggers)
    {
        _runId = runId;
        _loggers = loggers;
        if (dataDirectory.Length == 0) return;
        Directory.CreateDirectory(RunFiles.Directory(dataDirectory, runId));
        Path = RunFiles.Log(dataDirectory, runId);
        _file = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    /// <summary>The log file, or null when runs keep no files.</summary>
    public string? Path { get; }

    /// <summary>A logger for the run itself (checkpoint "-") or for one checkpoint at its own level.</summary>
    public ILogger For(string? checkpoint, LogLevel minimum = LogLevel.Information) =>
        new Scoped(this, checkpoint ?? "-", minimum, _loggers.CreateLogger(checkpoint is null ? "Caiman.Run" : "Caiman.Checkpoint"));

    private void Write(LogLevel level, string checkpoint, string message, Exception? exception)
    {
        if (_file is null) return;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {Level(level)} run={_runId} checkpoint={checkpoint} {message}");
        if (exception is not null) line += $" ({exception.GetType().Name}: {exception.Message})";
        lock (_gate) _file?.WriteLine(line);
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info ",
        LogLevel.Warning => "warn ",
        LogLevel.Error => "error",
        _ => "crit ",
    };

    public void Dispose()
    {
        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    private sealed class Scoped(RunLog log, string checkpoint, LogLevel minimum, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            log.Write(logLevel, checkpoint, message, exception);
            using (inner.BeginScope(new Dictionary<string, object> { ["RunId"] = log._runId, ["Checkpoint"] = checkpoint }))
                inner.Log(logLevel, eventId, exception, "run={RunId} checkpoint={Checkpoint} {Message}", log._runId, checkpoint, message);
        }
    }
}
