using System.Globalization;
using Akka.Actor;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints.Pipelines;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Workers;

/// <summary>
/// Where runs send their attempts (<c>/user/caiman-placement</c>): an attempt that runs in process
/// goes to the engine's own worker; one that runs isolated goes to a worker process of the pool,
/// one attempt at a time per worker. A worker serves one run: it is given that run's next attempt
/// when its last one ended by itself, and is stopped when idle, when it served an attempt that was
/// cancelled, timed out or abandoned (its code may have left work behind), or to make room for
/// another run's attempt. Attempts that find no free worker wait, in order. The pool holds nothing
/// a crash could lose: the runs' journals know their attempts, and worker processes die with the engine.
/// </summary>
internal sealed class AttemptPlacement : ReceiveActor
{
    public const string Name = "caiman-placement";

    private readonly WorkerLaunch? _launch;
    private readonly WorkerSettings _settings;
    private readonly IActorRef _localWorker;
    private readonly ILogger _log;
    private readonly Dictionary<int, PooledWorker> _workers = [];
    private readonly LinkedList<StartAttempt> _waiting = new();
    private int _nextId;

    public AttemptPlacement(WorkerSettings settings, WorkerLaunch? launch, IActorRef localWorker, ILoggerFactory loggers)
    {
        _settings = settings;
        _launch = launch;
        _localWorker = localWorker;
        _log = loggers.CreateLogger("Caiman.Workers");
        Receive<StartAttempt>(Place);
        Receive<AbandonAttempt>(Abandon);
        Receive<WorkerReady>(ready => Context.Child(ProxyName(ready.WorkerId)).Forward(ready));
        Receive<WorkerIdle>(OnIdle);
        Receive<Terminated>(OnWorkerGone);
        Receive<StopWorkers>(_ =>
        {
            // A shutdown: workers exit on their own terms, so their connections close without alarm.
            _stoppedBy.Add(Sender);
            foreach (var worker in _workers.Values.Where(w => !w.Retiring)) Retire(worker);
            ReplyIfStopped();
        });
    }

    private readonly List<IActorRef> _stoppedBy = [];

    private void ReplyIfStopped()
    {
        if (_stoppedBy.Count == 0 || _workers.Count > 0) return;
        foreach (var waiting in _stoppedBy) waiting.Tell(Akka.Done.Instance);
        _stoppedBy.Clear();
    }

    public static Props Props(WorkerSettings settings, WorkerLaunch? launch, IActorRef localWorker, ILoggerFactory loggers) =>
        Akka.Actor.Props.Create(() => new AttemptPlacement(settings, launch, localWorker, loggers));

    private sealed class PooledWorker(int id, IActorRef proxy, string runId)
    {
        public int Id { get; } = id;
        public IActorRef Proxy { get; } = proxy;
        public string RunId { get; } = runId;
        public StartAttempt? Attempt { get; set; }
        public bool Retiring { get; set; }
        public bool Idle => Attempt is null && !Retiring;
    }

    private void Place(StartAttempt start)
    {
        var spec = start.Spec;
        if (spec.Isolation == CheckpointIsolation.InProcess)
        {
            _localWorker.Tell(new StartAttempt(spec, _localWorker));
            return;
        }
        if (_launch is null)
        {
            spec.Run.Tell(new AttemptRefused(spec.Checkpoint, spec.Attempt,
                "isolation = process needs worker processes, and this engine has none: it needs remoting and a worker command (caiman.engine.workers.command), which `caiman` sets up itself"));
            return;
        }
        _waiting.AddLast(start);
        Dispatch();
    }

    /// <summary>Gives waiting attempts to free workers of their run, new workers while there is room, and makes room from idle workers of other runs.</summary>
    private void Dispatch()
    {
        // Slots that retiring workers are about to free are already promised to waiting attempts.
        var promised = _workers.Values.Count(w => w.Retiring);
        var node = _waiting.First;
        while (node is not null)
        {
            var next = node.Next;
            var start = node.Value;
            var idle = _workers.Values.FirstOrDefault(w => w.Idle && w.RunId == start.Spec.RunId);
            if (idle is not null)
            {
                Assign(idle, start);
                _waiting.Remove(node);
            }
            else if (_workers.Count < _settings.Max)
            {
                var worker = StartWorker(start.Spec.RunId);
                Assign(worker, start);
                _waiting.Remove(node);
            }
            else if (promised > 0)
            {
                promised--;
            }
            else if (_workers.Values.FirstOrDefault(w => w.Idle) is { } other)
            {
                // Full, but a worker of another run has nothing to do: it goes, and this attempt takes its place.
                Retire(other);
            }
            node = next;
        }
    }

    private PooledWorker StartWorker(string runId)
    {
        var id = ++_nextId;
        var proxy = Context.ActorOf(WorkerProcessActor.Props(id, runId, _launch!, _settings, _log), ProxyName(id));
        Context.Watch(proxy);
        var worker = new PooledWorker(id, proxy, runId);
        _workers[id] = worker;
        return worker;
    }

    private static void Assign(PooledWorker worker, StartAttempt start)
    {
        worker.Attempt = start;
        worker.Proxy.Tell(new AssignAttempt(start.Spec));
    }

    private static void Retire(PooledWorker worker)
    {
        worker.Retiring = true;
        worker.Proxy.Tell(StopWorker.Instance);
    }

    private void OnIdle(WorkerIdle idle)
    {
        if (!_workers.TryGetValue(idle.WorkerId, out var worker)) return;
        worker.Attempt = null;
        Dispatch();
    }

    private void OnWorkerGone(Terminated terminated)
    {
        var worker = _workers.Values.FirstOrDefault(w => w.Proxy.Equals(terminated.ActorRef));
        if (worker is null) return;
        _workers.Remove(worker.Id);
        if (_stoppedBy.Count > 0) ReplyIfStopped();
        else Dispatch();
    }

    private void Abandon(AbandonAttempt abandon)
    {
        static bool Is(StartAttempt start, AbandonAttempt abandon) =>
            start.Spec.RunId == abandon.RunId && start.Spec.Checkpoint == abandon.Checkpoint && start.Spec.Attempt == abandon.Attempt;
        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            if (!Is(node.Value, abandon)) continue;
            _waiting.Remove(node);
            Sender.Tell(new AttemptAbandoned(abandon.Checkpoint, abandon.Attempt));
            return;
        }
        if (_workers.Values.FirstOrDefault(w => w.Attempt is { } start && Is(start, abandon)) is { } worker)
        {
            worker.Proxy.Forward(abandon);
            return;
        }
        // Neither waiting nor given to a worker: already gone.
        Sender.Tell(new AttemptAbandoned(abandon.Checkpoint, abandon.Attempt));
    }

    private static string ProxyName(int id) => "worker-" + id.ToString(CultureInfo.InvariantCulture);

    // A worker process's handle that fails is stopped; its PostStop kills the process.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);
}

/// <summary>How the engine starts its worker processes: the command, the engine's address, and the certificate they must present.</summary>
internal sealed record WorkerLaunch(IReadOnlyList<string> Command, string EngineAddress, string? CertificatePath, string DataDirectory);

/// <summary>Stops every worker process, each once its attempt is done; replies <see cref="Akka.Done"/> once none is left. Local only.</summary>
internal sealed record StopWorkers : INoSerializationVerificationNeeded
{
    public static readonly StopWorkers Instance = new();
}

/// <summary>The placement gives a worker process's handle an attempt; local only.</summary>
internal sealed record AssignAttempt(AttemptSpec Spec) : INoSerializationVerificationNeeded;

/// <summary>A worker process's handle tells the placement its worker is free for its run's next attempt; local only.</summary>
internal sealed record WorkerIdle(int WorkerId) : INoSerializationVerificationNeeded;
