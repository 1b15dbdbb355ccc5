using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;
using CsCheck;
using Xunit;
using Xunit.Sdk;
using static Caiman.Doc.Tests.Tree.TreeAssert;

namespace Caiman.Doc.Tests.Tree;

/// <summary>
/// Random histories of inserts, deletes, property changes, reverts and restarts from 4 writers,
/// applied to <see cref="SubtreeState"/> and to the plain <see cref="ReferenceModel"/>; after every
/// step the two trees must be equal, and at the end so must the state rebuilt from the journal and
/// from a snapshot.
/// </summary>
public sealed class DocModelProperties
{
    private static readonly Writer[] Writers = [User, A, B, C];

    // ---- Steps (node picks are resolved against the model when the step runs) -----------------

    internal abstract record Step;

    internal sealed record MutateStep(int Writer, ImmutableArray<Op> Ops) : Step
    {
        public override string ToString() => $"{Writers[Writer].Checkpoint}: {string.Join("; ", Ops)}";
    }

    /// <summary>Reverts one writer, or two at once when <see cref="Also"/> is not -1.</summary>
    internal sealed record RevertStep(int Writer, int Also, bool Cascade, bool DryRun) : Step
    {
        public Writer[] Reverted => Also < 0 || Also == Writer ? [Writers[Writer]] : [Writers[Writer], Writers[Also]];

        public override string ToString() => $"revert {string.Join(" + ", Reverted.Select(w => w.ToString()))}{(Cascade ? " cascade" : "")}{(DryRun ? " dry" : "")}";
    }

    internal sealed record RestartStep(bool ViaSnapshot) : Step
    {
        public override string ToString() => ViaSnapshot ? "restart from snapshot" : "restart from journal";
    }

    internal sealed record QueryStep(string Path) : Step
    {
        public override string ToString() => $"find {Path}";
    }

    internal abstract record Op;

    internal sealed record InsertOp(int Parent, int Position, string Sibling, ImmutableArray<NodeSpec> Nodes) : Op
    {
        public override string ToString() => $"insert@{Parent} {(Position switch { 0 => "", 1 => "before " + Sibling + " ", _ => "after " + Sibling + " " })}[{string.Join(", ", Nodes)}]";
    }

    internal sealed record MountOp : Op
    {
        public override string ToString() => "mount";
    }

    internal sealed record DeleteNodeOp(int Node) : Op
    {
        public override string ToString() => $"delete@{Node}";
    }

    internal sealed record DeleteChildrenOp(int Parent, string? Name, string? Kind, bool ErrorIfNone) : Op
    {
        public override string ToString() => $"deleteChildren@{Parent} {Name ?? "*"}[@{Kind ?? "*"}]{(ErrorIfNone ? "!" : "")}";
    }

    internal sealed record SetOp(int Node, PropertyMap Values) : Op
    {
        public override string ToString() => $"set@{Node} {Format(Values)}";
    }

    internal sealed record RemoveOp(int Node, ImmutableArray<string> Keys) : Op
    {
        public override string ToString() => $"remove@{Node} {string.Join(",", Keys)}";
    }

    internal sealed record NodeSpec(string Name, string Kind, PropertyMap Properties, ImmutableArray<NodeSpec> Children)
    {
        public NewNode ToNewNode() => new(Name, Kind, Properties, [.. Children.Select(c => c.ToNewNode())]);

        public override string ToString() =>
            $"{Name}@{Kind}{(Properties.Count > 0 ? Format(Properties) : "")}{(Children.IsEmpty ? "" : "(" + string.Join(", ", Children) + ")")}";
    }

    // ---- Generators --------------------------------------------------------------------------

    private static readonly Gen<string> Name = Gen.OneOf("a", "b", "c");
    private static readonly Gen<string> Kind = Gen.OneOf("Node", "Disk");
    private static readonly Gen<string> Key = Gen.OneOf("p", "q", "r");

    private static readonly Gen<DocValue> Leaf = Gen.OneOf<DocValue>(
        Gen.Const<DocValue>(DocValue.Null.Instance),
        Gen.Bool.Select(DocValue.From),
        Gen.Long[-3, 3].Select(DocValue.From),
        Gen.Double[-3, 3].Select(d => (DocValue)new DocValue.Number(d)),
        Gen.OneOf("", "x", "y").Select(DocValue.From));

    private static readonly Gen<DocValue> Value = Gen.Frequency(
        (6, Leaf),
        (1, Leaf.Array[0, 3].Select(items => (DocValue)new DocValue.Array([.. items]))),
        (1, Gen.Select(Key, Leaf).Array[0, 2].Select(entries => (DocValue)new DocValue.Object(PropertyMap.Of(entries)))));

    private static readonly Gen<PropertyMap> Properties = Gen.Select(Key, Value).Array[0, 2].Select(PropertyMap.Of);

    private static Gen<NodeSpec> Spec(int depth) => depth == 0
        ? Gen.Select(Name, Kind, Properties, (n, k, p) => new NodeSpec(n, k, p, []))
        : Gen.Select(Name, Kind, Properties,
            Gen.Frequency((3, Gen.Const(ImmutableArray<NodeSpec>.Empty)), (1, Spec(depth - 1).Array[1, 2].Select(c => c.ToImmutableArray()))),
            (n, k, p, c) => new NodeSpec(n, k, p, c));

    private static readonly Gen<int> Pick = Gen.Int[0, 999];

    private static readonly Gen<Op> AnyOp = Gen.Frequency(
        (6, Gen.Select(Pick, Gen.Int[0, 2], Gen.OneOf("a", "b", "c", "zz"), Spec(2).Array[1, 3],
            (parent, position, sibling, nodes) => (Op)new InsertOp(parent, position, sibling, [.. nodes]))),
        (1, Gen.Const<Op>(new MountOp())),
        (2, Pick.Select(node => (Op)new DeleteNodeOp(node))),
        (2, Gen.Select(Pick, Gen.OneOf<string?>(null, "a", "b"), Gen.OneOf<string?>(null, null, "Disk"), Gen.Bool,
            (parent, name, kind, errorIfNone) => (Op)new DeleteChildrenOp(parent, name, kind, errorIfNone))),
        (4, Gen.Select(Pick, Gen.Select(Key, Value).Array[1, 2], (node, values) => (Op)new SetOp(node, PropertyMap.Of(values)))),
        (2, Gen.Select(Pick, Key.Array[1, 2], (node, keys) => (Op)new RemoveOp(node, [.. keys]))));

    private static readonly Gen<string> Segment = Gen.Select(
        Gen.Frequency((3, "/"), (1, "//")), Gen.OneOf("", "a", "b", "c"), Gen.OneOf<string?>(null, null, "Disk", "Node"),
        Gen.OneOf<int?>(null, null, 1, 2), Gen.OneOf<int?>(null, null, 1, 2),
        (axis, name, kind, count, depth) =>
        {
            var constraints = (kind is null ? "" : "@" + kind) + (count is null ? "" : "#" + count) + (depth is null || axis == "/" ? "" : "?" + depth);
            return axis + name + (constraints.Length > 0 ? "[" + constraints + "]" : "");
        });

    private static readonly Gen<string> Query = Gen.Select(
        Gen.Frequency((1, ""), (3, "/persistent/target")), Segment.Array[0, 3], Gen.Frequency((4, ""), (1, ".p"), (1, ".q")),
        (prefix, segments, property) =>
        {
            // A bare '/' or '//' step can only end a path (the next slash would make a third).
            var path = prefix + string.Concat(segments.Select((s, i) => i < segments.Length - 1 && s is "/" or "//" ? s + "[#99]" : s));
            return path.Length == 0 ? "//" + property : path + (path.EndsWith('/') ? "" : property);
        });

    private static readonly Gen<Step> AnyStep = Gen.Frequency(
        (12, Gen.Select(Gen.Int[0, 3], Gen.Frequency((4, AnyOp.Array[1, 1]), (1, AnyOp.Array[2, 3])),
            (writer, ops) => (Step)new MutateStep(writer, [.. ops]))),
        (3, Gen.Select(Gen.Frequency((1, 0), (3, 1), (3, 2), (3, 3)), Gen.Frequency((5, -1), (1, 1), (1, 2), (1, 3)), Gen.Bool, Gen.Frequency((4, false), (1, true)),
            (writer, also, cascade, dryRun) => (Step)new RevertStep(writer, also, cascade, dryRun))),
        (1, Gen.Bool.Select(viaSnapshot => (Step)new RestartStep(viaSnapshot))),
        (3, Query.Select(path => (Step)new QueryStep(path))));

    private static readonly Gen<Step[]> Histories = AnyStep.Array[1, 40];

    private static string Print(Step[] steps) =>
        string.Join("", steps.Select((s, i) => $"\n  {i,2}. {s}"));

    // ---- Properties --------------------------------------------------------------------------

    [Fact]
    public void SubtreeState_should_match_the_reference_model()
    {
        Histories.Sample(steps => Run(steps, sortChildren: false), iter: 300, print: Print);
    }

    [Fact]
    public void SubtreeState_should_match_the_reference_model_ignoring_sibling_order()
    {
        Histories.Sample(steps => Run(steps, sortChildren: true), iter: 300, print: Print);
    }

    /// <summary>
    /// Runs one history on both. With <paramref name="sortChildren"/>, sibling order is ignored (and
    /// replayed positions whose sibling is gone append), so order bugs do not hide the others.
    /// </summary>
    private static void Run(Step[] steps, bool sortChildren)
    {
        var model = new ReferenceModel();
        var journal = new List<IDocEvent>();
        var state = NewState();
        var trace = new StringBuilder();

        void Check(bool condition, string what)
        {
            if (condition) return;
            throw new XunitException($"{what}\n--- trace ---{trace}\n--- subtree ---\n{Format(ShapeOf(state), ids: true)}--- model ---\n{Format(model.Shape(), ids: true)}");
        }

        void Compare(string when)
        {
            var expected = Format(model.Shape(), ids: true, sortChildren);
            var actual = Format(ShapeOf(state), ids: true, sortChildren);
            Check(expected == actual, $"trees differ {when}");
        }

        // Every history starts from a subtree root written by U.
        Mutate(User, [new Mutation.InsertChildren(FixedRootId, [new NewNode(ReferenceModel.MountName)], InsertPosition.Append.Instance)]);

        for (var i = 0; i < steps.Length; i++)
        {
            switch (steps[i])
            {
                case MutateStep s:
                    Mutate(Writers[s.Writer], [.. s.Ops.Select(Resolve)]);
                    break;
                case RevertStep s:
                    if (!Revert(s.Reverted, s.Cascade, s.DryRun)) return;
                    break;
                case QueryStep s:
                    Find(s.Path);
                    break;
                case RestartStep s:
                    state = s.ViaSnapshot ? Restored(state) : Replay(journal);
                    trace.Append(CultureInfo.InvariantCulture, $"\n  {s}");
                    break;
            }
            Compare($"after step {i}");
        }

        // Recovery: the journal and a snapshot both rebuild the same state, undo log included.
        var replayed = Replay(journal);
        Check(WithIds(replayed) == WithIds(state), $"the journal replays to a different tree:\n{WithIds(replayed)}");
        Check(Exact(replayed) == Exact(state), $"the journal replays to different versions:\n{Exact(replayed)}");
        // (Versions of /persistent recorded in the undo log are masked: a snapshot does not keep
        // that version, see SnapshotSpec.Snapshot_should_keep_the_version_of_persistent.)
        static string Masked(string dump) => Regex.Replace(dump, @"prior=v\d+ at=0 ", "prior=v? at=0 ");
        Check(Masked(Dump(replayed)) == Masked(Dump(state)), $"the journal replays to a different state:\n{Dump(replayed)}\nvs\n{Dump(state)}");
        var restored = Restored(state);
        Check(Dump(restored) == Dump(state), $"the snapshot restores a different state:\n{Dump(restored)}\nvs\n{Dump(state)}");

        // And every writer still reverts (with cascade) as the model says, alike on the restored copy.
        foreach (var writer in Writers)
        {
            if (!Revert([writer], cascade: true, dryRun: false)) return;
            Compare($"after the final revert of {writer}");
            var error = restored.Revert([writer], cascade: true, dryRun: false, out _);
            Check(error is null && Exact(restored) == Exact(state), $"revert {writer} after a snapshot restore gives {error?.ToString() ?? "another tree"}:\n{Exact(restored)}");
        }

        void Mutate(Writer writer, Mutation[] mutations)
        {
            var expected = model.Mutate(writer, mutations, out var expectedIds);
            var events = new List<IDocEvent>();
            var inserted = new List<NodeId>();
            var error = state.Decide(new Mutate(writer, [.. mutations]), events, inserted);
            trace.Append(CultureInfo.InvariantCulture, $"\n  {writer.Checkpoint}: {string.Join("; ", mutations.Select(Describe))} -> {error?.ToString() ?? "ok " + string.Join(",", inserted.Select(id => id.Serial))}");
            Check(error?.GetType().Name == expected, $"expected {expected ?? "success"}, got {error?.GetType().Name ?? "success"}");
            if (error is not null)
            {
                Check(events.Count == 0 && inserted.Count == 0, "a refused batch produced events or ids");
                return;
            }
            Check(inserted.Select(id => id.Serial).SequenceEqual(expectedIds), $"expected ids {string.Join(",", expectedIds)}");
            journal.AddRange(events);
        }

        void Find(string path)
        {
            // Which matches a count keeps depends on sibling order.
            if (sortChildren && path.Contains('#', StringComparison.Ordinal)) return;
            var parsed = Caiman.Doc.Paths.DocPathParser.Parse(path);
            var result = state.Find(new Find(path));
            trace.Append(CultureInfo.InvariantCulture, $"\n  find {path} -> {result.Error?.ToString() ?? string.Join(",", result.Nodes.Select(n => n.Id.Serial)) + string.Join(",", result.Values.Select(Format))}");
            Check(result.Error is null, $"query {path} failed");
            var found = model.Find(parsed);
            var (expected, actual) = parsed.Property is { } property
                ? (model.Values(found, property).Select(Format).ToList(), result.Values.Select(Format).ToList())
                : (found.Select(id => id.ToString(CultureInfo.InvariantCulture)).ToList(), result.Nodes.Select(n => n.Id.Serial.ToString(CultureInfo.InvariantCulture)).ToList());
            if (sortChildren)
            {
                expected.Sort(StringComparer.Ordinal);
                actual.Sort(StringComparer.Ordinal);
            }
            Check(expected.SequenceEqual(actual), $"query {path}: expected [{string.Join(",", expected)}]");
        }

        // False: the model cannot say what the tree should be (a replayed position lost its sibling); stop here.
        bool Revert(Writer[] writers, bool cascade, bool dryRun)
        {
            ReferenceModel.RevertOutcome expected;
            var undefined = false;
            try
            {
                expected = model.Revert(writers, cascade, dryRun, lenient: sortChildren);
            }
            catch (ReferenceModel.UndefinedReplay)
            {
                expected = new ReferenceModel.RevertOutcome(false, [], false);
                undefined = true;
            }
            var error = state.Revert(writers, cascade, dryRun, out var reverted, out var undone);
            trace.Append(CultureInfo.InvariantCulture,
                $"\n  revert {string.Join(" + ", writers.Select(w => w.ToString()))}{(cascade ? " cascade" : "")}{(dryRun ? " dry" : "")} -> {error?.ToString() ?? "[" + string.Join(", ", reverted) + "]"}");
            if (expected.Conflict)
            {
                var conflict = error as DocError.RevertConflict;
                Check(conflict is not null, $"expected a conflict with {string.Join(", ", expected.Writers)}, got {error?.ToString() ?? "success"}");
                Check(writers.Contains(conflict!.Reverted) && expected.Writers.Contains(conflict.ChangedBy),
                    $"expected a conflict with {string.Join(", ", expected.Writers)}, got {conflict}");
                return true;
            }
            Check(error is null, $"expected no conflict, got {error}");
            if (undefined) return false;
            Check(expected.Writers.SetEquals(reverted), $"expected to revert [{string.Join(", ", expected.Writers)}]");
            Check(expected.ChangedSomething == undone > 0, $"expected {(expected.ChangedSomething ? "changes" : "no change")}, undone {undone}");
            if (!dryRun && undone > 0) journal.Add(new WritersReverted(User, reverted));
            return true;
        }

        Mutation Resolve(Op op) => op switch
        {
            InsertOp o => new Mutation.InsertChildren(Target(o.Parent), [.. o.Nodes.Select(n => n.ToNewNode())], o.Position switch
            {
                0 => InsertPosition.Append.Instance,
                1 => new InsertPosition.Before(o.Sibling),
                _ => new InsertPosition.After(o.Sibling),
            }),
            MountOp => new Mutation.InsertChildren(FixedRootId, [new NewNode(ReferenceModel.MountName)], InsertPosition.Append.Instance),
            DeleteNodeOp o => new Mutation.DeleteNode(Target(o.Node, spareTheRoot: true)),
            DeleteChildrenOp o => new Mutation.DeleteChildren(Target(o.Parent), o.Name, o.Kind, o.ErrorIfNone),
            SetOp o => new Mutation.SetProperties(Target(o.Node), o.Values),
            RemoveOp o => new Mutation.RemoveProperties(Target(o.Node), o.Keys),
            _ => throw new NotSupportedException(op.ToString()),
        };

        // Mostly a live node; now and then /persistent itself, or any id ever given (maybe deleted).
        // Deletes mostly spare the subtree root, or histories would keep starting over.
        NodeTarget Target(int pick, bool spareTheRoot = false)
        {
            var live = model.LiveIds;
            if (pick % 20 == 0 && model.NextSerial > 1) return Id(1 + pick / 20 % (model.NextSerial - 1));
            if (pick % 20 == 1 || live.Count == 0) return FixedRootId;
            if (spareTheRoot && live.Count > 1 && pick % 10 != 2) return Id(live[1 + pick % (live.Count - 1)]);
            return Id(live[pick % live.Count]);
        }
    }

    private static string Describe(Mutation mutation)
    {
        static string T(NodeTarget target) => target is NodeTarget.ById { Id: var id } ? "#" + id.Serial.ToString(CultureInfo.InvariantCulture) : target.ToString();
        static string New(NewNode n) => $"{n.Name}@{n.Kind}{(n.Properties.Count > 0 ? Format(n.Properties) : "")}{(n.Children.IsDefaultOrEmpty ? "" : "(" + string.Join(", ", n.Children.Select(New)) + ")")}";
        return mutation switch
        {
            Mutation.InsertChildren m => $"insert {T(m.Target)} {m.Position switch { InsertPosition.Before b => "before " + b.Sibling + " ", InsertPosition.After a => "after " + a.Sibling + " ", _ => "" }}[{string.Join(", ", m.Nodes.Select(New))}]",
            Mutation.DeleteNode m => $"delete {T(m.Target)}",
            Mutation.DeleteChildren m => $"deleteChildren {T(m.Target)} {m.Name ?? "*"}[@{m.Kind ?? "*"}]{(m.ErrorIfNone ? "!" : "")}",
            Mutation.SetProperties m => $"set {T(m.Target)} {Format(m.Values)}",
            Mutation.RemoveProperties m => $"remove {T(m.Target)} {string.Join(",", m.Names)}",
            _ => mutation.ToString(),
        };
    }
}
