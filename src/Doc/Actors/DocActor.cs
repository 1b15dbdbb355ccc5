using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;

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
        Command<FenceWriters>(command =>
        {
            _fenced.UnionWith(command.Writers);
            Sender.Tell(new WritersFenced(command.Writers));
        });
        Command<FindWrites>(FindWrites);
        Command<Blame>(Blame);
        Command<Find>(Route);
        Command<RevertWriters>(Revert);
        Command<MountChecked>(Mount);
    }

    public override string PersistenceId { get; }

    public static Props Props(string runId, DocSettings settings) => Akka.Actor.Props.Create(() => new DocActor(runId, settings));

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
        var props = root == DocNames.Persistent
            ? PersistentSubtreeActor.Props(_runId, root, name, _settings)
            : VolatileSubtreeActor.Props(root, name);
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

    // ---- Where a target lives -------------------------------------------------------------------

    private abstract record Place
    {
        public sealed record InSubtree(string Root, string Name) : Place;
        public sealed record FixedRoot(string Root) : Place;
        public sealed record DocRoot : Place;
        /// <summary>A path that must be evaluated to know where it points.</summary>
        public sealed record Unknown(DocPath Path) : Place;
        public sealed record Invalid(DocError Error) : Place;
    }

    private static Place Locate(NodeTarget target)
    {
        switch (target)
        {
            case NodeTarget.ById { Id: var id }:
                if (id == NodeId.Root) return new Place.DocRoot();
                var slash = id.Subtree.IndexOf('/');
                if (slash < 0) return IsRoot(id.Subtree) && id.Serial == 0 ? new Place.FixedRoot(id.Subtree) : new Place.Invalid(new DocError.PathNotFound(id.ToString()));
                var root = id.Subtree[..slash];
                return IsRoot(root) ? new Place.InSubtree(root, id.Subtree[(slash + 1)..]) : new Place.Invalid(new DocError.PathNotFound(id.ToString()));
            case NodeTarget.ByPath { Path: var text }:
                if (NamedSubtree(text) is { } named) return named;
                if (!DocPathParser.TryParse(text, out var path, out var syntax))
                    return new Place.Invalid(new DocError.InvalidPath(syntax.Path, syntax.Position, syntax.Reason));
                return Locate(path);
            default:
                return new Place.Invalid(new DocError.InvalidOperation(target.ToString() ?? "", "unknown target"));
        }
    }

    /// <summary>Paths of the form <c>/persistent/name...</c> stay in one subtree; <c>/persistent</c> is a fixed root.</summary>
    private static Place Locate(DocPath path)
    {
        var steps = path.Segments;
        if (steps.Length == 0) return new Place.DocRoot();
        var first = steps[0];
        var fixedRoot = first.Axis == PathAxis.Child && first.Name is { } r && IsRoot(r) && first.Kind is null or DocNames.RootKind;
        if (!fixedRoot) return new Place.Unknown(path);
        if (steps.Length == 1) return path.Property is null ? new Place.FixedRoot(first.Name!) : new Place.Unknown(path);
        var second = steps[1];
        return second.Axis == PathAxis.Child && second.Name is { } name ? new Place.InSubtree(first.Name!, name) : new Place.Unknown(path);
    }

    /// <summary>
    /// The subtree a path like <c>/persistent/name/...</c> names, read from its first two steps
    /// without parsing the rest: the subtree parses it (and reports any fault) anyway.
    /// </summary>
    private static Place.InSubtree? NamedSubtree(string text)
    {
        var root = text.StartsWith("/persistent/", StringComparison.Ordinal) ? DocNames.Persistent
            : text.StartsWith("/volatile/", StringComparison.Ordinal) ? DocNames.Volatile
            : null;
        if (root is null) return null;
        var start = root.Length + 2;
        var end = text.AsSpan(start).IndexOfAny("/[.");
        var encoded = end < 0 ? text[start..] : text.Substring(start, end);
        if (encoded.Length == 0) return null;
        if (!encoded.Contains('%')) return new Place.InSubtree(root, encoded);
        try
        {
            return new Place.InSubtree(root, DocPathParser.DecodeName(encoded));
        }
        catch (DocPathException)
        {
            return null; // let the full parse report where the fault is
        }
    }

    private static bool IsRoot(string name) => name is DocNames.Persistent or DocNames.Volatile;

    private sealed record SubtreeRef(string Root, string Name, IActorRef Actor);

    /// <summary>Sent to self when the subtrees a mount would create have been checked; local only.</summary>
    private sealed record MountChecked(IActorRef ReplyTo, Mutate Command, string Root, DocError? Error) : INoSerializationVerificationNeeded;
}
