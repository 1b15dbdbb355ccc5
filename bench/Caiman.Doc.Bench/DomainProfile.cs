using System.Diagnostics;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;

namespace Caiman.Doc.Bench;

/// <summary>
/// A Stopwatch profile of the domain layer against the plain tree, for finding where the time
/// goes (<c>profile [rounds]</c>; not part of <c>all</c>). Each round times every part once, in
/// turn, so a busy moment of the shared machine hits all of them; the minimum over the rounds is
/// the figure least disturbed by other load, the median the typical one.
/// </summary>
internal static class DomainProfile
{
    public static int Run(int rounds)
    {
        Selection.UseInvariantCulture();
        var samples = new Dictionary<string, List<double>>();
        var bytes = new Dictionary<string, double>();
        void Add(string key, double value) => (samples.TryGetValue(key, out var list) ? list : samples[key] = []).Add(value);
        for (var round = -2; round < rounds; round++)
        {
            var ops = Workload.Ops("/volatile/m", InProcessBench.OpsPerTree);
            var messages = ops.Select(o => Workload.Message(o, InProcessBench.BenchWriter)).ToArray();
            var state = NewState();
            var plain = PlainTree.Build("volatile", "m");
            var paths = ops.Select(o => o.Path + "?" + round).ToArray(); // never cached: a fresh parse each
            var parsed = ops.Select(o => DocPathParser.Parse(o.Path)).ToArray();
            var results = new Dictionary<string, double>();
            void Part(string key, double micros)
            {
                results[key] = micros;
                bytes[key] = LastBytes;
            }
            Part("plain op", Time(() => plain.Run(ops), ops.Length));
            Part("plain, as the bench runs it", 1e6 / InProcessBench.RunPlain(2, $"p{round}"));
            Part("domain, as the bench runs it", 1e6 / InProcessBench.RunDomain(2, $"d{round}"));
            Part("parse (uncached)", Time(() => { foreach (var p in paths) DocPathParser.TryParse(p, out _, out _); }, paths.Length));
            Part("parse (cached)", Time(() => { foreach (var o in ops) DocPathParser.TryParse(o.Path, out _, out _); }, ops.Length, warm: true));
            Part("evaluate parsed path", Time(() => { foreach (var p in parsed) state.Evaluate(p.Segments, state.Root!.Parent!.Parent!); }, parsed.Length));
            Part("build messages", Time(() => { foreach (var o in ops) Workload.Message(o, InProcessBench.BenchWriter); }, ops.Length));
            var fresh = NewState();
            Part("domain op (message built)", Time(() =>
            {
                foreach (var op in ops)
                {
                    var message = Workload.Message(op, InProcessBench.BenchWriter);
                    _ = message is Mutate m ? (object?)fresh.Decide(m, [], []) : fresh.Find((Find)message);
                }
            }, ops.Length));
            foreach (var kind in new[] { OpKind.Find, OpKind.Set, OpKind.Insert })
            {
                var selected = messages.Where((_, i) => ops[i].Kind == kind).ToArray();
                var each = NewState();
                Part($"domain {kind}", Time(() =>
                {
                    foreach (var message in selected) _ = message is Mutate m ? (object?)each.Decide(m, [], []) : each.Find((Find)message);
                }, selected.Length));
            }
            if (round < 0) continue;
            foreach (var (key, value) in results) Add(key, value);
        }
        var plainMin = samples["plain op"].Min();
        Console.WriteLine($"{rounds} rounds of {InProcessBench.OpsPerTree:N0} ops; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{"part",-28} {"min µs",8} {"median µs",10} {"min / plain",12} {"B/op",8}");
        foreach (var (key, values) in samples)
        {
            var sorted = values.Order().ToList();
            Console.WriteLine($"{key,-28} {sorted[0],8:N3} {sorted[sorted.Count / 2],10:N3} {sorted[0] / plainMin,12:N2} {bytes[key],8:N0}");
        }
        return 0;
    }

    private static SubtreeState NewState()
    {
        var state = new SubtreeState("volatile", "m");
        var error = state.Decide(new Mutate(InProcessBench.BenchWriter, [new Mutation.InsertChildren(new NodeId("volatile", 0), [Workload.WholeTree("m")], InsertPosition.Append.Instance)]), [], []);
        return error is null ? state : throw new InvalidOperationException(error.Message);
    }

    private static double Time(Action action, int count, bool warm = false)
    {
        if (warm) action();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        action();
        var micros = clock.Elapsed.TotalMilliseconds * 1000 / count;
        LastBytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)count;
        return micros;
    }

    [ThreadStatic] private static double LastBytes;
}
