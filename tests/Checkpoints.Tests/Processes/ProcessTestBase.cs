using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Akka.Configuration;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Caiman.Doc.Testing;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Caiman.Checkpoints.Tests.Processes;

/// <summary>
/// TestKit base for the process specs: a real in-memory DOC (every message serialized), a
/// scratch directory, and attempts whose services record what the runner did.
/// </summary>
public abstract class ProcessTestBase : Akka.TestKit.Xunit2.TestKit
{
    protected const string RunId = "process-run";

    /// <summary>How long a test waits for something that normally takes milliseconds.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly Config SpecConfig = ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            caiman.doc.ask-timeout = 10s
            """).WithFallback(VerifiedMessages.InMemory).WithFallback(CheckpointsConfig.Default());

    private int _attempts;

    protected ProcessTestBase(ITestOutputHelper output) : base(SpecConfig, output: output)
    {
        Doc = DocClient.Start(Sys, RunId);
        Directory.CreateDirectory(WorkDirectory);
    }

    /// <summary>The run's DOC, writing as the user: for building what a process reads.</summary>
    protected DocClient Doc { get; }

    /// <summary>A directory of this test's own, used as the attempts' base directory.</summary>
    protected string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), "caiman-process-spec-" + Guid.NewGuid().ToString("N"));

    /// <summary>A new attempt of checkpoint <c>build</c> with recording services.</summary>
    protected Attempt NewAttempt(TimeSpan? killGracePeriod = null, Func<ProcessLaunch, Task>? onRecord = null)
    {
        var writer = new Writer(RunId, "build", Interlocked.Increment(ref _attempts));
        return new Attempt(writer, Doc.As(writer), WorkDirectory, killGracePeriod ?? TimeSpan.FromSeconds(5), onRecord, ProcessHost.For(Sys));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Scratch space in the temp directory: leaving it behind harms nothing.
        }
    }
}

/// <summary>One attempt's context and what its services were given.</summary>
public sealed class Attempt
{
    public Attempt(Writer writer, DocClient doc, string baseDirectory, TimeSpan killGracePeriod, Func<ProcessLaunch, Task>? onRecord, ProcessHost processHost)
    {
        Writer = writer;
        Launches = new RecordingLaunches(onRecord);
        Context = new CheckpointContext
        {
            Writer = writer,
            Doc = doc,
            Args = CheckpointArgs.Empty,
            Logger = Log,
            Progress = Progress,
            Errors = Errors,
            BaseDirectory = baseDirectory,
            Launches = Launches,
            ProcessHost = processHost,
            KillGracePeriod = killGracePeriod,
        };
    }

    public Writer Writer { get; }
    public CheckpointContext Context { get; }
    public RecordingLog Log { get; } = new();
    public RecordingProgress Progress { get; } = new();
    public RecordingErrors Errors { get; } = new();
    public RecordingLaunches Launches { get; }

    public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken = default) =>
        Context.Processes.RunAsync(spec, cancellationToken);

    public Task<ProcessResult> RunAsync(string commandLine, CancellationToken cancellationToken = default) =>
        RunAsync(ProcessSpec.ShellCommand(commandLine), cancellationToken);

    /// <summary>The one launch recorded.</summary>
    public ProcessLaunch Launch => Assert.Single(Launches.Recorded);
}

public sealed class RecordingLog : ILogger
{
    private readonly List<(LogLevel Level, string Message)> _records = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Logged)> _awaited = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Records
    {
        get { lock (_records) return [.. _records]; }
    }

    public IReadOnlyList<string> At(LogLevel level) => [.. Records.Where(r => r.Level == level).Select(r => r.Message)];

    /// <summary>Completes when a record with exactly this message is logged (or was already).</summary>
    public Task WhenLogged(string message) => WhenLogged(m => m == message);

    /// <summary>Completes with the first message that matches, once it is logged (or at once if it was).</summary>
    public Task<string> WhenLogged(Func<string, bool> match)
    {
        lock (_records)
        {
            if (_records.Find(r => match(r.Message)) is { Message: not null } found) return Task.FromResult(found.Message);
            var logged = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _awaited.Add((match, logged));
            return logged.Task;
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var message = formatter(state, exception);
        lock (_records)
        {
            _records.Add((logLevel, message));
            foreach (var (_, logged) in _awaited.Where(a => a.Match(message))) logged.TrySetResult(message);
        }
    }
}

public sealed class RecordingProgress : IProgressReporter
{
    private readonly List<(double Percent, string? Message)> _reports = [];

    public IReadOnlyList<(double Percent, string? Message)> Reports
    {
        get { lock (_reports) return [.. _reports]; }
    }

    public void Report(double percent, string? message = null)
    {
        lock (_reports) _reports.Add((percent, message));
    }
}

public sealed class RecordingErrors : IErrorReporter
{
    private readonly List<(CheckpointErrorKind Kind, string Message, ImmutableSortedDictionary<string, string> Data)> _errors = [];

    public IReadOnlyList<(CheckpointErrorKind Kind, string Message, ImmutableSortedDictionary<string, string> Data)> Reported
    {
        get { lock (_errors) return [.. _errors]; }
    }

    public void Report(CheckpointErrorKind kind, string message, Exception? exception = null, IReadOnlyDictionary<string, string>? data = null)
    {
        lock (_errors) _errors.Add((kind, message, (data ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal)));
    }
}

public sealed class RecordingLaunches(Func<ProcessLaunch, Task>? onRecord) : IProcessLaunchRecorder
{
    private readonly List<ProcessLaunch> _launches = [];

    public IReadOnlyList<ProcessLaunch> Recorded
    {
        get { lock (_launches) return [.. _launches]; }
    }

    public async Task RecordAsync(ProcessLaunch launch)
    {
        if (onRecord is not null) await onRecord(launch);
        lock (_launches) _launches.Add(launch);
    }
}

/// <summary>
/// What /proc says about processes, read independently of the code under test. Zombies count
/// as dead: they run nothing, and in a container nobody may ever reap a killed orphan.
/// </summary>
public static class Procs
{
    public sealed record Stat(int Pid, char State, int Group, int Session, long StartTime)
    {
        public bool IsLive => State is not ('Z' or 'X' or 'x');
    }

    public static Stat? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return new Stat(pid, fields[0][0], Parse(fields[2]), Parse(fields[3]), long.Parse(fields[19], CultureInfo.InvariantCulture));
    }

    /// <summary>Live processes whose session or group is <paramref name="session"/>.</summary>
    public static IReadOnlyList<Stat> LiveInSession(int session) =>
    [
        .. Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => Read(Parse(name!)))
            .OfType<Stat>()
            .Where(s => s.IsLive && (s.Session == session || s.Group == session)),
    ];

    /// <summary>Cleanup after a failed test: SIGKILL whatever of the session still runs.</summary>
    public static void KillSession(int session)
    {
        foreach (var stat in LiveInSession(session))
        {
            try
            {
                using var process = Process.GetProcessById(stat.Pid);
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }

    private static int Parse(string text) => int.Parse(text, CultureInfo.InvariantCulture);
}

/// <summary>DOC helpers.</summary>
public static class DocNodes
{
    public static NewNode Node(string name, string kind = DocNames.DefaultKind, params (string Key, object? Value)[] properties) =>
        new(name, kind, DocClient.ToProperties(name, properties.ToDictionary(p => p.Key, p => p.Value)));
}
