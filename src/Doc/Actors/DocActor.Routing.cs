using System.Collections.Immutable;
using Akka.Actor;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;

using static Caiman.Doc.Actors.DocRouting;

namespace Caiman.Doc.Actors;

internal sealed partial class DocActor
{
    private void Route(Mutate command)
    {
        if (command.Mutations.IsDefaultOrEmpty)
        {
            Sender.Tell(new MutationResult([], null));
            return;
        }
        // Routing runs for every change: a loop, not LINQ (most batches hold one mutation).
        var places = new List<Place>(command.Mutations.Length);
        foreach (var mutation in command.Mutations)
        {
            var place = Locate(mutation.Target);
            if (place is Place.Invalid invalid)
            {
                Sender.Tell(MutationResult.Failed(invalid.Error));
                return;
            }
            places.Add(place);
        }
        if (places.Any(p => p is Place.Unknown))
        {
            ResolveTargets(command, places);
            return;
        }
        if (places.Any(p => p is Place.DocRoot))
        {
            Sender.Tell(MutationResult.Failed(new DocError.InvalidOperation("/", "the DOC root holds only /persistent and /volatile and cannot be changed")));
            return;
        }
        var distinct = places.Count == 1 ? places : places.Distinct().ToList();
        if (distinct.Count > 1)
        {
            Sender.Tell(MutationResult.Failed(new DocError.InvalidOperation(command.Mutations[0].Target.ToString() ?? "",
                $"a batch is atomic only within one subtree, and this one touches {distinct.Count}: {string.Join(", ", distinct.Select(Describe))}")));
            return;
        }
        switch (distinct[0])
        {
            case Place.InSubtree s when IsRegistered(s.Root, s.Name):
                Subtree(s.Root, s.Name).Forward(command);
                break;
            case Place.InSubtree:
                Sender.Tell(MutationResult.Failed(new DocError.PathNotFound(command.Mutations[0].Target.ToString() ?? "")));
                break;
            case Place.FixedRoot f:
                ChangeFixedRoot(command, f.Root);
                break;
        }
    }

    private static string Describe(Place place) => place switch
    {
        Place.InSubtree s => $"/{s.Root}/{DocPathParser.EncodeName(s.Name)}",
        Place.FixedRoot f => $"/{f.Root}",
        _ => place.ToString(),
    };

    /// <summary>Paths that do not name their subtree (<c>//[@Disk]</c>) are evaluated first; each must match one node, which is then addressed by id.</summary>
    private void ResolveTargets(Mutate command, List<Place> places)
    {
        var sender = Sender;
        var subtrees = AllSubtrees();
        var timeout = _settings.AskTimeout;
        var self = Self;
        _ = Task.Run(async () =>
        {
            var mutations = command.Mutations.ToBuilder();
            for (var i = 0; i < places.Count; i++)
            {
                if (places[i] is not Place.Unknown unknown) continue;
                var found = await EvaluateAcross(unknown.Path, QueryShape.Node, subtrees, timeout);
                var text = unknown.Path.Text;
                var error = found.Error ?? (unknown.Path.Property, found.Nodes.Length) switch
                {
                    (not null, _) => new DocError.InvalidPath(text, text.LastIndexOf('.'), "a change must address a node, not a property"),
                    (_, 0) => new DocError.PathNotFound(text),
                    (_, > 1) => new DocError.AmbiguousPath(text, found.Nodes.Length),
                    _ => (DocError?)null,
                };
                if (error is not null)
                {
                    sender.Tell(MutationResult.Failed(error));
                    return;
                }
                mutations[i] = mutations[i] with { Target = new NodeTarget.ById(found.Nodes[0].Id) };
            }
            self.Tell(command with { Mutations = mutations.ToImmutable() }, sender);
        });
    }

    // ---- Changes to /persistent and /volatile themselves: creating and deleting subtrees ----------

    private void ChangeFixedRoot(Mutate command, string root)
    {
        var path = "/" + root;
        if (command.Mutations.Length != 1)
        {
            Sender.Tell(MutationResult.Failed(new DocError.InvalidOperation(path, "changes to a fixed root go one per batch (each subtree is its own unit)")));
            return;
        }
        switch (command.Mutations[0])
        {
            case Mutation.InsertChildren insert:
                CheckMount(command, insert, root);
                break;
            case Mutation.DeleteChildren delete:
                DeleteSubtrees(command.Writer, delete, root);
                break;
            case Mutation.DeleteNode:
                Sender.Tell(MutationResult.Failed(new DocError.InvalidOperation(path, "the fixed roots cannot be deleted")));
                break;
            default:
                Sender.Tell(MutationResult.Failed(new DocError.InvalidOperation(path, "the fixed roots have no properties")));
                break;
        }
    }

    /// <summary>
    /// Validates new subtrees in full before anything is created, so a bad one among several
    /// leaves the DOC as it was; then asks the subtrees whether the names are free.
    /// </summary>
    private void CheckMount(Mutate command, Mutation.InsertChildren insert, string root)
    {
        var path = "/" + root;
        foreach (var node in insert.Nodes)
            if (SubtreeState.NewNodeProblem(path, node) is { } problem)
            {
                Sender.Tell(MutationResult.Failed(problem));
                return;
            }
        var duplicate = insert.Nodes.GroupBy(n => n.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            Sender.Tell(MutationResult.Failed(new DocError.InvalidName(duplicate.Key, $"two new subtrees of '{path}' are named '{duplicate.Key}'; subtree names are unique")));
            return;
        }

        var sibling = insert.Position switch
        {
            InsertPosition.Before b => b.Sibling,
            InsertPosition.After a => a.Sibling,
            _ => null,
        };
        var checks = insert.Nodes.Select(n => n.Name).Where(n => IsRegistered(root, n))
            .Select(n => (Name: n, MustExist: false))
            .Concat(sibling is null ? [] : [(Name: sibling, MustExist: true)])
            .Select(c => (c.Name, c.MustExist, Actor: IsRegistered(root, c.Name) ? Subtree(root, c.Name) : null))
            .ToList();
        var sender = Sender;
        var self = Self;
        var timeout = _settings.AskTimeout;
        _ = Task.Run(async () =>
        {
            DocError? error = null;
            foreach (var (name, mustExist, actor) in checks)
            {
                var childPath = DocPathParser.ChildPath(path, name);
                var exists = actor is not null && (await actor.Ask<QueryResult>(new Find(childPath), timeout)).Nodes.Length > 0;
                if (mustExist && !exists) error = new DocError.ReferenceChildMissing(path, name);
                if (!mustExist && exists) error = new DocError.InvalidName(name, $"'{childPath}' already exists; subtree names under '{path}' are unique");
                if (error is not null) break;
            }
            self.Tell(new MountChecked(sender, command, root, error));
        });
    }

    private void Mount(MountChecked check)
    {
        if (check.Error is not null)
        {
            check.ReplyTo.Tell(MutationResult.Failed(check.Error));
            return;
        }
        var insert = (Mutation.InsertChildren)check.Command.Mutations[0];
        var names = _mounts[check.Root];
        var index = insert.Position switch
        {
            InsertPosition.Before b => names.IndexOf(b.Sibling),
            InsertPosition.After a => names.IndexOf(a.Sibling) + 1,
            _ => names.Count,
        };
        var events = insert.Nodes.Select((n, i) => new SubtreeRegistered(check.Command.Writer, check.Root, n.Name, index + i)).ToList();
        void Insert()
        {
            var fixedRoot = new NodeTarget.ById(new NodeId(check.Root, 0));
            var asks = insert.Nodes.Select(n => Subtree(check.Root, n.Name)
                .Ask<MutationResult>(new Mutate(check.Command.Writer, [new Mutation.InsertChildren(fixedRoot, [n], InsertPosition.Append.Instance)]), _settings.AskTimeout));
            Task.WhenAll(asks).ContinueWith(t => t.IsCompletedSuccessfully
                    ? t.Result.FirstOrDefault(r => r.Error is not null) ?? new MutationResult([.. t.Result.SelectMany(r => r.Inserted)], null)
                    : MutationResult.Failed(new DocError.InvalidOperation("/" + check.Root, $"creating subtrees failed: {t.Exception?.GetBaseException().Message}")))
                .PipeTo(check.ReplyTo);
        }

        if (check.Root == DocNames.Persistent)
        {
            var remaining = events.Count;
            PersistAll(events, e =>
            {
                Register(e);
                if (--remaining == 0) Insert();
            });
        }
        else
        {
            events.ForEach(Register);
            Insert();
        }
    }

    private void DeleteSubtrees(Writer writer, Mutation.DeleteChildren delete, string root)
    {
        var filter = (delete.Name is null ? "" : DocPathParser.EncodeName(delete.Name)) + (delete.Kind is null ? "" : $"[@{delete.Kind}]");
        var path = DocPathParser.Parse(filter.Length == 0 ? "/" + root + DocPathParser.AllChildren : $"/{root}/{filter}");
        var subtrees = AllSubtrees(root);
        var sender = Sender;
        var timeout = _settings.AskTimeout;
        _ = Task.Run(async () =>
        {
            var found = await EvaluateAcross(path, QueryShape.Node, subtrees, timeout);
            if (found.Error is not null || (found.Nodes.IsEmpty && delete.ErrorIfNone))
            {
                sender.Tell(MutationResult.Failed(found.Error ?? new DocError.NothingMatched("/" + root, filter.Length == 0 ? "anything" : filter)));
                return;
            }
            var results = await Task.WhenAll(found.Nodes.Select(node =>
                subtrees.First(s => s.Root + "/" + s.Name == node.Id.Subtree).Actor
                    .Ask<MutationResult>(new Mutate(writer, [new Mutation.DeleteNode(new NodeTarget.ById(node.Id))]), timeout)));
            sender.Tell(results.FirstOrDefault(r => r.Error is not null) ?? new MutationResult([], null));
        });
    }

    // ---- Revert: every subtree, to a fixed point when cascading -----------------------------------

    /// <summary>
    /// Reverting a writer touches every subtree it wrote to. A dry run everywhere comes first (and,
    /// when cascading, repeats until no subtree adds another writer), so a conflict in one subtree
    /// leaves all of them unchanged. Then the final set is reverted everywhere without cascade.
    /// </summary>
    private void Revert(RevertWriters command)
    {
        var subtrees = AllSubtrees();
        var sender = Sender;
        var timeout = _settings.AskTimeout;
        _ = Task.Run(async () =>
        {
            var set = command.Reverted.Distinct().ToImmutableArray();
            while (true)
            {
                var checks = await Task.WhenAll(subtrees.Select(s => s.Actor.Ask<RevertResult>(command with { Reverted = set, DryRun = true }, timeout)));
                if (checks.FirstOrDefault(c => c.Error is not null) is { } conflict)
                {
                    sender.Tell(conflict);
                    return;
                }
                var union = set.Concat(checks.SelectMany(c => c.Reverted)).Distinct().ToImmutableArray();
                if (union.Length == set.Length) break;
                set = union;
            }
            if (command.DryRun)
            {
                sender.Tell(new RevertResult(set, null));
                return;
            }
            var done = await Task.WhenAll(subtrees.Select(s => s.Actor.Ask<RevertResult>(command with { Reverted = set, Cascade = false }, timeout)));
            sender.Tell(done.FirstOrDefault(d => d.Error is not null) ?? new RevertResult(set, null));
        });
    }
}
