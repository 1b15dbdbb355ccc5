using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;

namespace Caiman.Doc.Bench;

/// <summary>Managed memory per node of a subtree's state at a million nodes.</summary>
internal static class MemoryBench
{
    public static void Run(BenchContext ctx)
    {
        var parents = ctx.Quick ? 200 : 1000;
        const int children = 1000;
        var figure = ctx.Figure("memory", $"Memory per node at {(1 + parents * (1 + children)):N0} nodes (SubtreeState)", "B/node",
            "< 400 B/node", v => v < 400);
        var plain = ctx.Figure("memory-plain", $"Memory per node at {(1 + parents * (1 + children)):N0} nodes (plain tree, for comparison)", "B/node");
        ctx.Log($"memory: {parents} parents x {children} children, one short string property each");
        for (var rep = 0; rep < ctx.Reps; rep++)
        {
            var perNode = Measure(() => BuildState(parents, children), s => s.NodeCount);
            figure.Samples.Add(perNode);
            var perPlain = Measure(() => BuildPlain(parents, children), _ => 1 + parents * (1 + children));
            plain.Samples.Add(perPlain);
            ctx.Log($"  memory rep {rep}: {Fmt.N1(perNode)} B/node (plain tree {Fmt.N1(perPlain)} B/node)");
        }
        figure.Detail = $"GC.GetTotalMemory(forceFullCollection: true) before and after building a volatile subtree's SubtreeState through Decide (as the subtree actor does): {parents} InsertChildren of one parent with {children} children; names g{{i}}/h{{j}}, property v = \"n{{i}}.{{j}}\" (distinct strings); includes the node index and undo log";
        plain.Detail = "the plain tree's nodes with the same names and a Dictionary holding the same property";

        // What the history costs: every change stays in the undo log, in memory, for good.
        var changes = ctx.Quick ? 50_000 : 200_000;
        var history = ctx.Figure("memory-per-change", "Memory kept per SetProperties (undo log), 10,421-node subtree", "B");
        for (var rep = 0; rep < ctx.Reps; rep++)
        {
            var state = new SubtreeState("volatile", "h");
            Check(state.Decide(new Mutate(InProcessBench.BenchWriter, [new Mutation.InsertChildren(new NodeId("volatile", 0), [Workload.WholeTree("h")], InsertPosition.Append.Instance)]), [], []));
            var ops = Workload.Ops("/volatile/h", 3 * 1000).Where(o => o.Kind == OpKind.Set).Select(o => o.Path).ToArray();
            Collect();
            var before = GC.GetTotalMemory(forceFullCollection: true);
            for (var i = 0; i < changes; i++)
                Check(state.Decide(new Mutate(InProcessBench.BenchWriter, [new Mutation.SetProperties(ops[i % ops.Length], PropertyMap.Of(("p", DocValue.From(i))))]), [], []));
            Collect();
            var after = GC.GetTotalMemory(forceFullCollection: true);
            history.Samples.Add((after - before) / (double)changes);
            GC.KeepAlive(state);
        }
        history.Detail = $"{changes:N0} SetProperties of one integer property on the c nodes of the workload tree, applied to a SubtreeState; memory after minus before, per change: the undo log keeps every change (old value, stamps) for as long as the subtree lives";
        ctx.Log($"  memory kept per change: {Fmt.N0(history.Median)} B");
        ctx.Finding($"The undo log is never trimmed: every change keeps about {Fmt.N0(history.Median)} B in memory for as long as the subtree lives (volatile subtrees included, and deleted nodes stay whole in it), so a long-lived DOC's memory grows with its history, not with its tree.");
    }

    private static double Measure<T>(Func<T> build, Func<T, int> count) where T : class
    {
        Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var built = build();
        Collect();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var perNode = (after - before) / (double)count(built);
        GC.KeepAlive(built);
        return perNode;
    }

    private static void Collect()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private static SubtreeState BuildState(int parents, int children)
    {
        var writer = InProcessBench.BenchWriter;
        var state = new SubtreeState("volatile", "mem");
        var inserted = new List<NodeId>();
        Check(state.Decide(new Mutate(writer, [new Mutation.InsertChildren(new NodeId("volatile", 0), [new NewNode("mem", DocNames.DefaultKind, PropertyMap.Of(("v", DocValue.From("mem"))))], InsertPosition.Append.Instance)]), [], inserted));
        var mount = new NodeTarget.ById(inserted[0]);
        for (var g = 0; g < parents; g++)
        {
            var chunk = new NewNode($"g{g}", DocNames.DefaultKind, PropertyMap.Of(("v", DocValue.From($"g{g}"))))
                .WithChildren([.. Enumerable.Range(0, children).Select(h => new NewNode($"h{h}", DocNames.DefaultKind, PropertyMap.Of(("v", DocValue.From($"n{g}.{h}")))))]);
            Check(state.Decide(new Mutate(writer, [new Mutation.InsertChildren(mount, [chunk], InsertPosition.Append.Instance)]), [], []));
        }
        return state;
    }

    private static PlainTree BuildPlain(int parents, int children)
    {
        var tree = new PlainTree();
        var mount = tree.Root.Add(new PlainTree.Node("volatile", "DocRoot")).Add(new PlainTree.Node("mem", "Node"));
        for (var g = 0; g < parents; g++)
        {
            var parent = mount.Add(new PlainTree.Node($"g{g}", "Node") { Properties = new() { ["v"] = $"g{g}" } });
            for (var h = 0; h < children; h++)
                parent.Add(new PlainTree.Node($"h{h}", "Node") { Properties = new() { ["v"] = $"n{g}.{h}" } });
        }
        return tree;
    }

    private static void Check(DocError? error)
    {
        if (error is not null) throw new InvalidOperationException($"memory build refused: {error.Message}");
    }
}
