using System.Collections.Immutable;
using System.Text.Json;
using Akka.Actor;
using Caiman.Doc.Actors;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Client;

/// <summary>
/// The way in to a run's DOC. The DOC actor (<see cref="Actor"/>) is the one address a caller is
/// given; a request that stays in one subtree goes straight to that subtree's actor, which the
/// client learns from the DOC actor once and keeps (<see cref="SubtreeDirectory"/>); everything
/// else (mounts, paths that do not name their subtree, reverts, fan-out queries) goes through the
/// DOC actor. Results are immutable copies. Writes are stamped with <see cref="Writer"/>. Refused
/// requests throw <see cref="DocException"/> with the typed error.
/// </summary>
public sealed partial class DocClient
{
    private static readonly JsonSerializerOptions TypedViewOptions = new(JsonSerializerDefaults.Web);

    private readonly SubtreeDirectory _subtrees;

    /// <summary>The subtree actors this client (and every other of the same DOC actor reference) has located.</summary>
    internal SubtreeDirectory Subtrees => _subtrees;

    public DocClient(IActorRef doc, Writer writer, TimeSpan timeout)
    {
        Actor = doc;
        Writer = writer;
        Timeout = timeout;
        _subtrees = SubtreeDirectory.For(doc, timeout);
    }

    /// <summary>Starts the DOC of a run (recovering its persistent part) as a top-level actor of the system.</summary>
    public static DocClient Start(ActorSystem system, string runId, Writer? writer = null)
    {
        var settings = DocSettings.Create(system.Settings.Config);
        var actor = system.ActorOf(DocActor.Props(runId, settings), "doc-" + Uri.EscapeDataString(runId));
        return new DocClient(actor, writer ?? Writer.User(runId), settings.AskTimeout);
    }

    /// <summary>The props of a run's DOC actor, for a parent (the run) that owns it as a child.</summary>
    public static Props Props(string runId, Akka.Configuration.Config config) => DocActor.Props(runId, DocSettings.Create(config));

    public IActorRef Actor { get; }
    public Writer Writer { get; }
    public TimeSpan Timeout { get; }

    /// <summary>The same DOC, with writes stamped by another writer (a checkpoint attempt).</summary>
    public DocClient As(Writer writer) => new(Actor, writer, Timeout);

    /// <summary>
    /// Sends one DOC request (<see cref="Mutate"/>, <see cref="Find"/>, ...) the way this client's own
    /// calls go, for an actor that pipelines requests and takes the replies itself: straight to the
    /// subtree when it stays in one, else to the DOC actor. Requests to one subtree keep their order.
    /// </summary>
    public void Tell(IDocMessage message, IActorRef sender) => _subtrees.Send(message, target => target.Tell(message, sender));

    /// <summary>Asks where the request goes; a subtree that did not answer is located again next time.</summary>
    private async Task<T> AskAsync<T>(IDocMessage message)
    {
        try
        {
            return await _subtrees.Ask<T>(message).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            _subtrees.Forget(message);
            throw;
        }
    }

    // ---- Mutations ------------------------------------------------------------------------------

    /// <summary>Applies the mutations together, all or none; they must stay within one subtree.</summary>
    public async Task<ImmutableArray<NodeId>> ApplyAsync(params Mutation[] batch)
    {
        // A value that is not JSON could not even be sent to another node: refuse it here, with the error the DOC would give.
        foreach (var mutation in batch)
            if (NotJsonCompatible(mutation) is { } problem) throw new DocException(problem);
        var result = await AskAsync<MutationResult>(new Mutate(Writer, [.. batch])).ConfigureAwait(false);
        return result.Error is null ? result.Inserted : throw new DocException(result.Error);
    }

    public Task<ImmutableArray<NodeId>> InsertAsync(NodeTarget parent, params NewNode[] nodes) =>
        ApplyAsync(new Mutation.InsertChildren(parent, [.. nodes], InsertPosition.Append.Instance));

    public Task<ImmutableArray<NodeId>> InsertAsync(NodeTarget parent, InsertPosition position, params NewNode[] nodes) =>
        ApplyAsync(new Mutation.InsertChildren(parent, [.. nodes], position));

    public Task DeleteChildrenAsync(NodeTarget parent, string? name = null, string? kind = null, bool errorIfNone = false) =>
        ApplyAsync(new Mutation.DeleteChildren(parent, name, kind, errorIfNone));

    public Task DeleteAsync(NodeTarget node, long? expectedVersion = null) => ApplyAsync(new Mutation.DeleteNode(node, expectedVersion));

    public Task SetAsync(NodeTarget node, string property, object? value, long? expectedVersion = null) =>
        SetAsync(node, new Dictionary<string, object?> { [property] = value }, expectedVersion);

    public Task SetAsync(NodeTarget node, IReadOnlyDictionary<string, object?> values, long? expectedVersion = null) =>
        ApplyAsync(new Mutation.SetProperties(node, ToProperties(node, values), expectedVersion));

    public Task RemovePropertiesAsync(NodeTarget node, params string[] names) =>
        ApplyAsync(new Mutation.RemoveProperties(node, [.. names]));

    private static DocError? NotJsonCompatible(Mutation mutation) => mutation switch
    {
        Mutation.SetProperties set => Check(set.Target.ToString() ?? "", set.Values),
        Mutation.InsertChildren insert => insert.Nodes.Select(n => Check(insert.Target.ToString() ?? "", n)).FirstOrDefault(e => e is not null),
        _ => null,
    };

    private static DocError? Check(string parent, NewNode node)
    {
        // A bad name is the DOC's to report (InvalidName); only values are checked here.
        var path = DocNames.NameProblem(node.Name) is null && parent.StartsWith('/') ? DocPathParser.ChildPath(parent, node.Name) : parent;
        return Check(path, node.Properties ?? PropertyMap.Empty)
            ?? node.Children.NullToEmpty().Select(c => Check(path, c)).FirstOrDefault(e => e is not null);
    }

    private static DocError? Check(string path, PropertyMap values)
    {
        foreach (var (key, value) in values)
            if (value is not null && !DocValue.Validate(value, out var reason)) return new DocError.NotJsonCompatible(path, key, reason!);
        return null;
    }

    /// <summary>Converts CLR values, refusing (before anything is sent) those that are not JSON-compatible.</summary>
    public static PropertyMap ToProperties(NodeTarget node, IReadOnlyDictionary<string, object?> values)
    {
        var entries = new List<KeyValuePair<string, DocValue>>(values.Count);
        foreach (var (key, value) in values)
        {
            if (!DocValue.TryFrom(value, out var converted, out var reason))
                throw new DocException(new DocError.NotJsonCompatible(node.ToString() ?? "", key, reason!));
            entries.Add(new(key, converted));
        }
        return PropertyMap.From(entries);
    }

    /// <summary>
    /// Undoes everything the writer changed, in every subtree. With cascade, writers whose changes
    /// stand on top of it are reverted too; returns every writer reverted.
    /// </summary>
    public Task<ImmutableArray<Writer>> RevertAsync(Writer reverted, bool cascade = false, bool dryRun = false) =>
        RevertAsync([reverted], cascade, dryRun);

    /// <summary>Undoes everything these writers changed, newest first across them.</summary>
    public async Task<ImmutableArray<Writer>> RevertAsync(ImmutableArray<Writer> reverted, bool cascade = false, bool dryRun = false)
    {
        var result = await Actor.Ask<RevertResult>(new RevertWriters(Writer, reverted, cascade, dryRun), Timeout).ConfigureAwait(false);
        return result.Error is null ? result.Reverted : throw new DocException(result.Error);
    }

    /// <summary>Refuses every later write from these writers; see <see cref="FenceWriters"/>.</summary>
    public async Task FenceAsync(params Writer[] writers) =>
        await Actor.Ask<WritersFenced>(new FenceWriters([.. writers]), Timeout).ConfigureAwait(false);

    /// <summary>The nodes the writers changed, where those changes still stand.</summary>
    public async Task<ImmutableArray<WrittenNode>> FindWritesAsync(params Writer[] writers) =>
        (await Actor.Ask<WritesResult>(new FindWrites([.. writers]), Timeout).ConfigureAwait(false)).Nodes;

    /// <summary>
    /// Who wrote what: for every node the path matches and every node below them, in document
    /// order, the attempt that inserted it, the one that last changed it, and the one behind each property.
    /// </summary>
    public async Task<ImmutableArray<NodeBlame>> BlameAsync(string path)
    {
        var matches = await FindAsync(path, QueryShape.Subtree).ConfigureAwait(false);
        var ids = new List<NodeId>();
        void Walk(DocNode node)
        {
            ids.Add(node.Id);
            foreach (var child in node.Children) Walk(child);
        }
        foreach (var match in matches) Walk(match);
        if (ids.Count == 0) return [];
        return (await Actor.Ask<BlameResult>(new Blame([.. ids]), Timeout).ConfigureAwait(false)).Nodes;
    }

    // ---- Queries --------------------------------------------------------------------------------

    /// <summary>The nodes a path matches (see the path language in <c>DocPathParser</c>).</summary>
    public async Task<ImmutableArray<DocNode>> FindAsync(string path, QueryShape shape = QueryShape.Node) =>
        (await QueryAsync(new Find(path, null, shape)).ConfigureAwait(false)).Nodes;

    /// <summary>The values a path ending in <c>.property</c> yields, one per matching node that has it.</summary>
    public async Task<ImmutableArray<DocValue>> FindValuesAsync(string path) =>
        (await QueryAsync(new Find(path)).ConfigureAwait(false)).Values;

    /// <summary>Exactly one node: a path matching none or several is an error.</summary>
    public async Task<DocNode> GetAsync(NodeTarget node, QueryShape shape = QueryShape.Node) =>
        await TryGetAsync(node, shape).ConfigureAwait(false) ?? throw new DocException(new DocError.PathNotFound(node.ToString() ?? ""));

    public async Task<DocNode?> TryGetAsync(NodeTarget node, QueryShape shape = QueryShape.Node)
    {
        if (node is NodeTarget.ById byId)
        {
            var result = await AskAsync<QueryResult>(new Find("", byId.Id, shape)).ConfigureAwait(false);
            return result.Error switch
            {
                null => result.Nodes.FirstOrDefault(),
                DocError.PathNotFound => null,
                var error => throw new DocException(error),
            };
        }
        var path = ((NodeTarget.ByPath)node).Path;
        var found = await QueryAsync(new Find(path, null, shape)).ConfigureAwait(false);
        if (found.Values.Length > 0) throw new DocException(new DocError.InvalidPath(path, path.LastIndexOf('.'), "expected a node, not a property"));
        return found.Nodes.Length switch
        {
            0 => null,
            1 => found.Nodes[0],
            var n => throw new DocException(new DocError.AmbiguousPath(path, n)),
        };
    }

    /// <summary>The children matching name and/or kind (all without either), at most <paramref name="maxCount"/> (at least 1).</summary>
    public async Task<ImmutableArray<DocNode>> GetChildrenAsync(NodeTarget parent, string? name = null, string? kind = null, int maxCount = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        return (await QueryAsync(Relative(parent, "/", name, kind, maxCount, null)).ConfigureAwait(false)).Nodes;
    }

    public async Task<DocNode?> GetFirstChildAsync(NodeTarget parent, string? name = null, string? kind = null) =>
        (await GetChildrenAsync(parent, name, kind, 1).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>
    /// Descendants in depth-first pre-order; name or kind is required and <paramref name="maxDepth"/>
    /// may not be negative (as in the original); maxDepth 0 is unlimited; maxCount is at least 1.
    /// </summary>
    public async Task<ImmutableArray<DocNode>> GetDescendantsAsync(NodeTarget ancestor, string? name, string? kind, int maxDepth = 0, int maxCount = int.MaxValue)
    {
        if (name is null && kind is null)
            throw new ArgumentException("descendants need a name or a kind to look for", nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegative(maxDepth);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        return (await QueryAsync(Relative(ancestor, "//", name, kind, maxCount, maxDepth > 0 ? maxDepth : null)).ConfigureAwait(false)).Nodes;
    }

    /// <summary>A node's properties read into a record (JSON web naming: camelCase).</summary>
    public async Task<T> ReadAsync<T>(NodeTarget node)
    {
        var found = await GetAsync(node).ConfigureAwait(false);
        return found.Properties.ToJsonObject().Deserialize<T>(TypedViewOptions)
            ?? throw new DocException(new DocError.InvalidOperation(found.Path, $"properties do not form a {typeof(T).Name}"));
    }

    /// <summary>Writes a record's fields as the node's properties, in one atomic change.</summary>
    public Task WriteAsync<T>(NodeTarget node, T value, long? expectedVersion = null) where T : notnull
    {
        var json = JsonSerializer.SerializeToElement(value, TypedViewOptions);
        if (json.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"a {typeof(T).Name} does not serialize to a JSON object", nameof(value));
        var properties = PropertyMap.From(json.EnumerateObject().Select(p => new KeyValuePair<string, DocValue>(p.Name, DocValue.FromJson(p.Value))));
        return ApplyAsync(new Mutation.SetProperties(node, properties, expectedVersion));
    }

    /// <summary>Fills <c>%{path}</c> references from the DOC (values joined by the separator, quoted as asked).</summary>
    public async Task<string> SubstituteAsync(string template, TemplateOptions? options = null)
    {
        if (!DocTemplate.TryParse(template, out var parsed, out var error))
            throw new DocException(new DocError.InvalidPath(error.Path, error.Position, error.Reason));
        return await parsed.RenderAsync(async path =>
        {
            var result = await QueryAsync(new Find(path.Text)).ConfigureAwait(false);
            IReadOnlyList<string> texts = path.Property is null ? [.. result.Nodes.Select(n => n.Name)] : [.. result.Values.Select(v => v.ToText())];
            return texts;
        }, options).ConfigureAwait(false);
    }

    private async Task<QueryResult> QueryAsync(Find query)
    {
        var result = await AskAsync<QueryResult>(query).ConfigureAwait(false);
        return result.Error is null ? result : throw new DocException(result.Error);
    }

    private static Find Relative(NodeTarget start, string axis, string? name, string? kind, int maxCount, int? maxDepth)
    {
        var constraints = (kind is null ? "" : "@" + kind) + (maxCount == int.MaxValue ? "" : "#" + maxCount) + (maxDepth is { } d ? "?" + d : "");
        var step = axis + (name is null ? "" : DocPathParser.EncodeName(name)) + (constraints.Length == 0 ? "" : "[" + constraints + "]");
        return start switch
        {
            NodeTarget.ById id => new Find(step, id.Id),
            // A trailing '/' is ignored after a step, so "every child" of a path is written '//[?1]'.
            NodeTarget.ByPath p when p.Path is "/" or "" => new Find(step),
            NodeTarget.ByPath p => new Find(p.Path.TrimEnd('/') + (step == "/" ? DocPathParser.AllChildren : step)),
            _ => throw new ArgumentOutOfRangeException(nameof(start)),
        };
    }
}
