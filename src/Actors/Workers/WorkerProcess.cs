using System.Globalization;
using Akka.Actor;
using Caiman.Actors.Hosting;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Workers;

/// <summary>What a worker process was started with (by the engine: `caiman worker --engine ... --worker-id ...`).</summary>
public sealed record WorkerProcessOptions(string EngineAddress, int WorkerId, string? CertificatePath);

/// <summary>
/// The body of a worker process: an actor system that joins the engine over Akka.Remote on
/// 127.0.0.1 (presenting the engine's certificate), a <see cref="WorkerActor"/> that runs the
/// attempts the engine sends, each reaching its run's DOC through the DOC's remote refs, and a
/// watch on the engine: when the engine is gone (its placement terminated, or this process's
/// parent changed) the worker ends, and its processes' lifelines end them. It holds nothing a
/// crash could lose.
/// </summary>
public static class WorkerProcess
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Runs the worker until the engine stops it or goes away; returns the process's exit code.</summary>
    public static async Task<int> RunAsync(WorkerProcessOptions options, ILoggerFactory loggers, CheckpointTypes? types = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var system = CaimanNode.Create(CaimanNode.WorkerSystemName, CaimanNode.Worker(options.CertificatePath), loggers);
        try
        {
            var worker = system.ActorOf(WorkerActor.Props(types ?? CheckpointTypes.BuiltIn()), WorkerActor.Name);
            var placement = await system.ActorSelection($"{options.EngineAddress}/user/{AttemptPlacement.Name}").ResolveOne(JoinTimeout).ConfigureAwait(false);
            system.ActorOf(Props.Create(() => new EngineWatch(placement, worker, options.WorkerId, ParentPid())), "engine-watch");
        }
        catch (Exception e) when (e is ActorNotFoundException or TimeoutException)
        {
            loggers.CreateLogger("Caiman.Worker").LogError("worker {Id}: cannot reach the engine at {Address}: {Reason}", options.WorkerId, options.EngineAddress, e.Message);
            await system.Terminate().ConfigureAwait(false);
            return 1;
        }
        await system.WhenTerminated.ConfigureAwait(false);
        return 0;
    }

    /// <summary>This process's parent (field 4 of /proc/self/stat); .NET has no getppid.</summary>
    internal static int ParentPid()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], CultureInfo.InvariantCulture);
    }

    /// <summary>Says the worker is ready, and ends the worker's actor system once the engine is gone.</summary>
    private sealed class EngineWatch : ReceiveActor, IWithTimers
    {
        private static readonly TimeSpan ParentCheck = TimeSpan.FromMilliseconds(250);

        public EngineWatch(IActorRef placement, IActorRef worker, int workerId, int parent)
        {
            Receive<Terminated>(_ => Context.System.Terminate());
            Receive<CheckParent>(_ =>
            {
                // The lifeline normally kills this process first; a changed parent says the engine died all the same.
                if (ParentPid() != parent) Context.System.Terminate();
            });
            Context.Watch(placement);
            placement.Tell(new WorkerReady(workerId, worker, Environment.ProcessId));
        }

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart() => Timers.StartPeriodicTimer(CheckParent.Instance, CheckParent.Instance, ParentCheck);

        private sealed record CheckParent : INoSerializationVerificationNeeded
        {
            public static readonly CheckParent Instance = new();
        }
    }
}
