using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints.Processes;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Workers;

/// <summary>
/// The engine's handle of one worker process (a child of the placement): starts it through the
/// node's process supervisor (so it has a lifeline and dies with the engine), gives it its
/// attempts, and knows of its death from its exit, in milliseconds, rather than from Akka's
/// remote failure detector (about ten seconds). An attempt whose worker dies under it is lost
/// ("worker exited: signal 9"); one that is abandoned dies with its worker, which is killed, and
/// the run hears only once the process is gone. Its output goes to the engine's log.
/// </summary>
internal sealed class WorkerProcessActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);
    private const int LastWords = 3;

    private readonly int _id;
    private readonly string _runId;
    private readonly WorkerLaunch _launch;
    private readonly WorkerSettings _settings;
    private readonly ILogger _log;
    private readonly ConcurrentQueue<string> _lastErrors = new();
    private ProcessSession? _session;
    private IActorRef? _worker;
    private int _pid;
    private AttemptSpec? _attempt;
    private IActorRef? _abandonedBy;
    private bool _stopping;
    private bool _closed;

    public WorkerProcessActor(int id, string runId, WorkerLaunch launch, WorkerSettings settings, ILogger log)
    {
        _id = id;
        _runId = runId;
        _launch = launch;
        _settings = settings;
        _log = log;
        Starting();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(int id, string runId, WorkerLaunch launch, WorkerSettings settings, ILogger log) =>
        Akka.Actor.Props.Create(() => new WorkerProcessActor(id, runId, launch, settings, log));

    private string Who => _pid == 0 ? $"worker {_id}" : $"worker {_id} (pid {_pid})";

    protected override void PreStart()
    {
        Timers.StartSingleTimer(StartTimedOut.Instance, StartTimedOut.Instance, _settings.StartTimeout);
        PreparedCommand command;
        try
        {
            command = Command();
        }
        catch (ProcessStartException e)
        {
            Self.Tell(new WorkerFailedToStart(e));
            return;
        }
        ProcessHost.For(Context.System).OpenAsync(command, recorder: null, CancellationToken.None)
            .PipeTo(Self, success: session => new WorkerStarted(session), failure: e => new WorkerFailedToStart(e));
    }

    private PreparedCommand Command()
    {
        var argv = new List<string>(_launch.Command)
        {
            "worker", "--engine", _launch.EngineAddress, "--worker-id", _id.ToString(CultureInfo.InvariantCulture),
        };
        if (_launch.CertificatePath is { } certificate) argv.AddRange(["--certificate", certificate]);
        var words = argv.ToImmutableArray();
        return new PreparedCommand(PreparedCommand.FindSetsid(), words, string.Join(' ', words),
            ImmutableDictionary<string, string>.Empty.Add("CAIMAN_WORKER_RUN", _runId), Environment.CurrentDirectory);
    }

    // ---- Starting: the process is launched, the worker has not said it is ready ----------------------

    private void Starting()
    {
        Receive<WorkerStarted>(started =>
        {
            _session = started.Session;
            _pid = started.Session.Launch.Pid;
            var process = started.Session.Process;
            Pump(process.StandardOutput, LogLevel.Debug);
            Pump(process.StandardError, LogLevel.Warning);
            started.Session.Exited.PipeTo(Self, success: () => WorkerExited.Instance);
        });
        Receive<WorkerFailedToStart>(failed => Fail($"{Who} could not be started: {failed.Reason.Message}"));
        Receive<StartTimedOut>(_ => Fail($"{Who} did not get ready within {_settings.StartTimeout}"));
        Receive<AssignAttempt>(assign => _attempt = assign.Spec);
        Receive<WorkerReady>(ready =>
        {
            Timers.Cancel(StartTimedOut.Instance);
            _worker = ready.Worker;
            Context.Watch(_worker);
            _log.LogDebug("{Who} ready for run {RunId}", Who, _runId);
            Become(Running);
            if (_stopping) _worker.Tell(StopWorker.Instance);
            else if (_attempt is { } spec) _worker.Tell(new StartAttempt(spec, Self));
        });
        Common();
    }

    // ---- Running: attempts one at a time ----------------------------------------------------------

    private void Running()
    {
        Receive<AssignAttempt>(assign =>
        {
            Timers.Cancel(IdleTimedOut.Instance);
            _attempt = assign.Spec;
            _worker!.Tell(new StartAttempt(assign.Spec, Self));
        });
        Receive<AttemptEnded>(ended =>
        {
            if (_attempt is not { } spec || spec.Checkpoint != ended.Checkpoint || spec.Attempt != ended.Attempt) return;
            _attempt = null;
            if (ended.Reusable && !_stopping)
            {
                Timers.StartSingleTimer(IdleTimedOut.Instance, IdleTimedOut.Instance, _settings.IdleTimeout);
                Context.Parent.Tell(new WorkerIdle(_id));
            }
            else
            {
                StopGracefully();
            }
        });
        Receive<IdleTimedOut>(_ => StopGracefully());
        Receive<Terminated>(terminated =>
        {
            if (!terminated.ActorRef.Equals(_worker)) return;
            // Its actor system is gone (the failure detector said so, or it exited first): the process follows.
            Kill();
        });
        Common();
    }

    private void Common()
    {
        Receive<StopWorker>(_ => StopGracefully());
        Receive<StopTimedOut>(_ => Kill());
        Receive<AbandonAttempt>(abandon =>
        {
            _abandonedBy = Sender;
            _log.LogWarning("{Who}: killing it, its attempt {Attempt} of '{Checkpoint}' of run {RunId} is abandoned", Who, abandon.Attempt, abandon.Checkpoint, abandon.RunId);
            Kill();
        });
        Receive<WorkerExited>(_ =>
        {
            // How it ended, once its session is swept; the pumps then see end of file.
            ProcessHost.For(Context.System).CloseAsync(_session!).PipeTo(Self, success: closed => new WorkerClosed(closed.Exit), failure: _ => new WorkerClosed(null));
        });
        Receive<WorkerKilled>(_ => { });
        Receive<WorkerClosed>(closed =>
        {
            _closed = true;
            Ended(Describe(closed.Exit));
        });
    }

    /// <summary>SIGKILLs the worker's session and waits until it is gone; its exit then ends this handle.</summary>
    private void Kill()
    {
        if (_session is null)
        {
            Ended("worker killed before it started");
            return;
        }
        ProcessHost.For(Context.System).TerminateAsync(_session, TimeSpan.Zero).PipeTo(Self, success: _ => WorkerKilled.Instance, failure: _ => WorkerKilled.Instance);
    }

    private void StopGracefully()
    {
        if (_stopping) return;
        _stopping = true;
        Timers.Cancel(IdleTimedOut.Instance);
        _worker?.Tell(StopWorker.Instance);
        Timers.StartSingleTimer(StopTimedOut.Instance, StopTimedOut.Instance, StopTimeout);
        if (_session is null && _worker is null) Kill();
    }

    private void Fail(string reason)
    {
        _log.LogError("{Reason}", reason);
        if (_attempt is { } spec) spec.Run.Tell(new AttemptRefused(spec.Checkpoint, spec.Attempt, reason));
        _attempt = null;
        if (_session is null) Context.Stop(Self);
        else Kill();
    }

    /// <summary>The process is gone: whoever abandoned its attempt hears so, an attempt it was running is lost, and the handle stops.</summary>
    private void Ended(string how)
    {
        if (_abandonedBy is { } abandoner && _attempt is { } abandoned)
            abandoner.Tell(new AttemptAbandoned(abandoned.Checkpoint, abandoned.Attempt));
        else if (_attempt is { } spec)
            spec.Run.Tell(new AttemptLost(spec.Checkpoint, spec.Attempt, how));
        else if (!_stopping)
            _log.LogWarning("{Who}: {How}", Who, how);
        _attempt = null;
        Context.Stop(Self);
    }

    private string Describe(ChildExit? exit)
    {
        var what = exit switch
        {
            { Signal: { } signal } => $"worker exited: signal {signal}",
            { ExitCode: var code } => $"worker exited with code {code}",
            null => "worker exited",
        };
        var words = _lastErrors.ToArray();
        return words.Length == 0 ? what : $"{what}; its last words: {string.Join(" | ", words)}";
    }

    private void Pump(StreamReader reader, LogLevel level)
    {
        var who = Who;
        var log = _log;
        var lastErrors = level >= LogLevel.Warning ? _lastErrors : null;
        _ = Task.Run(async () =>
        {
            try
            {
                while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
                {
                    log.Log(level, "{Who}: {Line}", who, line);
                    // Stack frames say where, not what: the last words worth quoting are the others.
                    if (lastErrors is null || line.TrimStart().StartsWith("at ", StringComparison.Ordinal)) continue;
                    lastErrors.Enqueue(line.Length > 300 ? line[..300] + "..." : line);
                    while (lastErrors.Count > LastWords) lastErrors.TryDequeue(out _);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The process is gone and its pipe with it.
            }
        });
    }

    protected override void PostStop()
    {
        if (_session is not { } session) return;
        // A session not closed is killed (its lifeline with it, whatever becomes of the pipe); a pump still reading just stops.
        if (!_closed) ProcessHost.Kill(session);
        session.Process.Dispose();
    }

    private sealed record WorkerStarted(ProcessSession Session) : INoSerializationVerificationNeeded;

    private sealed record WorkerFailedToStart(Exception Reason) : INoSerializationVerificationNeeded;

    private sealed record WorkerClosed(ChildExit? Exit) : INoSerializationVerificationNeeded;

    private sealed record WorkerExited : INoSerializationVerificationNeeded
    {
        public static readonly WorkerExited Instance = new();
    }

    private sealed record WorkerKilled : INoSerializationVerificationNeeded
    {
        public static readonly WorkerKilled Instance = new();
    }

    private sealed record StartTimedOut : INoSerializationVerificationNeeded
    {
        public static readonly StartTimedOut Instance = new();
    }

    private sealed record IdleTimedOut : INoSerializationVerificationNeeded
    {
        public static readonly IdleTimedOut Instance = new();
    }

    private sealed record StopTimedOut : INoSerializationVerificationNeeded
    {
        public static readonly StopTimedOut Instance = new();
    }
}
