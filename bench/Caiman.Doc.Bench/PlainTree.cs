namespace Caiman.Doc.Bench;

/// <summary>
/// The limit: the same three operations on a plain mutable class tree, in the caller's thread.
/// To be a fair baseline it does what the DOC must do for the same request: split the same
/// path string on '/', walk ordered child lists by name (names need not be unique, so every
/// matching child is followed, as in the DOC's path language), and insist that a change
/// addresses exactly one node. It does no validation, copying, versioning or undo logging.
/// </summary>
internal sealed class PlainTree
{
    internal sealed class Node(string name, string kind)
    {
        public string Name { get; } = name;
        public string Kind { get; } = kind;
        public Node? Parent { get; set; }
        public List<Node>? Children { get; set; }
        public Dictionary<string, object?>? Properties { get; set; }

        public Node Add(Node child)
        {
            child.Parent = this;
            (Children ??= []).Add(child);
            return child;
        }
    }

    public Node Root { get; } = new("", "DocRoot");

    /// <summary>A tree with <c>/volatile/{mount}</c> holding the workload's A x B x C shape.</summary>
    public static PlainTree Build(string root, string mount)
    {
        var tree = new PlainTree();
        var m = tree.Root.Add(new Node(root, "DocRoot")).Add(new Node(mount, "Node"));
        for (var a = 0; a < Workload.A; a++)
        {
            var an = m.Add(new Node($"a{a}", "Node"));
            for (var b = 0; b < Workload.B; b++)
            {
                var bn = an.Add(new Node($"b{b}", "Node"));
                for (var c = 0; c < Workload.C; c++) bn.Add(new Node($"c{c}", "Node"));
            }
        }
        return tree;
    }

    public List<Node> Resolve(string path)
    {
        var steps = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = new List<Node> { Root };
        foreach (var step in steps)
        {
            var next = new List<Node>();
            foreach (var node in current)
                if (node.Children is { } children)
                    foreach (var child in children)
                        if (child.Name == step) next.Add(child);
            current = next;
        }
        return current;
    }

    private Node Single(string path)
    {
        var found = Resolve(path);
        return found.Count == 1 ? found[0] : throw new InvalidOperationException($"'{path}' matches {found.Count} nodes");
    }

    public Node Insert(string parentPath, string name) => Single(parentPath).Add(new Node(name, "Node"));

    public Node Find(string path) => Single(path);

    public void Set(string path, string property, object? value) => (Single(path).Properties ??= new(StringComparer.Ordinal))[property] = value;

    public void Run(Op[] ops)
    {
        foreach (var op in ops)
        {
            switch (op.Kind)
            {
                case OpKind.Insert: Insert(op.Path, op.NewName); break;
                case OpKind.Find: Find(op.Path); break;
                default: Set(op.Path, "p", op.Value); break;
            }
        }
    }
}
