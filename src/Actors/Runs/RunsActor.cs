using Akka.Actor;
using Caiman.Actors.Protocol;

namespace Caiman.Actors.Runs;

/// <summary>
/// The engine's one address for runs: forwards each command to the run it names, starting (and
/// so recovering) that run's actor on first use. Single-node today; in a cluster this is where
/// sharding's region goes, behind the same messages.
/// </summary>
internal sealed class RunsActor : ReceiveActor
{
    private readonly EngineServices _engine;

    public RunsActor(EngineServices engine)
    {
        _engine = engine;
        Receive<IRunCommand>(command => RunFor(command.RunId).Forward(command));
    }

    public static Props Props(EngineServices engine) => Akka.Actor.Props.Create(() => new RunsActor(engine));

    private IActorRef RunFor(string runId)
    {
        var name = "run-" + Uri.EscapeDataString(runId);
        var child = Context.Child(name);
        return child.IsNobody() ? Context.ActorOf(RunActor.Props(runId, _engine), name) : child;
    }

    // A run actor that fails (its journal failed) is stopped; the next command recovers it afresh.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);
}
