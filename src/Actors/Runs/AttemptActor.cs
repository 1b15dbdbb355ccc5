using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Runs;

/// <summary>What one attempt needs to know; built by its run.</summary>
internal sealed record AttemptPlan(
    string RunId,
    CheckpointDefinition Definition,
    int Attempt,
    bool DryRun,
    string BaseDirectory,
    IActorRef Doc,
    EngineSettings Settings);

/// <summary>
/// One attempt of one checkpoint, a child of its run. It runs the checkpoint's code on the
/// attempt dispatcher (dedicated threads: checkpoint code may block), turns its progress, errors
/// and process launches into messages to the run, fires the token when told to cancel, and
/// reports how the code ended. The run decides everything else; it stops this actor when done,
/// or abandons it if the code ignores its token.
/// </summary>
internal sealed class AttemptActor : ReceiveActor
{
    private readonly AttemptPlan _plan;
    private readonly CheckpointTypes _types;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cancel = new();

    public AttemptActor(AttemptPlan plan, CheckpointTypes types, ILogger logger)
    {
        _plan = plan;
        _types = types;
        _logger = logger;
        Receive<CancelAttempt>(_ => _cancel.Cancel());
    }

    public static Props Props(AttemptPlan plan, CheckpointTypes types, ILogger logger) =>
        Akka.Actor.Props.Create(() => new AttemptActor(plan, types, logger)).WithDispatcher(EngineSettings.AttemptDispatcher);

    protected override void PreStart()
    {
        var run = Context.Parent;
        var writer = new Writer(_plan.RunId, _plan.Definition.Name, _plan.Attempt);
        var errors = new ErrorForwarder(run, writer);
        var context = new CheckpointContext
        {
            Writer = writer,
            Doc = new DocClient(_plan.Doc, writer, _plan.Settings.AskTimeout),
            Args = _plan.Definition.Args,
            DryRun = _plan.DryRun,
            Logger = _logger,
            Progress = new ProgressForwarder(run, writer),
            Errors = errors,
            BaseDirectory = _plan.BaseDirectory,
            Launches = new LaunchRecorder(run, writer, _plan.Settings.AskTimeout),
            ProcessHost = ProcessHost.For(Context.System),
            KillGracePeriod = _plan.Settings.ProcessKillGracePeriod,
        };
        // Started on the attempt dispatcher's own scheduler: the code's continuations stay there too.
        var scheduler = new DispatcherTaskScheduler(Context.Dispatcher);
        var token = _cancel.Token;
        Task.Factory.StartNew(() => ExecuteAsync(context, token), CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler)
            .Unwrap()
            .PipeTo(run, Self);
    }

    protected override void PostStop() => _cancel.Dispose();

    private async Task<AttemptFinished> ExecuteAsync(CheckpointContext context, CancellationToken token)
    {
        var name = _plan.Definition.Name;
        try
        {
            if (!_types.TryGet(_plan.Definition.Type, out var type))
                throw new InvalidOperationException($"checkpoint type '{_plan.Definition.Type}' is not known to this engine (known: {string.Join(", ", _types.Names)})");
            var checkpoint = type.Create(_plan.Definition.Args);
            await checkpoint.ExecuteAsync(context, token).ConfigureAwait(true);
            return new AttemptFinished(name, _plan.Attempt, AttemptOutcome.Completed, null);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return new AttemptFinished(name, _plan.Attempt, AttemptOutcome.Cancelled, null);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "attempt {Attempt} failed: {Message}", _plan.Attempt, e.Message);
            return new AttemptFinished(name, _plan.Attempt, AttemptOutcome.Failed, CheckpointError.From(name, _plan.Attempt, e));
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

/// <summary>Runs tasks on an Akka dispatcher, so awaited checkpoint code stays on its threads.</summary>
internal sealed class DispatcherTaskScheduler(Akka.Dispatch.MessageDispatcher dispatcher) : TaskScheduler
{
    protected override void QueueTask(Task task) => dispatcher.Schedule(() => TryExecuteTask(task));

    // Inline only when already on this scheduler's work: keeps blocking code off other threads.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Current == this && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => [];
}
