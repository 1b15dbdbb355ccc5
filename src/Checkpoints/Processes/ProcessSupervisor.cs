using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Event;

namespace Caiman.Checkpoints.Processes;

/// <summary>
/// The node's process supervisor: one <see cref="SessionActor"/> per launched process and one
/// <see cref="ReaperActor"/> per reaping request, all on <see cref="ProcessHost.Dispatcher"/>.
/// A child that fails is stopped, which kills its session.
/// </summary>
internal sealed class ProcessSupervisor : ReceiveActor
{
    private long _reapers;

    public ProcessSupervisor(string node, string dispatcher)
    {
        Receive<OpenSession>(open =>
        {
            var opener = Sender;
            Context.ActorOf(Props.Create(() => new SessionActor(open.Command, open.Recorder, open.Cancelled, node, opener)).WithDispatcher(dispatcher), SessionName(open.Id));
        });
        Receive<AbandonOpen>(abandon => Context.Child(SessionName(abandon.Id)).Tell(KillSession.Instance));
        Receive<ReapLaunches>(reap =>
        {
            var replyTo = Sender;
            Context.ActorOf(Props.Create(() => new ReaperActor(reap, replyTo)).WithDispatcher(dispatcher), "reap-" + (++_reapers).ToString(CultureInfo.InvariantCulture));
        });
    }

    private static string SessionName(long id) => "session-" + id.ToString(CultureInfo.InvariantCulture);

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);
}

/// <summary>
/// One launched process from its gate to the end of its session: starts it through setsid into
/// <see cref="Lifeline"/>'s shell, records the launch before the gate opens, then terminates,
/// sweeps or kills the session when asked, and kills it whatever happens when it stops.
/// </summary>
internal sealed class SessionActor : ReceiveActor, IWithTimers
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private static readonly TimeSpan GateTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DeathTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PreparedCommand _command;
    private readonly IProcessLaunchRecorder? _recorder;
    private readonly CancellationToken _cancelled;
    private readonly string _node;
    private readonly IActorRef _opener;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    private ProcessLaunch? _launch;
    private int _watcher;
    private int _pidfd = -1;
    private Task<ChildExit?>? _exitWatch;
    private bool _hasExited;
    private bool _gone;
    private bool _opened;
    private Ending? _ending;

    public SessionActor(PreparedCommand command, IProcessLaunchRecorder? recorder, CancellationToken cancelled, string node, IActorRef opener)
    {
        _command = command;
        _recorder = recorder;
        _cancelled = cancelled;
        _node = node;
        _opener = opener;
        Opening();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private int Pid => _process!.Id;

    /// <summary>What the session is waiting for before it answers: the end of a terminate or of a close.</summary>
    private sealed class Ending(IActorRef replyTo, bool closing, DateTime politeUntil)
    {
        public IActorRef ReplyTo { get; } = replyTo;
        public bool Closing { get; } = closing;
        public DateTime PoliteUntil { get; } = politeUntil;
        public bool Killed { get; set; }
        public bool Forced { get; set; }
        public DateTime GiveUpAt { get; set; } = DateTime.MaxValue;
        public int Leftovers { get; set; }
    }

    protected override void PreStart()
    {
        try
        {
            _process = new Process { StartInfo = StartInfo() };
            _process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            Fail(new ProcessStartException($"cannot start '{_command.Text}': {e.Message}", e), killGate: false);
            return;
        }
        ReadGateAsync(_process).PipeTo(Self);
    }

    // ---- Opening: gate ready, launch recorded, gate open, lifeline up ---------------------------------

    private void Opening()
    {
        Receive<GateRead>(OnGateRead);
        Receive<LaunchRecorded>(_ => OpenGate());
        Receive<RecordFailed>(failed => Fail(failed.Reason, killGate: true));
        Receive<LifelineRead>(OnLifelineRead);
        Receive<GateDied>(died => Reply(new SessionFailed(died.Reason)));
        Receive<KillSession>(_ => Context.Stop(Self));
        Receive<TerminateSession>(_ =>
        {
            Sender.Tell(new SessionTerminated(Forced: false));
            Context.Stop(Self);
        });
    }

    private async Task<GateRead> ReadGateAsync(Process process)
    {
        var pid = process.Id;
        using var timeout = new CancellationTokenSource(GateTimeout);
        // A pipe read does not always heed a token; killing the gate ends it with end of file.
        await using (timeout.Token.Register(() => Libc.Kill(pid, Libc.SigKill)).ConfigureAwait(false))
        {
            var line = await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false);
            return new GateRead(line, timeout.IsCancellationRequested);
        }
    }

    private void OnGateRead(GateRead read)
    {
        if (read.Line != Lifeline.GateReady)
        {
            var process = _process!;
            Why(process).PipeTo(Self, success: why => new GateDied(new ProcessStartException(read.TimedOut
                ? $"cannot start '{_command.Text}': its launcher did not get ready within {GateTimeout.TotalSeconds:0} s"
                : $"cannot start '{_command.Text}': its launcher ended before running it{why}")));
            return;
        }
        if (ProcFs.Read(Pid) is not { } stat || stat.Session != Pid || stat.ProcessGroup != Pid)
        {
            Fail(new ProcessStartException($"cannot start '{_command.Text}': setsid did not give it a session of its own"), killGate: true);
            return;
        }
        _launch = new ProcessLaunch(Pid, Pid, stat.StartTime, _command.Text) { BootId = ProcFs.BootId(), Node = _node, Machine = ProcFs.MachineId() };
        if (_recorder is null)
        {
            OpenGate();
            return;
        }
        _recorder.RecordAsync(_launch).PipeTo(Self, success: () => LaunchRecorded.Instance, failure: e => new RecordFailed(e));
    }

    private void OpenGate()
    {
        if (_cancelled.IsCancellationRequested)
        {
            // Cancelled while the launch was being recorded: the command never runs.
            Fail(new OperationCanceledException(_cancelled), killGate: true);
            return;
        }
        var process = _process!;
        var pid = Pid;
        // Opened while the gate holds the process alive, so it names this process and no later one.
        _pidfd = Libc.OpenPidFd(pid);
        var pidfd = _pidfd;
        // Watch for the exit status before the gate opens, so the look comes before .NET's reaping.
        var watching = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _exitWatch = Task.Factory.StartNew(() => Libc.WaitForExitWithoutReaping(pid, pidfd, () => watching.TrySetResult()),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Open().PipeTo(Self);

        async Task<LifelineRead> Open()
        {
            await watching.Task.ConfigureAwait(false);
            try
            {
                await process.StandardInput.WriteAsync("go\n").ConfigureAwait(false);
                await process.StandardInput.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The gate died before it opened (killed from outside): its exit tells the rest.
                return new LifelineRead(null);
            }
            return new LifelineRead(await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false));
        }
    }

    private void OnLifelineRead(LifelineRead read)
    {
        var process = _process!;
        if (read.Line is { } line && line.StartsWith(Lifeline.LifelinePrefix, StringComparison.Ordinal))
            _ = int.TryParse(line.AsSpan(Lifeline.LifelinePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out _watcher);
        else if (read.Line is not null)
            _log.Warning("'{0}': its lifeline did not start (its shell said '{1}'); it dies with this process only if its group is killed", _command.Text, read.Line);
        process.WaitForExitAsync(CancellationToken.None).PipeTo(Self, success: () => ProcessExited.Instance);
        Become(Open);
        _opened = true;
        Reply(new SessionOpened(new ProcessSession(Self, process, _launch!, _exited.Task)));
    }

    private void Reply(object reply)
    {
        _opener.Tell(reply);
        if (reply is SessionFailed) Context.Stop(Self);
    }

    private void Fail(Exception reason, bool killGate)
    {
        if (!killGate || _process is null)
        {
            Reply(new SessionFailed(reason));
            return;
        }
        // The gate is still closed, so the gate shell is all there is to kill.
        Libc.Kill(Pid, Libc.SigKill);
        _process.WaitForExitAsync(CancellationToken.None).PipeTo(Self, success: () => new GateDied(reason));
    }

    private static async Task<string> Why(Process process)
    {
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        var errors = (await process.StandardError.ReadToEndAsync(CancellationToken.None).ConfigureAwait(false)).Trim();
        return errors.Length == 0 ? $" (exit code {process.ExitCode})" : $": {errors}";
    }

    // ---- Open: the process runs; terminate, close or kill its session ----------------------------------

    private void Open()
    {
        Receive<ProcessExited>(_ =>
        {
            _hasExited = true;
            _exited.TrySetResult();
            Check();
        });
        Receive<TerminateSession>(terminate =>
        {
            if (_ending is not null) return;
            _ending = new Ending(Sender, closing: false, DateTime.UtcNow + terminate.Grace);
            // Jobs that moved to another group of the session get the polite signal too (once: not
            // the processes their TERM handlers start to clean up). The watcher ignores it.
            Libc.KillGroup(_launch!.ProcessGroup, Libc.SigTerm);
            ProcessReaper.Signal(_launch, Libc.SigTerm, rounds: 1, except: _watcher);
            Check();
        });
        Receive<CloseSession>(_ =>
        {
            if (_ending is { Closing: true }) return;
            // Whatever the process left in its session is killed before the lifeline is cut, so it can be counted.
            var leftovers = ProcessReaper.KillOrphans(_launch!, except: _watcher);
            _ending = new Ending(Sender, closing: true, DateTime.MinValue) { Killed = true, GiveUpAt = DateTime.UtcNow + DeathTimeout, Leftovers = leftovers };
            CutLifeline(swept: true);
            Check();
        });
        Receive<KillSession>(_ => Context.Stop(Self));
        Receive<Tick>(_ => Check());
    }

    /// <summary>Moves a terminate or a close on; polls /proc, since no event says "the last process of a session ended".</summary>
    private void Check()
    {
        if (_ending is not { } ending) return;
        var launch = _launch!;
        if (!ending.Killed)
        {
            var politeOver = DateTime.UtcNow >= ending.PoliteUntil;
            if (politeOver || (_hasExited && !ProcessReaper.Members(launch, _watcher).Any()))
            {
                KillAll(launch);
                ending.Killed = true;
                ending.Forced = politeOver;
                ending.GiveUpAt = DateTime.UtcNow + DeathTimeout;
            }
        }
        if (ending.Killed)
        {
            // Closing waits for the watcher too (it ends by itself once the lifeline is cut); a terminate leaves it to the close.
            var alive = ProcessReaper.Members(launch, ending.Closing ? 0 : _watcher).Any();
            if (_hasExited && !alive)
            {
                Finish(ending);
                return;
            }
            if (DateTime.UtcNow >= ending.GiveUpAt)
            {
                _log.Warning("processes of '{0}' are still alive {1} after SIGKILL", _command.Text, DeathTimeout);
                Finish(ending);
                return;
            }
            ProcessReaper.KillOrphans(launch, ending.Closing ? 0 : _watcher);
        }
        Timers.StartSingleTimer(Tick.Instance, Tick.Instance, PollInterval);
    }

    private void Finish(Ending ending)
    {
        _ending = null;
        if (!ending.Closing)
        {
            ending.ReplyTo.Tell(new SessionTerminated(ending.Forced));
            return;
        }
        _gone = true;
        var pidfd = _pidfd;
        var watch = _exitWatch;
        var leftovers = ending.Leftovers;
        ExitStatus().PipeTo(ending.ReplyTo, success: exit => new SessionClosed(leftovers, exit));
        Context.Stop(Self);

        async Task<ChildExit?> ExitStatus()
        {
            if (Libc.ReadPidFdExit(pidfd) is { } fromPidFd) return fromPidFd;
            if (watch is null) return null;
            try
            {
                // The child has exited, so the watcher is done or about to be.
                return await watch.WaitAsync(DeathTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
    }

    private void KillAll(ProcessLaunch launch)
    {
        Libc.KillGroup(launch.ProcessGroup, Libc.SigKill);
        ProcessReaper.KillOrphans(launch, except: 0);
    }

    /// <summary>Releases the watcher: with <paramref name="swept"/> it exits at once, else it kills what is left of the session first.</summary>
    private void CutLifeline(bool swept = false)
    {
        try
        {
            if (swept) _process?.StandardInput.Write("done\n");
            _process?.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already closed by the other end's death.
        }
        catch (ObjectDisposedException)
        {
            // Whoever owned the process disposed it, and its pipe with it; the watcher must not be left waiting.
            if (_watcher > 0) Libc.Kill(_watcher, Libc.SigKill);
        }
    }

    protected override void PostStop()
    {
        // Whatever went wrong on the way, nothing this session started may outlive it.
        if (!_gone && _launch is { } launch) KillAll(launch);
        else if (!_gone && _process is { HasExited: false } gate) Libc.Kill(gate.Id, Libc.SigKill);
        CutLifeline();
        _exited.TrySetResult();
        var pidfd = _pidfd;
        // The exit watcher may still be inside waitid on the pidfd: close it only once the watcher is done.
        if (_exitWatch is null) Libc.Close(pidfd);
        else _ = _exitWatch.ContinueWith(_ => Libc.Close(pidfd), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        // Once opened, the runner reads the output to its end and disposes the process.
        var process = _process;
        if (!_opened) _ = process?.WaitForExitAsync(CancellationToken.None).ContinueWith(_ => process.Dispose(), TaskScheduler.Default);
    }

    private ProcessStartInfo StartInfo()
    {
        var info = new ProcessStartInfo(_command.Setsid)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
            WorkingDirectory = _command.WorkingDirectory,
        };
        foreach (var argument in (string[])["/bin/sh", "-c", Lifeline.Script, Lifeline.ProgramName, .. _command.Argv]) info.ArgumentList.Add(argument);
        foreach (var (name, value) in _command.Environment) info.Environment[name] = value;
        return info;
    }

    private sealed record GateRead(string? Line, bool TimedOut) : INoSerializationVerificationNeeded;

    private sealed record GateDied(Exception Reason) : INoSerializationVerificationNeeded;

    private sealed record LaunchRecorded : INoSerializationVerificationNeeded
    {
        public static readonly LaunchRecorded Instance = new();
    }

    private sealed record RecordFailed(Exception Reason) : INoSerializationVerificationNeeded;

    private sealed record LifelineRead(string? Line) : INoSerializationVerificationNeeded;

    private sealed record ProcessExited : INoSerializationVerificationNeeded
    {
        public static readonly ProcessExited Instance = new();
    }

    private sealed record Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }
}

/// <summary>Reaps what recorded launches left (after a crash, or at the end of an attempt), then answers once none of it runs.</summary>
internal sealed class ReaperActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private readonly ReapLaunches _request;
    private readonly IActorRef _replyTo;
    private readonly DateTime _deadline;

    public ReaperActor(ReapLaunches request, IActorRef replyTo)
    {
        _request = request;
        _replyTo = replyTo;
        _deadline = DateTime.UtcNow + request.Patience;
        Receive<Tick>(_ => Reap());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Reap();

    private void Reap()
    {
        foreach (var launch in _request.Launches) ProcessReaper.KillOrphans(launch);
        var allGone = !_request.Launches.Any(ProcessReaper.IsAlive);
        if (allGone || DateTime.UtcNow >= _deadline)
        {
            _replyTo.Tell(new LaunchesReaped(allGone));
            Context.Stop(Self);
            return;
        }
        // The kernel gives no event for the death of a process that is not our child.
        Timers.StartSingleTimer(Tick.Instance, Tick.Instance, PollInterval);
    }

    private sealed record Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }
}
