using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Caiman.Actors.Protocol;

namespace Caiman.Actors.Runs;

/// <summary>
/// The engine's one address for runs: forwards each command to the run it names, starting (and
/// so recovering) that run's actor on first use, and keeps the index of runs (persistence id
/// <c>runs</c>) that a restarted daemon reads to find the runs to go on with. Single-node today;
/// in a cluster this is where sharding's region goes, behind the same messages.
/// </summary>
internal sealed class RunsActor : ReceivePersistentActor
{
    private readonly EngineServices _engine;
    private readonly List<string> _runs = [];
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public RunsActor(EngineServices engine)
    {
        _engine = engine;
        Recover<RunRegistered>(Register);
        Command<StartRun>(start =>
        {
            if (_known.Contains(start.RunId))
            {
                RunFor(start.RunId).Forward(start);
                return;
            }
            var sender = Sender;
            Persist(new RunRegistered(start.RunId, DateTimeOffset.UtcNow), registered =>
            {
                Register(registered);
                RunFor(start.RunId).Tell(start, sender);
            });
        });
        Command<ListRuns>(_ => Sender.Tell(new RunList([.. _runs])));
        Command<IRunCommand>(command => RunFor(command.RunId).Forward(command));
    }

    public override string PersistenceId => "runs";

    public static Props Props(EngineServices engine) => Akka.Actor.Props.Create(() => new RunsActor(engine));

    private void Register(RunRegistered registered)
    {
        if (_known.Add(registered.RunId)) _runs.Add(registered.RunId);
    }

    private IActorRef RunFor(string runId)
    {
        var name = "run-" + Uri.EscapeDataString(runId);
        var child = Context.Child(name);
        return child.IsNobody() ? Context.ActorOf(RunActor.Props(runId, _engine), name) : child;
    }

    // A run actor that fails (its journal failed) is stopped; the next command recovers it afresh.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);
}
