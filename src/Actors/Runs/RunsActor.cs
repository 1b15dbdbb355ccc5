using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints.Pipelines;

namespace Caiman.Actors.Runs;

/// <summary>
/// The engine's one address for runs: forwards each command to the run it names, starting (and
/// so recovering) that run's actor on first use, and keeps the index of runs (persistence id
/// <c>runs</c>) that a restarted daemon reads to find the runs to go on with. It refuses, before
/// anything is read or written, a command naming something that cannot be a run id, and a new run
/// whose pipeline or pause points the engine would refuse, so the index holds only runs that were
/// started (a crash between the index's record and the run's first event leaves a run that never
/// started: the engine forgets it when it finds it). Single-node today; in a cluster this is where
/// sharding's region goes, behind the same messages.
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
        Recover<RunForgotten>(Forget);
        Command<StartRun>(Start);
        Command<ListRuns>(_ => Sender.Tell(new RunList([.. _runs])));
        Command<ForgetRun>(forget =>
        {
            if (!_known.Contains(forget.RunId)) return;
            Persist(new RunForgotten(forget.RunId, DateTimeOffset.UtcNow), Forget);
        });
        Command<IRunCommand>(command =>
        {
            if (RunIds.Problem(command.RunId) is { } problem) Sender.Tell(Refusals.For(command, new RunError.InvalidRunId(command.RunId, problem)));
            else RunFor(command.RunId).Forward(command);
        });
    }

    public override string PersistenceId => "runs";

    public static Props Props(EngineServices engine) => Akka.Actor.Props.Create(() => new RunsActor(engine));

    private void Start(StartRun start)
    {
        if (Refusal(start) is { } refused)
        {
            Sender.Tell(RunReply.Refused(refused));
            return;
        }
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
    }

    /// <summary>What the run would refuse anyway, checked before the run is recorded anywhere.</summary>
    private RunError? Refusal(StartRun start)
    {
        if (RunIds.Problem(start.RunId) is { } idProblem) return new RunError.InvalidRunId(start.RunId, idProblem);
        if (start.Pipeline is null) return new RunError.InvalidPipeline(start.RunId, ["no pipeline was given"]);
        var problems = PipelineValidator.Validate(start.Pipeline, _engine.Types);
        if (problems.Count > 0) return new RunError.InvalidPipeline(start.RunId, [.. problems.Select(p => p.ToString())]);
        var names = start.Pipeline.Checkpoints.Select(c => c.Name).ToImmutableArray();
        var pauses = start.PauseBefore.IsDefault ? [] : start.PauseBefore;
        return pauses.FirstOrDefault(p => !names.Contains(p)) is { } unknown
            ? new RunError.UnknownCheckpoint(start.RunId, unknown, names)
            : null;
    }

    private void Register(RunRegistered registered)
    {
        if (_known.Add(registered.RunId)) _runs.Add(registered.RunId);
    }

    private void Forget(RunForgotten forgotten)
    {
        if (_known.Remove(forgotten.RunId)) _runs.Remove(forgotten.RunId);
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

/// <summary>The refusal of a command, in the reply type its caller waits for.</summary>
internal static class Refusals
{
    public static object For(IRunCommand command, RunError error) => command switch
    {
        GetErrors => new ErrorsResult(command.RunId, [], error),
        GetDoc => new DocAddress(command.RunId, ActorRefs.Nobody, error),
        _ => RunReply.Refused(error),
    };
}
