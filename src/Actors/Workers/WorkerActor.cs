using System.Globalization;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;

namespace Caiman.Actors.Workers;

/// <summary>
/// A node's worker (<c>/user/caiman-worker</c>), in the engine's own process or in a worker
/// process: it runs the attempts it is sent, one child <see cref="AttemptActor"/> each, resolving
/// checkpoint types from its own registry. Abandoning an attempt stops its actor (code that
/// ignores its token keeps its thread: only a worker process can be killed for real). When an
/// attempt's actor is done the attempt's host hears whether the worker may be given another.
/// </summary>
internal sealed class WorkerActor : ReceiveActor
{
    public const string Name = "caiman-worker";

    private readonly CheckpointTypes _types;
    private readonly Dictionary<IActorRef, (AttemptSpec Spec, IActorRef Host)> _attempts = [];
    private bool _stopping;

    public WorkerActor(CheckpointTypes types)
    {
        _types = types;
        Receive<StartAttempt>(Start);
        Receive<AbandonAttempt>(Abandon);
        Receive<AttemptDone>(done => Done(Sender, done.Reusable));
        Receive<Terminated>(terminated =>
        {
            // An attempt's actor catches everything, so one that stops without being done was stopped from outside.
            if (_attempts.TryGetValue(terminated.ActorRef, out var entry))
                entry.Spec.Run.Tell(new AttemptLost(entry.Spec.Checkpoint, entry.Spec.Attempt, "the attempt's actor stopped unexpectedly"));
            Done(terminated.ActorRef, reusable: false);
        });
        Receive<StopWorker>(_ =>
        {
            _stopping = true;
            StopIfIdle();
        });
    }

    public static Props Props(CheckpointTypes types) => Akka.Actor.Props.Create(() => new WorkerActor(types));

    private void Start(StartAttempt start)
    {
        var spec = start.Spec;
        var name = string.Join('-', Uri.EscapeDataString(spec.RunId), Uri.EscapeDataString(spec.Checkpoint), spec.Attempt.ToString(CultureInfo.InvariantCulture));
        if (!Context.Child(name).IsNobody())
        {
            spec.Run.Tell(new AttemptRefused(spec.Checkpoint, spec.Attempt, $"attempt {spec.Attempt} of '{spec.Checkpoint}' already runs on this worker"));
            return;
        }
        var attempt = Context.ActorOf(AttemptActor.Props(spec, start.Host, _types), name);
        Context.Watch(attempt);
        _attempts[attempt] = (spec, start.Host);
    }

    private void Abandon(AbandonAttempt abandon)
    {
        var entry = _attempts.FirstOrDefault(a => a.Value.Spec.RunId == abandon.RunId && a.Value.Spec.Checkpoint == abandon.Checkpoint && a.Value.Spec.Attempt == abandon.Attempt);
        if (entry.Key is { } attempt)
        {
            Context.Unwatch(attempt);
            Context.Stop(attempt);
            Done(attempt, reusable: false);
        }
        Sender.Tell(new AttemptAbandoned(abandon.Checkpoint, abandon.Attempt));
    }

    private void Done(IActorRef attempt, bool reusable)
    {
        if (!_attempts.Remove(attempt, out var entry)) return;
        Context.Unwatch(attempt);
        // A worker process's handle in the engine decides whether it takes another attempt.
        if (!entry.Host.Equals(Self)) entry.Host.Tell(new AttemptEnded(entry.Spec.RunId, entry.Spec.Checkpoint, entry.Spec.Attempt, reusable));
        StopIfIdle();
    }

    private void StopIfIdle()
    {
        // Coordinated, so that remoting says goodbye to the engine instead of dropping the connection.
        if (_stopping && _attempts.Count == 0) CoordinatedShutdown.Get(Context.System).Run(StoppedByEngine.Instance);
    }

    /// <summary>Why a worker's actor system shuts down: its engine asked it to.</summary>
    private sealed class StoppedByEngine : CoordinatedShutdown.Reason
    {
        public static readonly StoppedByEngine Instance = new();

        public override int ExitCode => 0;
    }
}
