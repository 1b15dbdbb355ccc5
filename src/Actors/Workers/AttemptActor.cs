using System.Collections.Immutable;
using Akka.Actor;
using Caiman.Actors.Logging;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Workers;

/// <summary>
/// One attempt of one checkpoint, a child of the worker that runs it (in the engine's process or
/// in a worker process: it cannot tell). It tells its run it runs, resolves the checkpoint's type
/// from the worker's own registry, runs the code on the attempt dispatcher (dedicated threads:
/// checkpoint code may block), turns its progress, errors, log lines and process launches into
/// messages to the run and its log, fires the token when told to cancel (or at its deadline),
/// reports how the code ended, and stops. If its run goes away it cancels and stops at once.
/// </summary>
internal sealed class AttemptActor : ReceiveActor, IWithTimers
{
    private readonly AttemptSpec _spec;
    private readonly IActorRef _host;
    private readonly CheckpointTypes _types;
    private readonly CancellationTokenSource _cancel = new();
    private readonly ILogger _logger;
    private bool _cancelled;

    public AttemptActor(AttemptSpec spec, IActorRef host, CheckpointTypes types)
    {
        _spec = spec;
        _host = host;
        _types = types;
        _logger = new RunLogger(spec.Log, spec.Checkpoint, spec.Attempt, spec.Definition.LogLevel);
        Receive<CancelAttempt>(_ => Cancel());
        Receive<AttemptFinished>(finished =>
        {
            _spec.Run.Tell(finished);
            Context.Parent.Tell(new AttemptDone(_spec, Reusable: !_cancelled));
            Context.Stop(Self);
        });
        Receive<Terminated>(_ =>
        {
            // The run is gone (its engine stopped, or its actor failed): nobody will record this attempt.
            Cancel();
            Context.Parent.Tell(new AttemptDone(_spec, Reusable: false));
            Context.Stop(Self);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AttemptSpec spec, IActorRef host, CheckpointTypes types) =>
        Akka.Actor.Props.Create(() => new AttemptActor(spec, host, types)).WithDispatcher(EngineSettings.AttemptDispatcher);

    private void Cancel()
    {
        _cancelled = true;
        _cancel.Cancel();
    }

    protected override void PreStart()
    {
        var run = _spec.Run;
        Context.Watch(run);
        run.Tell(new AttemptAccepted(_spec.Checkpoint, _spec.Attempt, Self, _host, ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString()));
        // The run times the attempt out; this is the worker's own guard should the run's message not come.
        if (_spec.Timeout is { } timeout) Timers.StartSingleTimer("deadline", new CancelAttempt(StopReason.Timeout), timeout);
        var writer = _spec.Writer;
        var context = new CheckpointContext
        {
            Writer = writer,
            Doc = new DocClient(_spec.Doc, writer, _spec.AskTimeout),
            Args = _spec.Definition.Args,
            DryRun = _spec.DryRun,
            Logger = _logger,
            Progress = new ProgressForwarder(run, writer),
            Errors = new ErrorForwarder(run, writer),
            BaseDirectory = _spec.BaseDirectory,
            Launches = new LaunchRecorder(run, writer, _spec.AskTimeout),
            ProcessHost = ProcessHost.For(Context.System),
            KillGracePeriod = _spec.KillGracePeriod,
        };
        // Started on the attempt dispatcher's own scheduler: the code's continuations stay there too.
        var scheduler = new DispatcherTaskScheduler(Context.Dispatcher);
        var token = _cancel.Token;
        Task.Factory.StartNew(() => ExecuteAsync(context, token), CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler)
            .Unwrap()
            .PipeTo(Self);
    }

    protected override void PostStop() => _cancel.Dispose();

    private async Task<AttemptFinished> ExecuteAsync(CheckpointContext context, CancellationToken token)
    {
        var name = _spec.Checkpoint;
        try
        {
            if (!_types.TryGet(_spec.Definition.Type, out var type))
                throw new InvalidOperationException($"checkpoint type '{_spec.Definition.Type}' is not known to this worker (known: {string.Join(", ", _types.Names)})");
            var checkpoint = type.Create(_spec.Definition.Args);
            await checkpoint.ExecuteAsync(context, token).ConfigureAwait(true);
            return new AttemptFinished(name, _spec.Attempt, AttemptOutcome.Completed, null);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return new AttemptFinished(name, _spec.Attempt, AttemptOutcome.Cancelled, null);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "attempt {Attempt} failed: {Message}", _spec.Attempt, e.Message);
            return new AttemptFinished(name, _spec.Attempt, AttemptOutcome.Failed, CheckpointError.From(name, _spec.Attempt, e));
        }
    }

    private sealed class ProgressForwarder(IActorRef run, Writer writer) : IProgressReporter
    {
        public void Report(double percent, string? message = null) =>
            run.Tell(new AttemptProgressed(writer.Checkpoint, writer.Attempt, Math.Clamp(double.IsNaN(percent) ? 0 : percent, 0, 100), message));
    }

    private sealed class ErrorForwarder(IActorRef run, Writer writer) : IErrorReporter
    {
        public void Report(CheckpointErrorKind kind, string message, Exception? exception = null, IReadOnlyDictionary<string, string>? data = null) =>
            run.Tell(new AttemptErrorReported(new CheckpointError(
                writer.Checkpoint, writer.Attempt, kind, exception?.GetType().FullName, message,
                data is null ? ImmutableSortedDictionary<string, string>.Empty : data.ToImmutableSortedDictionary(StringComparer.Ordinal),
                DateTimeOffset.UtcNow)));
    }

    private sealed class LaunchRecorder(IActorRef run, Writer writer, TimeSpan timeout) : IProcessLaunchRecorder
    {
        public async Task RecordAsync(ProcessLaunch launch) =>
            await run.Ask<ProcessLaunchRecorded>(new RecordProcessLaunch(writer.Checkpoint, writer.Attempt, launch), timeout).ConfigureAwait(false);
    }
}

/// <summary>An attempt's actor tells its worker it is done: whether the worker may be given another attempt; local only.</summary>
internal sealed record AttemptDone(AttemptSpec Spec, bool Reusable) : INoSerializationVerificationNeeded;

/// <summary>Runs tasks on an Akka dispatcher, so awaited checkpoint code stays on its threads.</summary>
internal sealed class DispatcherTaskScheduler(Akka.Dispatch.MessageDispatcher dispatcher) : TaskScheduler
{
    protected override void QueueTask(Task task) => dispatcher.Schedule(() => TryExecuteTask(task));

    // Inline only when already on this scheduler's work: keeps blocking code off other threads.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Current == this && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => [];
}
