using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;

namespace Caiman.Doc.Bench;

/// <summary>The plain tree (the limit), the domain layer alone, and the DOC actors in process.</summary>
internal static class InProcessBench
{
    public static readonly Writer BenchWriter = Writer.User("bench");

    /// <summary>Ops per tree: a third are inserts, so a tree grows from 10,421 to ~15,400 nodes during its pass.</summary>
    public const int OpsPerTree = 15_000;

    public static int PlainTrees(BenchContext ctx) => ctx.Quick ? 8 : 20;
    public static int PipelinedTrees(BenchContext ctx) => ctx.Quick ? 2 : 6;
    public static int AwaitedTrees(BenchContext ctx) => ctx.Quick ? 1 : 3;

    public static Figure PlainFigure(BenchContext ctx) => ctx.Figure("plain", "Plain in-memory C# tree (the limit)", "ops/s");

    // ---- Plain tree -------------------------------------------------------------------------------

    public static void Plain(BenchContext ctx)
    {
        var figure = PlainFigure(ctx);
        var trees = PlainTrees(ctx);
        ctx.Log($"plain tree: {trees} trees x {OpsPerTree:N0} ops per rep");
        RunPlain(trees, "warm"); // warm-up (JIT, tiering)
        RunPlain(trees, "warm");
        for (var rep = 0; rep < ctx.Reps; rep++)
        {
            var rate = RunPlain(trees, $"bench-{rep}");
            figure.Samples.Add(rate);
            ctx.Log($"  plain rep {rep}: {Fmt.N0(rate)} ops/s");
        }
        figure.Detail = $"{Fmt.Count(trees, "pass", "passes")} of {OpsPerTree:N0} ops per repetition, each on a fresh {Workload.TreeNodes:N0}-node tree";

        // The domain layer alone: SubtreeState.Decide/Find called directly, no actors, no messages.
        var domain = ctx.Figure("domain", "DOC domain layer alone (SubtreeState, no actors)", "ops/s");
        RunDomain(2, "warm");
        RunDomain(2, "warm");
        for (var rep = 0; rep < ctx.Reps; rep++)
        {
            var rate = RunDomain(ctx.Quick ? 2 : 4, $"bench-{rep}");
            domain.Samples.Add(rate);
            ctx.Log($"  domain rep {rep}: {Fmt.N0(rate)} ops/s");
        }
        domain.Detail = "the subtree actor's work per message (path parse, validation, events, undo log, DocNode copies) without any messaging";
        Breakdown(ctx);
    }

    /// <summary>Microseconds per op of each kind in the domain layer, of parsing a path, and of the JSON a remote op costs.</summary>
    private static void Breakdown(BenchContext ctx)
    {
        var figures = new Dictionary<string, Figure>
        {
            ["parse"] = ctx.Figure("us-parse", "DocPathParser.TryParse of one op's path", "µs/op"),
            [nameof(OpKind.Find)] = ctx.Figure("us-find", "Domain layer: one Find of a depth-4 path", "µs/op"),
            [nameof(OpKind.Set)] = ctx.Figure("us-set", "Domain layer: one SetProperties on a depth-4 path", "µs/op"),
            [nameof(OpKind.Insert)] = ctx.Figure("us-insert", "Domain layer: one InsertChildren under a depth-3 path", "µs/op"),
            ["plain"] = ctx.Figure("us-plain", "Plain tree: one op of the mix", "µs/op"),
            ["json"] = ctx.Figure("us-json", "DOC JSON serializer: one op's request and reply, each written and read once", "µs/op"),
            ["sourcegen"] = ctx.Figure("us-sourcegen", "Candidate: System.Text.Json source-generated, one op's request and reply, each written and read once", "µs/op"),
            ["binary"] = ctx.Figure("us-binary", "DocSerializer (binary wire format): one op's request and reply, each written and read once", "µs/op"),
        };
        for (var rep = -1; rep < ctx.Reps; rep++)
        {
            var ops = Workload.Ops("/volatile/m", OpsPerTree);
            var state = new SubtreeState("volatile", "m");
            state.Decide(new Mutate(BenchWriter, [new Mutation.InsertChildren(new NodeId("volatile", 0), [Workload.WholeTree("m")], InsertPosition.Append.Instance)]), [], []);
            var plain = PlainTree.Build("volatile", "m");
            var samples = new Dictionary<string, double>();
            double Time(Action action, int count)
            {
                var clock = Stopwatch.StartNew();
                action();
                return clock.Elapsed.TotalMilliseconds * 1000 / count;
            }
            samples["parse"] = Time(() => { foreach (var op in ops) Caiman.Doc.Paths.DocPathParser.TryParse(op.Path, out _, out _); }, ops.Length);
            var replies = new List<(object Request, object Reply)>();
            foreach (var kind in new[] { OpKind.Find, OpKind.Set, OpKind.Insert })
            {
                var selected = ops.Where(o => o.Kind == kind).Select(o => Workload.Message(o, BenchWriter)).ToArray();
                var kept = 0;
                samples[kind.ToString()] = Time(() =>
                {
                    foreach (var message in selected)
                    {
                        object reply = message is Mutate m ? (state.Decide(m, [], []) is { } e ? MutationResult.Failed(e) : new MutationResult([], null)) : state.Find((Find)message);
                        if (kept++ < 1000) replies.Add((message, reply));
                    }
                }, selected.Length);
            }
            samples["plain"] = Time(() => plain.Run(ops), ops.Length);
            samples["json"] = Time(() =>
            {
                foreach (var (request, reply) in replies)
                {
                    Roundtrip(request);
                    Roundtrip(reply);
                }
            }, replies.Count);
            samples["sourcegen"] = Time(() =>
            {
                foreach (var (request, reply) in replies)
                {
                    SourceGenRoundtrip(request);
                    SourceGenRoundtrip(reply);
                }
            }, replies.Count);
            samples["binary"] = Time(() =>
            {
                foreach (var (request, reply) in replies)
                {
                    BinaryRoundtrip(request);
                    BinaryRoundtrip(reply);
                }
            }, replies.Count);
            if (rep == 0) ctx.Facts["wire-bytes"] = $"one op's request and reply take {Fmt.N0(replies.Average(r => Binary.ToBinary(r.Request).Length + Binary.ToBinary(r.Reply).Length))} bytes in the binary format (JSON: {Fmt.N0(replies.Average(r => JsonBytes(r.Request) + JsonBytes(r.Reply)))})";
            if (rep == 0) ctx.Note($"one op's request and reply in bytes (the first 1,000 of a pass, average): JSON {Fmt.N0(replies.Average(r => JsonBytes(r.Request) + JsonBytes(r.Reply)))}, binary {Fmt.N0(replies.Average(r => Binary.ToBinary(r.Request).Length + Binary.ToBinary(r.Reply).Length))}");
            if (rep < 0) continue;
            foreach (var (key, value) in samples) figures[key].Samples.Add(value);
        }
        ctx.Log($"  breakdown (µs/op): parse {Fmt.N2(figures["parse"].Median)}, find {Fmt.N2(figures[nameof(OpKind.Find)].Median)}, set {Fmt.N2(figures[nameof(OpKind.Set)].Median)}, insert {Fmt.N2(figures[nameof(OpKind.Insert)].Median)}, plain {Fmt.N2(figures["plain"].Median)}, json {Fmt.N2(figures["json"].Median)}, source-generated json {Fmt.N2(figures["sourcegen"].Median)}, binary {Fmt.N2(figures["binary"].Median)}");
        figures["json"].Detail = "System.Text.Json with the DOC's options (DocJson.Options, reflection metadata), the wire format before this one and still the journal's";
        figures["sourcegen"].Detail = "System.Text.Json with source-generated metadata (bench/Caiman.Doc.Bench/WireJsonContext.cs), the other candidate for the wire format";
        figures["binary"].Detail = "DocSerializer.ToBinary/FromBinary: the hand-written binary format every wire message now travels in";
        figures["parse"].Detail = $"DocPathParser.TryParse over the {OpsPerTree:N0} paths of one pass, through its process-wide cache of parsed paths (16,384 direct-mapped slots; about a third of a pass's paths repeat); the client reads only a path's first two steps to route it, the subtree parses it";
    }

    private static readonly Caiman.Doc.Serialization.DocSerializer Binary = new(null!);

    private static int JsonBytes(object message) => Caiman.Doc.Serialization.DocSerializer.ToJson(message).Length;

    private static void BinaryRoundtrip(object message) => _ = Binary.FromBinary(Binary.ToBinary(message), Binary.Manifest(message));

    private static void SourceGenRoundtrip(object message)
    {
        var info = WireJsonContext.Default.GetTypeInfo(message.GetType())!;
        var bytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(message, info);
        _ = System.Text.Json.JsonSerializer.Deserialize(bytes, info);
    }

    private static void Roundtrip(object message)
    {
        var info = Caiman.Doc.Serialization.DocJson.Options.GetTypeInfo(message.GetType());
        var bytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(message, info);
        _ = System.Text.Json.JsonSerializer.Deserialize(bytes, info);
    }

    internal static double RunPlain(int trees, string prefix)
    {
        var built = Enumerable.Range(0, trees).Select(t => (Tree: PlainTree.Build("volatile", $"{prefix}-{t}"), Ops: Workload.Ops($"/volatile/{prefix}-{t}", OpsPerTree))).ToList();
        var clock = Stopwatch.StartNew();
        foreach (var (tree, ops) in built) tree.Run(ops);
        clock.Stop();
        return trees * OpsPerTree / clock.Elapsed.TotalSeconds;
    }

    internal static double RunDomain(int trees, string prefix)
    {
        var built = Enumerable.Range(0, trees).Select(t =>
        {
            var state = new SubtreeState("volatile", $"{prefix}-{t}");
            var error = state.Decide(new Mutate(BenchWriter, [new Mutation.InsertChildren(new NodeId("volatile", 0), [Workload.WholeTree($"{prefix}-{t}")], InsertPosition.Append.Instance)]), [], []);
            if (error is not null) throw new InvalidOperationException($"domain build failed: {error.Message}");
            return (State: state, Ops: Workload.Ops($"/volatile/{prefix}-{t}", OpsPerTree));
        }).ToList();
        var clock = Stopwatch.StartNew();
        foreach (var (state, ops) in built)
            foreach (var op in ops)
            {
                var message = Workload.Message(op, BenchWriter);
                var reply = message is Mutate m
                    ? (object)(state.Decide(m, [], []) is { } e ? MutationResult.Failed(e) : new MutationResult([], null))
                    : state.Find((Find)message);
                if (Workload.Check(reply) is { } problem) throw new InvalidOperationException($"domain op {op} failed: {problem}");
            }
        clock.Stop();
        return trees * OpsPerTree / clock.Elapsed.TotalSeconds;
    }

    // ---- Actors in process ------------------------------------------------------------------------

    public static async Task InProcess(BenchContext ctx)
    {
        {
            var system = ActorSystem.Create("inproc-echo", AkkaConfigs.InMemory());
            try { await EchoFloor(ctx, system, system.ActorOf(PipelineDriver.Props(), "driver"), system.ActorOf(EchoActor.Props(), "echo"), "inproc"); }
            finally { await system.Terminate(); }
        }

        // Each repetition gets a new ActorSystem and DOC, so no repetition pays for the garbage and
        // the undo log (the inserts it keeps) of the ones before it. Repetition -1 warms up.
        const int window = 2000;
        ctx.Log($"in-process pipelined: {PipelinedTrees(ctx)} trees x {OpsPerTree:N0} ops per rep, window {window}, a new ActorSystem per rep");
        var pipelined = ctx.Figure("inproc-pipelined", "Actor DOC in process, pipelined", "ops/s", "≥ 0.8 × plain tree", ratioTarget: 0.8);
        var pipelinedCpu = ctx.Figure("inproc-pipelined-cpu", "CPU time per op, actor DOC in process, pipelined (all threads)", "µs/op");
        for (var rep = -1; rep < ctx.Reps; rep++)
        {
            var system = ActorSystem.Create("inproc", AkkaConfigs.InMemory());
            try
            {
                var doc = DocClient.Start(system, "bench");
                var driver = system.ActorOf(PipelineDriver.Props(), "driver");
                var (rate, result) = await Pipelined(doc, driver, "p", PipelinedTrees(ctx), window, BuildLocal);
                Expect(ctx, result, "in-process pipelined");
                if (rep == 0) await Verify(ctx, doc, "/volatile/p-0", "in-process pipelined");
                if (rep >= 0)
                {
                    pipelined.Samples.Add(rate);
                    pipelinedCpu.Samples.Add(LastCpuMicros);
                }
                ctx.Log($"  pipelined rep {rep}: {Fmt.N0(rate)} ops/s, CPU {Fmt.N2(LastCpuMicros)} µs per op");
            }
            finally { await system.Terminate(); }
        }
        pipelined.Detail = $"{Fmt.Count(PipelinedTrees(ctx), "pass", "passes")} of {OpsPerTree:N0} ops per repetition, each on a fresh tree, a new ActorSystem per repetition; Tell from a driver actor, at most {window} unanswered";

        ctx.Log($"in-process awaited: {AwaitedTrees(ctx)} trees x {OpsPerTree:N0} ops per rep, a new ActorSystem per rep");
        var awaited = ctx.Figure("inproc-awaited", "Actor DOC in process, one awaited call per op", "ops/s", "≥ 500,000 ops/s", v => v >= 500_000);
        var awaitedCpu = ctx.Figure("inproc-awaited-cpu", "CPU time per op, actor DOC in process, awaited (all threads)", "µs/op");
        for (var rep = -1; rep < ctx.Reps; rep++)
        {
            var system = ActorSystem.Create("inproc", AkkaConfigs.InMemory());
            try
            {
                var doc = DocClient.Start(system, "bench");
                var rate = await Awaited(doc, "w", AwaitedTrees(ctx), BuildLocal);
                if (rep == 0) await Verify(ctx, doc, "/volatile/w-0", "in-process awaited");
                if (rep >= 0)
                {
                    awaited.Samples.Add(rate);
                    awaitedCpu.Samples.Add(LastCpuMicros);
                }
                ctx.Log($"  awaited rep {rep}: {Fmt.N0(rate)} ops/s, CPU {Fmt.N2(LastCpuMicros)} µs per op");
            }
            finally { await system.Terminate(); }
        }
        awaited.Detail = $"{Fmt.Count(AwaitedTrees(ctx), "pass", "passes")} of {OpsPerTree:N0} ops per repetition, each on a fresh tree, a new ActorSystem per repetition; `await doc.InsertAsync/FindAsync/SetAsync` one at a time";
    }

    /// <summary>The cost of Akka messaging alone on this machine: Tell and Ask to an actor that only echoes.</summary>
    public static async Task EchoFloor(BenchContext ctx, ActorSystem system, IActorRef driver, IActorRef echo, string where)
    {
        var total = ctx.Quick ? 100_000 : 300_000;
        const string payload = "ping";
        string? Check(object reply) => reply is string ? null : $"echo replied {reply.GetType().Name}";
        await PipelineDriver.RunAsync(driver, echo, total / 3, 2000, _ => payload, Check, TimeSpan.FromMinutes(2));
        var pipelined = ctx.Figure($"{where}-echo-pipelined", $"Akka floor ({where}): pipelined Tell to an echo actor, no DOC", "ops/s");
        for (var rep = 0; rep < ctx.Reps; rep++)
        {
            var (result, seconds) = await PipelineDriver.RunAsync(driver, echo, total, 2000, _ => payload, Check, TimeSpan.FromMinutes(2));
            if (result.Errors > 0) throw new InvalidOperationException(result.FirstError);
            pipelined.Samples.Add(total / seconds);
        }
        ctx.Log($"  {pipelined.Name}: {Fmt.N0(pipelined.Median)} ops/s");
        var asks = where == "inproc" ? (ctx.Quick ? 20_000 : 50_000) : (ctx.Quick ? 3_000 : 6_000);
        var awaited = ctx.Figure($"{where}-echo-awaited", $"Akka floor ({where}): awaited Ask to an echo actor, no DOC", "ops/s");
        for (var i = 0; i < asks / 4; i++) await echo.Ask<string>(payload, TimeSpan.FromSeconds(10));
        for (var rep = 0; rep < ctx.Reps; rep++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < asks; i++) await echo.Ask<string>(payload, TimeSpan.FromSeconds(10));
            awaited.Samples.Add(asks / clock.Elapsed.TotalSeconds);
        }
        ctx.Log($"  {awaited.Name}: {Fmt.N0(awaited.Median)} ops/s");
    }

    public delegate Task TreeBuilder(DocClient doc, string mount);

    /// <summary>In process the whole tree goes in one InsertChildren.</summary>
    public static async Task BuildLocal(DocClient doc, string mount) => await doc.InsertAsync("/volatile", Workload.WholeTree(mount));

    /// <summary>Over the network: the a/b skeleton, then one message per b with its 25 leaves, pipelined.</summary>
    public static async Task BuildChunked(DocClient doc, string mount)
    {
        await doc.InsertAsync("/volatile", Workload.Skeleton(mount));
        var results = await Task.WhenAll(Workload.Leaves(doc.Writer, $"/volatile/{mount}").Select(m => doc.Actor.Ask<MutationResult>(m, doc.Timeout)));
        if (results.FirstOrDefault(r => r.Error is not null) is { } failed) throw new DocException(failed.Error!);
    }

    /// <summary>Builds the trees (not timed), then runs all their ops through the driver; returns ops/s.</summary>
    public static async Task<(double Rate, PipelineResult Result)> Pipelined(DocClient doc, IActorRef driver, string prefix, int trees, int window, TreeBuilder build)
    {
        var ops = new List<Op>(trees * OpsPerTree);
        for (var t = 0; t < trees; t++)
        {
            await build(doc, $"{prefix}-{t}");
            ops.AddRange(Workload.Ops($"/volatile/{prefix}-{t}", OpsPerTree));
        }
        var all = ops.ToArray();
        var writer = doc.Writer;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        // Through the client: each message goes straight to its subtree's actor once the client knows it.
        var (result, seconds) = await PipelineDriver.RunAsync(driver, doc.Actor, all.Length, window, i => Workload.Message(all[i], writer), Workload.Check, TimeSpan.FromMinutes(5),
            (message, sender) => doc.Tell((IDocMessage)message, sender));
        LastCpuMicros = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds * 1000 / all.Length;
        return (all.Length / seconds, result);
    }

    public static double LastCpuMicros { get; private set; }

    public static async Task<double> Awaited(DocClient doc, string prefix, int trees, TreeBuilder build)
    {
        var passes = new List<Op[]>();
        for (var t = 0; t < trees; t++)
        {
            await build(doc, $"{prefix}-{t}");
            passes.Add(Workload.Ops($"/volatile/{prefix}-{t}", OpsPerTree));
        }
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        foreach (var ops in passes) await AwaitedOps(doc, ops);
        clock.Stop();
        LastCpuMicros = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds * 1000 / (trees * OpsPerTree);
        return trees * OpsPerTree / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The ops one at a time through the client's own calls, each awaited before the next.</summary>
    public static async Task AwaitedOps(DocClient doc, Op[] ops)
    {
        foreach (var op in ops)
        {
            switch (op.Kind)
            {
                case OpKind.Insert:
                    await doc.InsertAsync(op.Path, new NewNode(op.NewName));
                    break;
                case OpKind.Find:
                    var found = await doc.FindAsync(op.Path);
                    if (found.Length != 1) throw new InvalidOperationException($"find '{op.Path}' matched {found.Length} nodes");
                    break;
                default:
                    await doc.SetAsync(op.Path, "p", op.Value);
                    break;
            }
        }
    }

    public static void Expect(BenchContext ctx, PipelineResult result, string what)
    {
        if (result.Errors > 0) ctx.Problem($"{what}: {result.Errors} of {result.Replies} replies were errors; first: {result.FirstError}");
    }

    /// <summary>Compares the DOC's tree after a pass with the plain tree after the same ops: names, order, child counts, property p.</summary>
    public static async Task Verify(BenchContext ctx, DocClient doc, string mountPath, string what)
    {
        var found = await doc.FindAsync(mountPath, QueryShape.Subtree);
        if (found.Length != 1) { ctx.Problem($"{what}: '{mountPath}' matched {found.Length} nodes after the run"); return; }
        var mount = mountPath[(mountPath.LastIndexOf('/') + 1)..];
        var plain = PlainTree.Build("volatile", mount);
        plain.Run(Workload.Ops(mountPath, OpsPerTree));
        var expected = plain.Find(mountPath);
        var count = 0;
        var difference = Compare(found[0], expected, ref count);
        if (difference is not null) ctx.Problem($"{what}: DOC tree at {mountPath} differs from the plain tree after the same ops: {difference}");
        else ctx.Log($"  verified {what}: {count:N0} nodes identical to the plain tree after the same ops");
    }

    private static string? Compare(DocNode doc, PlainTree.Node plain, ref int count)
    {
        count++;
        if (doc.Name != plain.Name) return $"{doc.Path}: name '{doc.Name}' vs '{plain.Name}'";
        var plainChildren = plain.Children ?? [];
        if (doc.ChildCount != plainChildren.Count || doc.Children.Length != plainChildren.Count)
            return $"{doc.Path}: {doc.ChildCount} children (copied {doc.Children.Length}) vs {plainChildren.Count}";
        object? expectedP = plain.Properties is { } props && props.TryGetValue("p", out var v) ? v : null;
        var actualP = doc["p"] is DocValue.Integer i ? (object)i.Value : null;
        if (!Equals(expectedP, actualP)) return $"{doc.Path}: p = {actualP ?? "absent"} vs {expectedP ?? "absent"}";
        for (var k = 0; k < plainChildren.Count; k++)
            if (Compare(doc.Children[k], plainChildren[k], ref count) is { } d) return d;
        return null;
    }
}
