namespace Caiman.Checkpoints.Pipelines;

/// <summary>
/// The dependency graph of a pipeline: who runs after whom. Lists come in file order. A graph
/// may hold cycles (the loader builds one to find them); <see cref="TopologicalOrder"/>,
/// <see cref="AreOrdered"/> and <see cref="CriticalPath"/> then throw. Thread-safe: every
/// cache is computed once.
/// </summary>
public sealed class PipelineGraph
{
    private readonly string[] _names;
    private readonly Dictionary<string, int> _index;
    private readonly int[][] _dependencies;
    private readonly int[][] _dependents;
    private readonly Lazy<int[]?> _topological;
    private readonly Lazy<ulong[][]> _ancestors;

    /// <summary>The graph of a pipeline's checkpoints and their resolved <c>after</c>.</summary>
    public PipelineGraph(PipelineDefinition pipeline)
        : this((pipeline ?? throw new ArgumentNullException(nameof(pipeline))).Checkpoints.Select(c => (c.Name, (IEnumerable<string>)c.After)))
    {
    }

    /// <summary>
    /// A graph of names, in order, each with the names it depends on. Throws
    /// <see cref="ArgumentException"/> for a duplicate name or a dependency that is not one of the names.
    /// </summary>
    public PipelineGraph(IEnumerable<(string Name, IEnumerable<string> DependsOn)> checkpoints)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        var list = checkpoints.Select(c => (c.Name, DependsOn: c.DependsOn.ToList())).ToList();
        _names = [.. list.Select(c => c.Name)];
        _index = new Dictionary<string, int>(_names.Length, StringComparer.Ordinal);
        for (var i = 0; i < _names.Length; i++)
            if (!_index.TryAdd(_names[i], i))
                throw new ArgumentException($"duplicate checkpoint '{_names[i]}'", nameof(checkpoints));

        var unknown = list.SelectMany(c => c.DependsOn.Where(d => !_index.ContainsKey(d)).Select(d => $"'{d}' (after of '{c.Name}')")).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown dependencies: {string.Join(", ", unknown)}", nameof(checkpoints));

        _dependencies = [.. list.Select(c => c.DependsOn.Select(d => _index[d]).Distinct().Order().ToArray())];
        var dependents = _names.Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < _names.Length; i++)
            foreach (var dependency in _dependencies[i])
                dependents[dependency].Add(i); // i ascends, so each list is in file order
        _dependents = [.. dependents.Select(d => d.ToArray())];
        Names = Array.AsReadOnly(_names);
        _topological = new Lazy<int[]?>(ComputeTopologicalOrder);
        _ancestors = new Lazy<ulong[][]>(ComputeAncestors);
    }

    /// <summary>Every checkpoint, in file order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Whether a checkpoint of this name is in the graph.</summary>
    public bool Contains(string name) => _index.ContainsKey(name);

    /// <summary>The checkpoints <paramref name="name"/> depends on directly.</summary>
    public IReadOnlyList<string> DependenciesOf(string name) => ToNames(_dependencies[IndexOf(name)]);

    /// <summary>The checkpoints that depend on <paramref name="name"/> directly.</summary>
    public IReadOnlyList<string> DependentsOf(string name) => ToNames(_dependents[IndexOf(name)]);

    /// <summary>Every checkpoint that depends on <paramref name="name"/>, directly or not, without itself.</summary>
    public IReadOnlyList<string> TransitiveDependents(string name) => Closure(IndexOf(name), _dependents);

    /// <summary>Every checkpoint <paramref name="name"/> depends on, directly or not, without itself.</summary>
    public IReadOnlyList<string> TransitiveDependencies(string name) => Closure(IndexOf(name), _dependencies);

    /// <summary>
    /// Whether a dependency path joins the two either way, so they can never run at the same
    /// time. A checkpoint is ordered with itself. The first call computes reachability for the
    /// whole graph (a bitset per checkpoint); later calls are constant time.
    /// </summary>
    public bool AreOrdered(string a, string b)
    {
        var (from, to) = (IndexOf(a), IndexOf(b));
        if (from == to)
            return true;
        var ancestors = _ancestors.Value;
        return IsSet(ancestors[to], from) || IsSet(ancestors[from], to);
    }

    /// <summary>Whether the graph has a dependency cycle.</summary>
    public bool HasCycle => _topological.Value is null;

    /// <summary>
    /// The checkpoints in an order where each comes after its dependencies; among those ready at
    /// the same time, file order. Throws <see cref="InvalidOperationException"/> when there is a cycle.
    /// </summary>
    public IReadOnlyList<string> TopologicalOrder => ToNames(Topological());

    /// <summary>
    /// The longest chain of dependencies by total weight: what bounds the pipeline's duration with
    /// unlimited parallelism. <paramref name="weight"/> is called once per checkpoint. Ties go to
    /// the checkpoint earlier in the file. Empty graph: zero and no path.
    /// </summary>
    public (TimeSpan Length, IReadOnlyList<string> Path) CriticalPath(Func<string, TimeSpan> weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var order = Topological();
        var length = new TimeSpan[_names.Length];
        var previous = new int[_names.Length];
        foreach (var node in order)
        {
            previous[node] = -1;
            var longest = TimeSpan.Zero;
            foreach (var dependency in _dependencies[node])
            {
                if (previous[node] < 0 || length[dependency] > longest)
                {
                    longest = length[dependency];
                    previous[node] = dependency;
                }
            }
            length[node] = longest + weight(_names[node]);
        }
        var end = -1;
        for (var i = 0; i < _names.Length; i++)
            if (end < 0 || length[i] > length[end])
                end = i;
        if (end < 0)
            return (TimeSpan.Zero, []);
        var path = new List<string>();
        for (var node = end; node >= 0; node = previous[node])
            path.Add(_names[node]);
        path.Reverse();
        return (length[end], path);
    }

    /// <summary>
    /// One cycle for each group of checkpoints caught in cycles (a strongly connected
    /// component), so each is reported once. A cycle starts at its checkpoint earliest in the
    /// file and lists, in order, checkpoints that each run after the one before; the last runs
    /// before the first again (which is not repeated). A checkpoint depending on itself is a cycle of one.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> FindCycles()
    {
        var cycles = new List<IReadOnlyList<string>>();
        foreach (var component in StronglyConnectedComponents().OrderBy(c => c.Min()))
        {
            var start = component.Min();
            if (component.Count == 1 && !_dependencies[start].Contains(start))
                continue;
            cycles.Add(ToNames(ShortestCycle(start, component.ToHashSet())));
        }
        return cycles;
    }

    private int IndexOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _index.TryGetValue(name, out var index) ? index : throw new ArgumentException($"unknown checkpoint '{name}'", nameof(name));
    }

    private string[] ToNames(IEnumerable<int> indexes) => [.. indexes.Select(i => _names[i])];

    private string[] Closure(int start, int[][] edges)
    {
        var seen = new bool[_names.Length];
        var stack = new Stack<int>(edges[start]);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (seen[node])
                continue;
            seen[node] = true;
            foreach (var next in edges[node])
                if (!seen[next])
                    stack.Push(next);
        }
        seen[start] = false;
        var result = new List<string>();
        for (var i = 0; i < seen.Length; i++)
            if (seen[i])
                result.Add(_names[i]);
        return [.. result];
    }

    private int[] Topological()
    {
        if (_topological.Value is { } order)
            return order;
        var cycle = FindCycles()[0];
        throw new InvalidOperationException($"the graph has a dependency cycle: {string.Join(" -> ", cycle.Append(cycle[0]))}");
    }

    // Kahn's algorithm, taking the ready checkpoint earliest in the file first; null when cyclic.
    private int[]? ComputeTopologicalOrder()
    {
        var waiting = _dependencies.Select(d => d.Length).ToArray();
        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < waiting.Length; i++)
            if (waiting[i] == 0)
                ready.Enqueue(i, i);
        var order = new List<int>(_names.Length);
        while (ready.TryDequeue(out var node, out _))
        {
            order.Add(node);
            foreach (var dependent in _dependents[node])
                if (--waiting[dependent] == 0)
                    ready.Enqueue(dependent, dependent);
        }
        return order.Count == _names.Length ? [.. order] : null;
    }

    // ancestors[v] has bit u set when v depends on u, directly or not. Built in topological order,
    // so each set is the union of its dependencies' sets: O(edges × n / 64).
    private ulong[][] ComputeAncestors()
    {
        var order = Topological();
        var words = (_names.Length + 63) / 64;
        var ancestors = new ulong[_names.Length][];
        foreach (var node in order)
        {
            var bits = new ulong[words];
            foreach (var dependency in _dependencies[node])
            {
                var inherited = ancestors[dependency];
                for (var w = 0; w < words; w++)
                    bits[w] |= inherited[w];
                bits[dependency >> 6] |= 1UL << (dependency & 63);
            }
            ancestors[node] = bits;
        }
        return ancestors;
    }

    private static bool IsSet(ulong[] bits, int index) => (bits[index >> 6] & (1UL << (index & 63))) != 0;

    // Tarjan's algorithm without recursion, so a chain of thousands cannot overflow the stack.
    private List<List<int>> StronglyConnectedComponents()
    {
        var count = _names.Length;
        var index = new int[count];
        var low = new int[count];
        var onStack = new bool[count];
        Array.Fill(index, -1);
        var stack = new Stack<int>();
        var components = new List<List<int>>();
        var next = 0;
        var work = new Stack<(int Node, int Edge)>();
        for (var root = 0; root < count; root++)
        {
            if (index[root] >= 0)
                continue;
            work.Push((root, 0));
            while (work.Count > 0)
            {
                var (node, edge) = work.Pop();
                if (edge == 0)
                {
                    index[node] = low[node] = next++;
                    stack.Push(node);
                    onStack[node] = true;
                }
                var edges = _dependents[node];
                var descended = false;
                for (; edge < edges.Length; edge++)
                {
                    var target = edges[edge];
                    if (index[target] < 0)
                    {
                        work.Push((node, edge + 1));
                        work.Push((target, 0));
                        descended = true;
                        break;
                    }
                    if (onStack[target])
                        low[node] = Math.Min(low[node], index[target]);
                }
                if (descended)
                    continue;
                if (low[node] == index[node])
                {
                    var component = new List<int>();
                    int member;
                    do
                    {
                        member = stack.Pop();
                        onStack[member] = false;
                        component.Add(member);
                    }
                    while (member != node);
                    components.Add(component);
                }
                if (work.Count > 0)
                {
                    var parent = work.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[node]);
                }
            }
        }
        return components;
    }

    // Breadth-first from start along "runs before" edges, inside the component, back to start.
    private List<int> ShortestCycle(int start, HashSet<int> component)
    {
        var previous = new Dictionary<int, int> { [start] = -1 };
        var queue = new Queue<int>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            foreach (var next in _dependents[node])
            {
                if (next == start)
                {
                    var cycle = new List<int>();
                    for (var n = node; n >= 0; n = previous[n])
                        cycle.Add(n);
                    cycle.Reverse();
                    return cycle;
                }
                if (component.Contains(next) && previous.TryAdd(next, node))
                    queue.Enqueue(next);
            }
        }
        return [start]; // unreachable for a real cycle
    }
}
