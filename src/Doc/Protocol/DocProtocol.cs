using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Caiman.Doc.Model;

namespace Caiman.Doc.Protocol;

/// <summary>Marks every DOC message so the serializer binding covers them all.</summary>
public interface IDocMessage;

/// <summary>A command that changes the DOC; carries the writer it is stamped with.</summary>
public interface IDocCommand : IDocMessage
{
    Writer Writer { get; }
}

/// <summary>A persisted DOC event; every one records its writer.</summary>
public interface IDocEvent : IDocMessage
{
    Writer Writer { get; }
}

/// <summary>Which node a mutation addresses: a path that must match exactly one node, or a node id.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$t")]
[JsonDerivedType(typeof(ByPath), "path")]
[JsonDerivedType(typeof(ById), "id")]
public abstract record NodeTarget
{
    private NodeTarget() { }

    public sealed record ByPath(string Path) : NodeTarget
    {
        public override string ToString() => Path;
    }

    public sealed record ById(NodeId Id) : NodeTarget
    {
        public override string ToString() => Id.ToString();
    }

    public static implicit operator NodeTarget(string path) => new ByPath(path);
    public static implicit operator NodeTarget(NodeId id) => new ById(id);
}

/// <summary>A node to insert, with its own children. Ids are given by the DOC on insertion.</summary>
public sealed record NewNode(string Name, string Kind, PropertyMap Properties, ImmutableArray<NewNode> Children)
{
    public NewNode(string name, string kind = DocNames.DefaultKind, PropertyMap? properties = null)
        : this(name, kind, properties ?? PropertyMap.Empty, ImmutableArray<NewNode>.Empty) { }

    public NewNode WithChildren(params NewNode[] children) => this with { Children = [.. children] };

    public int Count => 1 + Children.NullToEmpty().Sum(c => c.Count);
}

/// <summary>Where inserted children go among their new siblings.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$t")]
[JsonDerivedType(typeof(Append), "append")]
[JsonDerivedType(typeof(Before), "before")]
[JsonDerivedType(typeof(After), "after")]
public abstract record InsertPosition
{
    private InsertPosition() { }

    public sealed record Append : InsertPosition
    {
        public static readonly Append Instance = new();
    }

    /// <summary>Before the first child with this name.</summary>
    public sealed record Before(string Sibling) : InsertPosition;

    /// <summary>After the first child with this name.</summary>
    public sealed record After(string Sibling) : InsertPosition;
}

/// <summary>One change to one subtree. A list of these applied together is atomic.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$t")]
[JsonDerivedType(typeof(InsertChildren), "insertChildren")]
[JsonDerivedType(typeof(DeleteChildren), "deleteChildren")]
[JsonDerivedType(typeof(DeleteNode), "deleteNode")]
[JsonDerivedType(typeof(SetProperties), "setProperties")]
[JsonDerivedType(typeof(RemoveProperties), "removeProperties")]
public abstract record Mutation
{
    private Mutation() { }

    /// <summary>The node this mutation addresses (its parent for insertions and child deletions).</summary>
    public abstract NodeTarget Target { get; init; }

    /// <summary>When set, the mutation is refused unless the target node is at this version.</summary>
    public abstract long? ExpectedVersion { get; init; }

    public sealed record InsertChildren(NodeTarget Target, ImmutableArray<NewNode> Nodes, InsertPosition Position, long? ExpectedVersion = null) : Mutation;

    /// <summary>Deletes the target's children matching name and/or kind; with neither, all of them.</summary>
    public sealed record DeleteChildren(NodeTarget Target, string? Name = null, string? Kind = null, bool ErrorIfNone = false, long? ExpectedVersion = null) : Mutation;

    /// <summary>Deletes the target node with its whole subtree.</summary>
    public sealed record DeleteNode(NodeTarget Target, long? ExpectedVersion = null) : Mutation;

    public sealed record SetProperties(NodeTarget Target, PropertyMap Values, long? ExpectedVersion = null) : Mutation;

    public sealed record RemoveProperties(NodeTarget Target, ImmutableArray<string> Names, long? ExpectedVersion = null) : Mutation;
}

/// <summary>
/// Everything that can go wrong with a DOC request, each naming what was wrong and where.
/// A request that fails changes nothing.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$t")]
[JsonDerivedType(typeof(InvalidPath), "invalidPath")]
[JsonDerivedType(typeof(PathNotFound), "pathNotFound")]
[JsonDerivedType(typeof(AmbiguousPath), "ambiguousPath")]
[JsonDerivedType(typeof(InvalidName), "invalidName")]
[JsonDerivedType(typeof(ReferenceChildMissing), "referenceChildMissing")]
[JsonDerivedType(typeof(VersionConflict), "versionConflict")]
[JsonDerivedType(typeof(NotJsonCompatible), "notJsonCompatible")]
[JsonDerivedType(typeof(NothingMatched), "nothingMatched")]
[JsonDerivedType(typeof(RevertConflict), "revertConflict")]
[JsonDerivedType(typeof(InvalidOperation), "invalidOperation")]
[JsonDerivedType(typeof(InvalidDocument), "invalidDocument")]
[JsonDerivedType(typeof(WriterFenced), "writerFenced")]
[JsonDerivedType(typeof(TemplatePathEmpty), "templatePathEmpty")]
public abstract record DocError
{
    private DocError() { }

    public abstract string Message { get; }

    public sealed record InvalidPath(string Path, int Position, string Reason) : DocError
    {
        public override string Message => $"invalid path '{Path}' at position {Position}: {Reason}";
    }

    public sealed record PathNotFound(string Path) : DocError
    {
        public override string Message => $"no node at '{Path}'";
    }

    public sealed record AmbiguousPath(string Path, int Matches) : DocError
    {
        public override string Message => $"'{Path}' matches {Matches} nodes; a change needs exactly one (address it by id)";
    }

    public sealed record InvalidName(string Name, string Reason) : DocError
    {
        public override string Message => Reason;
    }

    public sealed record ReferenceChildMissing(string Parent, string Sibling) : DocError
    {
        public override string Message => $"'{Parent}' has no child '{Sibling}' to insert next to";
    }

    public sealed record VersionConflict(string Path, long Expected, long Actual) : DocError
    {
        public override string Message => $"'{Path}' is at version {Actual}, not the expected {Expected}";
    }

    public sealed record NotJsonCompatible(string Path, string Property, string Reason) : DocError
    {
        public override string Message => $"property '{Property}' of '{Path}': {Reason}";
    }

    public sealed record NothingMatched(string Path, string Criteria) : DocError
    {
        public override string Message => $"no child of '{Path}' matches {Criteria}";
    }

    /// <summary>Reverting <see cref="Reverted"/> would undo a change that <see cref="ChangedBy"/> made on top of it.</summary>
    public sealed record RevertConflict(Writer Reverted, Writer ChangedBy, string Path) : DocError
    {
        public override string Message => $"cannot revert {Reverted}: {ChangedBy} changed '{Path}' after it (revert with cascade to undo both)";
    }

    /// <summary>A request the DOC understands but refuses, e.g. a property on a fixed root.</summary>
    public sealed record InvalidOperation(string Path, string Reason) : DocError
    {
        public override string Message => $"'{Path}': {Reason}";
    }

    public sealed record InvalidDocument(string Location, string Reason) : DocError
    {
        public override string Message => $"invalid DOC JSON at {Location}: {Reason}";
    }

    /// <summary>The writer was fenced (see <see cref="FenceWriters"/>): its attempt is no longer running.</summary>
    public sealed record WriterFenced(Writer Writer) : DocError
    {
        public override string Message => $"writes from {Writer} are refused: that attempt is no longer running";
    }

    /// <summary>
    /// A <c>%{path}</c> in <see cref="Template"/> (at <see cref="Position"/>) yields no value. An
    /// empty value there could turn <c>rm -rf %{/persistent/build.dirr}/image</c> into
    /// <c>rm -rf /image</c>; <c>%{?path}</c> is the form that may be empty.
    /// </summary>
    public sealed record TemplatePathEmpty(string Template, string Path, int Position) : DocError
    {
        public override string Message =>
            $"%{{{Path}}} at position {Position} of '{Template}' matches nothing in the DOC (write %{{?{Path}}} where an empty value is meant)";
    }

    public override string ToString() => Message;
}

// ---- Commands -------------------------------------------------------------------------------

/// <summary>Applies the mutations in order, all or none. Replies <see cref="MutationResult"/>.</summary>
public sealed record Mutate(Writer Writer, ImmutableArray<Mutation> Mutations) : IDocCommand;

/// <summary>
/// Undoes every change the given writers made, newest first. With <see cref="Cascade"/>, a writer
/// that changed the same nodes afterwards is reverted too; without it, that is a
/// <see cref="DocError.RevertConflict"/>. <see cref="DryRun"/> checks without changing anything.
/// Replies <see cref="RevertResult"/>.
/// </summary>
public sealed record RevertWriters(Writer Writer, ImmutableArray<Writer> Reverted, bool Cascade, bool DryRun = false) : IDocCommand;

/// <summary>
/// Refuses every later write stamped with one of these writers (<see cref="DocError.WriterFenced"/>).
/// The engine fences an attempt that is cancelled, timed out, abandoned or superseded before it
/// reverts it, so a late write cannot land after the revert. Writes may go straight to a subtree,
/// so the fence holds at the subtrees: the DOC actor sends it to every subtree and replies only
/// once all have applied it, and a subtree started later starts fenced. A write that reached a
/// subtree before the fence is undone by the revert that follows. Kept in memory: after a restart
/// the old attempts are gone and the engine fences them again on recovery. Replies <see cref="WritersFenced"/>.
/// </summary>
public sealed record FenceWriters(ImmutableArray<Writer> Writers) : IDocMessage;

/// <summary>
/// Asks the DOC actor for the actor of one subtree, so that a client can send the requests that
/// stay inside it there directly (see <c>DocClient</c>). Replies <see cref="SubtreeLocated"/>.
/// </summary>
public sealed record LocateSubtree(string Root, string Name) : IDocMessage;

/// <summary>
/// The actor of a subtree, or null when the DOC has no such subtree (yet): send through the DOC
/// actor then. A subtree's actor lives as long as the DOC actor that started it.
/// </summary>
public sealed record SubtreeLocated(string Root, string Name, Akka.Actor.IActorRef? Subtree) : IDocMessage;

// ---- Queries --------------------------------------------------------------------------------

/// <summary>What a query returns for each node the path matches.</summary>
public enum QueryShape
{
    /// <summary>The node with its properties, without children.</summary>
    Node,
    /// <summary>The node with its whole subtree.</summary>
    Subtree,
}

/// <summary>
/// Evaluates a path (the original language, see <c>DocPathParser</c>) from the DOC root, or from
/// the node <see cref="From"/> when given. Replies <see cref="QueryResult"/>: the matched nodes,
/// or property values when the path ends in <c>.property</c>. An empty path with
/// <see cref="From"/> returns that node itself.
/// </summary>
public sealed record Find(string Path, NodeId? From = null, QueryShape Shape = QueryShape.Node) : IDocMessage;

/// <summary>
/// Every node the writers changed and whose change still stands (reverted changes are gone).
/// The engine uses it to find races: two checkpoints with no dependency between them writing
/// the same node. Replies <see cref="WritesResult"/>.
/// </summary>
public sealed record FindWrites(ImmutableArray<Writer> Writers) : IDocMessage;

/// <summary>Who wrote each of these nodes and each of their properties. Replies <see cref="BlameResult"/>.</summary>
public sealed record Blame(ImmutableArray<NodeId> Nodes) : IDocMessage;

/// <summary>Where a stage of a fanned-out path evaluation starts inside one subtree.</summary>
public enum StageOrigin
{
    /// <summary>At the listed node serials.</summary>
    Serials,
    /// <summary>At the DOC root (the subtree sees itself as the only thing below it).</summary>
    DocRoot,
    /// <summary>At the subtree's fixed root (<c>/persistent</c> or <c>/volatile</c>).</summary>
    FixedRoot,
}

/// <summary>
/// Evaluates path steps [<see cref="FromStep"/>, <see cref="ToStep"/>) inside one subtree for a
/// query that spans subtrees. Counts (<c>#N</c>) on a step whose parent is a fixed root or the DOC
/// root are shared by all subtrees, so each match says which such parent it came from and the
/// DOC actor applies the count across subtrees. Replies <see cref="StageResult"/>.
/// </summary>
public sealed record EvaluateStage(string Path, int FromStep, int ToStep, StageOrigin Origin, ImmutableArray<long> Starts, bool Final, QueryShape Shape) : IDocMessage;

/// <summary>Which shared parent a match of a stage's last step came from.</summary>
public enum SharedParent
{
    None,
    DocRoot,
    FixedRoot,
}

/// <summary>One match of a stage: its serial, shared parent, and on the final stage its copy or property value.</summary>
public sealed record StageMatch(long Serial, SharedParent Parent, DocNode? Node, DocValue? Value);

public sealed record StageResult(ImmutableArray<StageMatch> Matches, DocError? Error) : IDocMessage;

// ---- Replies --------------------------------------------------------------------------------

/// <summary>The outcome of <see cref="Mutate"/>: the ids of inserted top-level nodes, or the error.</summary>
public sealed record MutationResult(ImmutableArray<NodeId> Inserted, DocError? Error) : IDocMessage
{
    public static MutationResult Failed(DocError error) => new(ImmutableArray<NodeId>.Empty, error);

    /// <summary>Success with nothing inserted: one shared instance for the commonest reply.</summary>
    public static readonly MutationResult Done = new(ImmutableArray<NodeId>.Empty, null);

    public bool IsSuccess => Error is null;
}

/// <summary>The outcome of a query: matched nodes, or values for a <c>.property</c> path, or the error.</summary>
public sealed record QueryResult(ImmutableArray<DocNode> Nodes, ImmutableArray<DocValue> Values, DocError? Error) : IDocMessage
{
    public static readonly QueryResult Empty = new(ImmutableArray<DocNode>.Empty, ImmutableArray<DocValue>.Empty, null);
    public static QueryResult Failed(DocError error) => new(ImmutableArray<DocNode>.Empty, ImmutableArray<DocValue>.Empty, error);
    public static QueryResult Of(ImmutableArray<DocNode> nodes) => new(nodes, ImmutableArray<DocValue>.Empty, null);
    public static QueryResult Of(ImmutableArray<DocValue> values) => new(ImmutableArray<DocNode>.Empty, values, null);
    public bool IsSuccess => Error is null;
}

public sealed record WritersFenced(ImmutableArray<Writer> Writers) : IDocMessage;

/// <summary>A node a writer changed: inserted (with its subtree), deleted, or whose properties it set or removed.</summary>
public sealed record WrittenNode(Writer Writer, NodeId Node, string Path);

/// <summary>The writer that last set one property (null: nobody since the DOC began, e.g. an import).</summary>
public sealed record PropertyBlame(string Property, Writer? Writer);

/// <summary>Who inserted a node, who last changed it (insertion or any property), and who set each property.</summary>
public sealed record NodeBlame(NodeId Node, string Path, Writer? Inserted, Writer? LastChanged, ImmutableArray<PropertyBlame> Properties);

/// <summary>The outcome of <see cref="Blame"/>, in the order asked; ids not found are left out.</summary>
public sealed record BlameResult(ImmutableArray<NodeBlame> Nodes) : IDocMessage;

/// <summary>The outcome of <see cref="FindWrites"/>, in no particular order.</summary>
public sealed record WritesResult(ImmutableArray<WrittenNode> Nodes) : IDocMessage;

/// <summary>The outcome of <see cref="RevertWriters"/>: every writer actually reverted (more than asked when cascading).</summary>
public sealed record RevertResult(ImmutableArray<Writer> Reverted, DocError? Error) : IDocMessage
{
    public static RevertResult Failed(DocError error) => new(ImmutableArray<Writer>.Empty, error);
    public bool IsSuccess => Error is null;
}

// ---- Events (persisted) ---------------------------------------------------------------------

/// <summary>A persisted node with the serials it was given; <c>NewNode</c> with identity.</summary>
public sealed record NodeData(long Serial, string Name, string Kind, PropertyMap Properties, ImmutableArray<NodeData> Children);

/// <summary>Nodes inserted under <see cref="ParentSerial"/> at <see cref="Index"/>; parent 0 is the subtree's own root slot.</summary>
public sealed record ChildrenInserted(Writer Writer, long ParentSerial, int Index, ImmutableArray<NodeData> Nodes) : IDocEvent;

/// <summary>Nodes deleted with their subtrees. The removed content lives in the undo log, rebuilt on replay.</summary>
public sealed record NodesDeleted(Writer Writer, ImmutableArray<long> Serials) : IDocEvent;

public sealed record PropertiesSet(Writer Writer, long Serial, PropertyMap Values) : IDocEvent;

public sealed record PropertiesRemoved(Writer Writer, long Serial, ImmutableArray<string> Names) : IDocEvent;

/// <summary>The listed writers' changes were undone, newest first (the final set, cascades included).</summary>
public sealed record WritersReverted(Writer Writer, ImmutableArray<Writer> Reverted) : IDocEvent;

/// <summary>
/// The DOC actor's own record of which subtrees exist under <c>/persistent</c>, in order.
/// An entry outlives its subtree's root being deleted (an empty subtree is simply absent).
/// </summary>
public sealed record SubtreeRegistered(Writer Writer, string Root, string Name, int Index) : IDocEvent;

// ---- Snapshots (persisted) ------------------------------------------------------------------

/// <summary>
/// A subtree's whole state: its tree (<see cref="Roots"/>: the root and any deleted, hidden
/// earlier ones) and its undo log, so that reverting a writer still works
/// after recovery from a snapshot. Writers are listed once and referenced by index.
/// </summary>
public sealed record SubtreeSnapshot(
    string RootName,
    string MountName,
    long FixedRootVersion,
    long NextSerial,
    long Sequence,
    ImmutableArray<Writer> Writers,
    ImmutableArray<SnapshotNode> Roots,
    ImmutableArray<SnapshotUndo> Undo) : IDocMessage;

/// <summary>A change stamp; <see cref="Writer"/> indexes <see cref="SubtreeSnapshot.Writers"/>, -1 for none.</summary>
public sealed record SnapshotStamp(int Writer, long Seq);

public sealed record SnapshotPropertyStamp(string Key, SnapshotStamp Stamp);

/// <summary>
/// A node in a snapshot; <see cref="Inserted"/> is null when it is its parent's (inserted together).
/// <see cref="Hidden"/> nodes are deleted ones kept in place until their deletion is undone.
/// </summary>
public sealed record SnapshotNode(
    long Serial,
    string Name,
    string Kind,
    PropertyMap Properties,
    long Version,
    SnapshotStamp? Inserted,
    ImmutableArray<int> ChildDeleters,
    ImmutableArray<SnapshotPropertyStamp> PropertyStamps,
    ImmutableArray<SnapshotNode> Children,
    bool Hidden = false);

public sealed record SnapshotPropertyChange(string Key, DocValue? Old, SnapshotStamp? PreviousStamp);

/// <summary>
/// One undo-log entry, in global order. <see cref="Type"/> is inserted, deleted or properties;
/// a deleted entry names its (hidden) node in <see cref="Serials"/>.
/// </summary>
public sealed record SnapshotUndo(
    int Writer,
    string Type,
    long Seq,
    long PriorVersion,
    long ParentSerial,
    ImmutableArray<long> Serials,
    ImmutableArray<SnapshotPropertyChange> Changes);
