using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;

using static Caiman.Doc.Actors.DocRouting;

namespace Caiman.Doc.Actors;

/// <summary>
/// A run's DOC: parent of its subtree actors and the one address callers send to. It keeps
/// (persisted) which subtrees exist under <c>/persistent</c> and in which order, forwards each
/// request that stays inside one subtree straight to it, and coordinates the few that span
/// subtrees: creating and deleting subtrees, queries over several, and reverting a writer everywhere.
/// </summary>
internal sealed partial class DocActor : ReceivePersistentActor
{
    private readonly string _runId;
    private readonly DocSettings _settings;
    private readonly HashSet<Writer> _fenced = [];
    private readonly Dictionary<string, List<string>> _mounts = new()
    {
        [DocNames.Persistent] = [],
        [DocNames.Volatile] = [],
    };

    public DocActor(string runId, DocSettings settings)
    {
        _runId = runId;
        _settings = settings;
        PersistenceId = $"doc-{runId}-/";

        Recover<SubtreeRegistered>(Register);
        Recover<RecoveryCompleted>(_ =>
        {
            // Recover every persistent subtree now, so a restarted DOC is whole before it answers.
            foreach (var name in _mounts[DocNames.Persistent]) Subtree(DocNames.Persistent, name);
        });

        Command<Mutate>(command =>
        {
            if (_fenced.Contains(command.Writer)) Sender.Tell(MutationResult.Failed(new DocError.WriterFenced(command.Writer)));
            else Route(command);
        });
        Command<FenceWriters>(Fence);
        Command<LocateSubtree>(locate => Sender.Tell(new SubtreeLocated(locate.Root, locate.Name,
            IsRegistered(locate.Root, locate.Name) ? Subtree(locate.Root, locate.Name) : null)));
        Command<FindWrites>(FindWrites);
        Command<Blame>(Blame);
        Command<Find>(Route);
        Command<RevertWriters>(Revert);
        Command<MountChecked>(Mount);
    }

    public override string PersistenceId { get; }

    public static Props Props(string runId, DocSettings settings) => Akka.Actor.Props.Create(() => new DocActor(runId, settings));

    /// <summary>
    /// Clients write to subtrees directly, so the fence must hold there: every running subtree
    /// applies it before the reply, and one started later gets the set in its props.
    /// </summary>
    private void Fence(FenceWriters command)
    {
        _fenced.UnionWith(command.Writers);
        var timeout = _settings.AskTimeout;
        var applied = Context.GetChildren().Select(child => child.Ask<WritersFenced>(command, timeout)).ToList();
        Task.WhenAll(applied)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? new WritersFenced(command.Writers)
                : (object)new Status.Failure(t.Exception?.GetBaseException() ?? new TaskCanceledException()), TaskScheduler.Default)
            .PipeTo(Sender);
    }

    private void Blame(Blame query)
    {
        var timeout = _settings.AskTimeout;
        var asks = query.Nodes
            .Select(id => Locate(new NodeTarget.ById(id)))
            .OfType<Place.InSubtree>()
            .Distinct()
            .Where(s => IsRegistered(s.Root, s.Name))
            .Select(s => Subtree(s.Root, s.Name).Ask<BlameResult>(query, timeout))
            .ToList();
        var order = query.Nodes.Select((id, i) => (id, i)).GroupBy(p => p.id).ToDictionary(g => g.Key, g => g.First().i);
        Task.WhenAll(asks)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? new BlameResult([.. t.Result.SelectMany(r => r.Nodes).OrderBy(n => order[n.Node])])
                : (object)new Status.Failure(t.Exception?.GetBaseException() ?? new TaskCanceledException()), TaskScheduler.Default)
            .PipeTo(Sender);
    }

    private void FindWrites(FindWrites query)
    {
        var subtrees = AllSubtrees();
        var timeout = _settings.AskTimeout;
        Task.WhenAll(subtrees.Select(s => s.Actor.Ask<WritesResult>(query, timeout)))
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? new WritesResult([.. t.Result.SelectMany(r => r.Nodes)])
                : (object)new Status.Failure(t.Exception?.GetBaseException() ?? new TaskCanceledException()), TaskScheduler.Default)
            .PipeTo(Sender);
    }

    private void Register(SubtreeRegistered e)
    {
        var names = _mounts[e.Root];
        names.Remove(e.Name);
        names.Insert(Math.Clamp(e.Index, 0, names.Count), e.Name);
    }

    /// <summary>The child actor of a subtree, started on first use.</summary>
    private IActorRef Subtree(string root, string name)
    {
        var actorName = Uri.EscapeDataString(root + "/" + name);
        var child = Context.Child(actorName);
        if (!child.IsNobody()) return child;
        var fenced = _fenced.ToImmutableHashSet();
        var props = root == DocNames.Persistent
            ? PersistentSubtreeActor.Props(_runId, root, name, _settings, fenced)
            : VolatileSubtreeActor.Props(root, name, fenced);
        return Context.ActorOf(props, actorName);
    }

    private bool IsRegistered(string root, string name) => _mounts.TryGetValue(root, out var names) && names.Contains(name);

    /// <summary>Every subtree in DOC order: persistent ones first, each root in its own order.</summary>
    private ImmutableArray<SubtreeRef> AllSubtrees(string? root = null) =>
    [
        .. _mounts.Where(m => root is null || m.Key == root)
            .OrderBy(m => m.Key == DocNames.Persistent ? 0 : 1)
            .SelectMany(m => m.Value.Select(name => new SubtreeRef(m.Key, name, Subtree(m.Key, name)))),
    ];

    private sealed record SubtreeRef(string Root, string Name, IActorRef Actor);

    /// <summary>Sent to self when the subtrees a mount would create have been checked; local only.</summary>
    private sealed record MountChecked(IActorRef ReplyTo, Mutate Command, string Root, DocError? Error) : INoSerializationVerificationNeeded;
}
