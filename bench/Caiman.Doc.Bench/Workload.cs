using System.Collections.Immutable;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Bench;

/// <summary>What one operation of the mix does.</summary>
internal enum OpKind
{
    /// <summary>Insert a new child under a depth-3 path (<c>/volatile/M/aI/bJ</c>).</summary>
    Insert,
    /// <summary>Look up a depth-4 path (<c>/volatile/M/aI/bJ/cK</c>), expecting exactly one node.</summary>
    Find,
    /// <summary>Set property <c>p</c> on a depth-4 node.</summary>
    Set,
}

/// <summary>One operation with its path already formatted (formatting is not part of what is timed).</summary>
internal readonly record struct Op(OpKind Kind, string Path, string NewName, long Value);

/// <summary>
/// The tree and the operation mix every variant runs. The tree under a mount <c>M</c> (a subtree
/// of <c>/volatile</c> or <c>/persistent</c>) is A x B x C: <c>M/a0..a19/b0..b19/c0..c24</c>,
/// 10,421 nodes. Operations cycle insert, find, set; indices come from a fixed-seed generator,
/// so every variant runs exactly the same sequence.
/// </summary>
internal static class Workload
{
    public const int A = 20, B = 20, C = 25;
    public const int TreeNodes = 1 + A + A * B + A * B * C;

    /// <summary>The ops for one pass over one tree mounted at <paramref name="mountPath"/> (e.g. <c>/volatile/bench-0</c>).</summary>
    public static Op[] Ops(string mountPath, int count)
    {
        var ops = new Op[count];
        ulong state = 0x9E3779B97F4A7C15UL;
        int Next(int bound)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            return (int)(state % (ulong)bound);
        }
        for (var n = 0; n < count; n++)
        {
            var kind = (OpKind)(n % 3);
            var t = n / 3;
            var (a, b, c) = (Next(A), Next(B), Next(C));
            ops[n] = kind switch
            {
                OpKind.Insert => new Op(kind, $"{mountPath}/a{a}/b{b}", $"x{t}", 0),
                _ => new Op(kind, $"{mountPath}/a{a}/b{b}/c{c}", "", t),
            };
        }
        return ops;
    }

    /// <summary>The mount node with its whole tree, for a single InsertChildren (in-process only: it is ~10k nodes).</summary>
    public static NewNode WholeTree(string mountName) =>
        new NewNode(mountName).WithChildren([.. Enumerable.Range(0, A).Select(a => new NewNode($"a{a}").WithChildren(
            [.. Enumerable.Range(0, B).Select(b => new NewNode($"b{b}").WithChildren(
                [.. Enumerable.Range(0, C).Select(c => new NewNode($"c{c}"))]))]))]);

    /// <summary>The mount with its a and b levels only (421 nodes); the c level goes in <see cref="Leaves"/>.</summary>
    public static NewNode Skeleton(string mountName) =>
        new NewNode(mountName).WithChildren([.. Enumerable.Range(0, A).Select(a => new NewNode($"a{a}").WithChildren(
            [.. Enumerable.Range(0, B).Select(b => new NewNode($"b{b}"))]))]);

    /// <summary>The inserts that add the c level under every b, one message per b (small enough for a remote frame).</summary>
    public static IEnumerable<Mutate> Leaves(Writer writer, string mountPath) =>
        from a in Enumerable.Range(0, A)
        from b in Enumerable.Range(0, B)
        select new Mutate(writer, [new Mutation.InsertChildren($"{mountPath}/a{a}/b{b}",
            [.. Enumerable.Range(0, C).Select(c => new NewNode($"c{c}"))], InsertPosition.Append.Instance)]);

    /// <summary>The message an op becomes when sent to the DOC actor.</summary>
    public static object Message(in Op op, Writer writer) => op.Kind switch
    {
        OpKind.Insert => new Mutate(writer, [new Mutation.InsertChildren(op.Path, [new NewNode(op.NewName)], InsertPosition.Append.Instance)]),
        OpKind.Find => new Find(op.Path),
        _ => new Mutate(writer, [new Mutation.SetProperties(op.Path, PropertyMap.Of(("p", DocValue.From(op.Value))))]),
    };

    /// <summary>Null when a reply is what the op expects, else what is wrong with it.</summary>
    public static string? Check(object reply) => reply switch
    {
        MutationResult { Error: null } => null,
        MutationResult m => m.Error!.Message,
        QueryResult { Error: null, Nodes.Length: 1 } => null,
        QueryResult q => q.Error?.Message ?? $"find matched {q.Nodes.Length} nodes, expected 1",
        Akka.Actor.Status.Failure f => f.Cause.Message,
        _ => $"unexpected reply {reply.GetType().Name}",
    };
}
