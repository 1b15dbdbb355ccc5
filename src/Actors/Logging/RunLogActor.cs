using System.Globalization;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Logging;

/// <summary>
/// The one writer of a run's log: a file under the run's data directory (opened on the first
/// entry, so that looking at a run never writes to disk) with run and checkpoint on every line,
/// and the same entries passed on to the host's logging. Entries come as <see cref="AppendLog"/>
/// messages from the run and from its attempts, wherever they run. A file that cannot be written
/// is reported once to the host's log and left alone; the run goes on.
/// </summary>
internal sealed class RunLogActor : ReceiveActor
{
    private readonly string _runId;
    private readonly string _dataDirectory;
    private readonly ILogger _runLogger;
    private readonly ILogger _checkpointLogger;
    private StreamWriter? _file;
    private bool _fileFailed;

    public RunLogActor(string runId, string dataDirectory, ILoggerFactory loggers)
    {
        _runId = runId;
        _dataDirectory = dataDirectory;
        _runLogger = loggers.CreateLogger("Caiman.Run");
        _checkpointLogger = loggers.CreateLogger("Caiman.Checkpoint");
        Receive<AppendLog>(Append);
    }

    public static Props Props(string runId, string dataDirectory, ILoggerFactory loggers) =>
        Akka.Actor.Props.Create(() => new RunLogActor(runId, dataDirectory, loggers)).WithDispatcher(EngineSettings.LogDispatcher);

    private void Append(AppendLog entry)
    {
        var checkpoint = entry.Checkpoint;
        WriteFile(string.Create(CultureInfo.InvariantCulture,
            $"{entry.At:yyyy-MM-ddTHH:mm:ss.fffZ} {Level(entry.Level)} run={_runId} checkpoint={checkpoint} {entry.Message}"));
        var logger = checkpoint == "-" ? _runLogger : _checkpointLogger;
        if (!logger.IsEnabled(entry.Level)) return;
        using (logger.BeginScope(new Dictionary<string, object> { ["RunId"] = _runId, ["Checkpoint"] = checkpoint }))
            logger.Log(entry.Level, "run={RunId} checkpoint={Checkpoint} {Message}", _runId, checkpoint, entry.Message);
    }

    private void WriteFile(string line)
    {
        if (_dataDirectory.Length == 0 || _fileFailed) return;
        try
        {
            if (_file is null)
            {
                Directory.CreateDirectory(RunFiles.Directory(_dataDirectory, _runId));
                _file = new StreamWriter(new FileStream(RunFiles.Log(_dataDirectory, _runId), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
            }
            _file.WriteLine(line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _fileFailed = true;
            _runLogger.LogWarning("run {RunId}: its log file {File} cannot be written ({Reason}); the run goes on, its log only in this one",
                _runId, RunFiles.Log(_dataDirectory, _runId), e.Message);
            _file?.Dispose();
            _file = null;
        }
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

    protected override void PostStop()
    {
        try
        {
            _file?.Dispose();
        }
        catch (IOException)
        {
            // The last flush failed: nothing more can be done for a log that cannot be written.
        }
    }
}

/// <summary>
/// An <see cref="ILogger"/> whose entries become <see cref="AppendLog"/> messages to a run's log
/// actor: what the run and its attempts (in process or in a worker) log through.
/// </summary>
internal sealed class RunLogger(IActorRef log, string checkpoint, int attempt, LogLevel minimum) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var message = formatter(state, exception);
        if (exception is not null) message += $" ({exception.GetType().Name}: {exception.Message})";
        log.Tell(new AppendLog(checkpoint, attempt, logLevel, message, DateTimeOffset.UtcNow));
    }
}
