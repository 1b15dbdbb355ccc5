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

        UndoLog(ctx);
    }

    private static readonly Writer Builder = Writer.User("builder"), Setter = Writer.User("setter"), Other = Writer.User("other");

    /// <summary>
    /// What a change keeps in memory (its undo entry), in three patterns on the workload tree, which
    /// <see cref="Builder"/> inserts, so every change below is made on nodes the setting writers did not insert.
    /// </summary>
    private static void UndoLog(BenchContext ctx)
    {
        var repeats = ctx.Quick ? 50_000 : 200_000;
        var leaves = Enumerable.Range(0, Workload.A).SelectMany(a => Enumerable.Range(0, Workload.B).SelectMany(b =>
            Enumerable.Range(0, Workload.C).Select(c => $"/volatile/h/a{a}/b{b}/c{c}"))).ToArray();
        const string one = "/volatile/h/a7/b3/c11";
        Mutate Set(Writer writer, string path, int i) => new(writer, [new Mutation.SetProperties(path, PropertyMap.Of(("p", DocValue.From(i))))]);

        var cases = new (string Key, string Name, int Changes, Func<int, Mutate> Change, string Detail)[]
        {
            ("memory-per-change-same", "Memory kept per SetProperties, one writer setting the same property of one node again and again", repeats,
                i => Set(Setter, one, i),
                $"{repeats:N0} SetProperties of one integer property p on one node by one writer (not the node's inserter), applied to a SubtreeState through Decide; memory after minus before, divided by the changes: only its first change needs an undo entry"),
            ("memory-per-change-distinct", $"Memory kept per SetProperties, one writer setting a property once on each of {leaves.Length:N0} distinct nodes", leaves.Length,
                i => Set(Setter, leaves[i], i),
                $"one SetProperties of p on each of the {leaves.Length:N0} c nodes by one writer that did not insert them, so every change is that writer's first on its node and keeps an undo entry; memory after minus before, divided by the changes (the new property on each node included)"),
            ("memory-per-change-alternating", "Memory kept per SetProperties, two writers taking turns on the same property of one node", repeats,
                i => Set(i % 2 == 0 ? Setter : Other, one, i),
                $"{repeats:N0} SetProperties of p on one node, two writers taking turns, so each change is made on top of the other writer's; memory after minus before, divided by the changes"),
        };
        foreach (var (key, name, changes, change, detail) in cases)
        {
            var figure = ctx.Figure(key, name, "B");
            for (var rep = 0; rep < ctx.Reps; rep++)
            {
                var state = new SubtreeState("volatile", "h");
                Check(state.Decide(new Mutate(Builder, [new Mutation.InsertChildren(new NodeId("volatile", 0), [Workload.WholeTree("h")], InsertPosition.Append.Instance)]), [], []));
                Collect();
                var before = GC.GetTotalMemory(forceFullCollection: true);
                for (var i = 0; i < changes; i++) Check(state.Decide(change(i), [], []));
                Collect();
                var after = GC.GetTotalMemory(forceFullCollection: true);
                figure.Samples.Add((after - before) / (double)changes);
                GC.KeepAlive(state);
            }
            figure.Detail = detail + "; each message is built just before it is applied and is garbage afterwards, so what is counted is what the subtree's state keeps (values included)";
            ctx.Log($"  {name}: {Fmt.N1(figure.Median)} B per change");
        }

        double M(string key) => ctx.Find(key)!.Median;
        var (same, distinct, alternating) = (M("memory-per-change-same"), M("memory-per-change-distinct"), M("memory-per-change-alternating"));
        var repeatsAreFree = same < 0.05 * distinct;
        var turnsKeepEach = alternating >= 0.5 * distinct;
        ctx.Finding($"What the undo log keeps in memory, by pattern: one writer setting the same property of one node {repeats:N0} times kept {Fmt.N1(same)} B per change (samples from {Fmt.N1(ctx.Find("memory-per-change-same")!.Samples.Min())} to {Fmt.N1(ctx.Find("memory-per-change-same")!.Samples.Max())} B); " +
            $"one writer setting a property once on each of {leaves.Length:N0} distinct nodes kept {Fmt.N0(distinct)} B per change (its undo entry plus the new property and its stamp on the node); two writers taking turns on the same property kept {Fmt.N0(alternating)} B per change. " +
            (repeatsAreFree
                ? "So repeated changes by the same writer to what it already changed cost next to nothing: memory grew with the distinct node properties a writer changed, not with how often"
                : $"Repeated changes by the same writer kept {Fmt.N0(100 * same / distinct)}% of what a first change keeps, so they are not free in this run") +
            (turnsKeepEach
                ? $", but it grows with every change when writers take turns on the same property (about {Fmt.N0(alternating)} MB per million such changes)."
                : ", and writers taking turns on the same property kept less than half of that per change."));
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
