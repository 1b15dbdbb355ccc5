using Caiman.Doc.Model;

namespace Caiman.Doc.Tree;

/// <summary>Who made a change and when (the subtree's change counter). Writer null: nobody yet.</summary>
internal readonly record struct Stamp(Writer? Writer, long Seq)
{
    public static readonly Stamp None = new(null, 0);
}

/// <summary>
/// A node as its subtree actor keeps it. Mutable, but only ever touched by that one actor;
/// everything that leaves the actor is an immutable <see cref="DocNode"/> copy.
/// </summary>
internal sealed class TreeNode(long serial, string name, string kind, PropertyMap properties)
{
    public long Serial { get; } = serial;
    public string Name { get; } = name;
    public string Kind { get; } = kind;
    public PropertyMap Properties { get; set; } = properties;
    public TreeNode? Parent { get; set; }
    public List<TreeNode>? Children { get; set; }
    public long Version { get; set; } = 1;

    /// <summary>
    /// The node's canonical path once asked for. Nodes are never renamed or moved (an undone
    /// removal puts a node back under the same parent), so it never goes stale.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>The change that inserted this node.</summary>
    public Stamp Inserted { get; set; }

    /// <summary>
    /// Writers that deleted children of this node, one entry per deletion. Reverting the writer
    /// that inserted this node would undo their work too; inserted children show their own stamp.
    /// </summary>
    public List<Writer>? ChildDeleters { get; set; }

    /// <summary>Stamps of properties changed after insertion; a property not listed carries <see cref="Inserted"/>.</summary>
    public (string Key, Stamp Stamp)[]? PropertyStamps { get; set; }

    /// <summary>
    /// A deleted node stays in its parent's list, hidden, until its deletion is undone: undoing it
    /// then puts it back exactly where it was relative to everything inserted around it since.
    /// </summary>
    public bool Hidden { get; set; }

    /// <summary>How many entries of <see cref="Children"/> are hidden.</summary>
    public int HiddenChildren { get; set; }

    /// <summary>The number of children a reader sees.</summary>
    public int ChildCount => (Children?.Count ?? 0) - HiddenChildren;

    public IEnumerable<TreeNode> VisibleChildren => Children is null ? [] : HiddenChildren == 0 ? Children : Children.Where(c => !c.Hidden);

    public Stamp StampOf(string key)
    {
        if (PropertyStamps is { } stamps)
            foreach (var (k, stamp) in stamps)
                if (k == key) return stamp;
        return Inserted;
    }

    /// <summary>Sets a property's stamp; null puts it back to the insertion stamp.</summary>
    public void SetStamp(string key, Stamp? stamp)
    {
        var stamps = PropertyStamps;
        var index = -1;
        if (stamps is not null)
            for (var i = 0; i < stamps.Length; i++)
                if (stamps[i].Key == key) { index = i; break; }
        if (stamp is null)
        {
            if (index < 0) return;
            if (stamps!.Length == 1) { PropertyStamps = null; return; }
            var kept = new (string, Stamp)[stamps.Length - 1];
            Array.Copy(stamps, 0, kept, 0, index);
            Array.Copy(stamps, index + 1, kept, index, stamps.Length - index - 1);
            PropertyStamps = kept;
        }
        else if (index >= 0) stamps![index] = (key, stamp.Value);
        else
        {
            var grown = new (string, Stamp)[(stamps?.Length ?? 0) + 1];
            stamps?.CopyTo(grown, 0);
            grown[^1] = (key, stamp.Value);
            PropertyStamps = grown;
        }
    }

    /// <summary>The explicit stamp of a property, null when it still carries the insertion stamp.</summary>
    public Stamp? ExplicitStamp(string key)
    {
        if (PropertyStamps is { } stamps)
            foreach (var (k, stamp) in stamps)
                if (k == key) return stamp;
        return null;
    }

    /// <summary>This node and its visible descendants (hidden ones belong to their deleters).</summary>
    public IEnumerable<TreeNode> SelfAndDescendants()
    {
        var stack = new Stack<TreeNode>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            yield return node;
            if (node.Children is { } children)
                for (var i = children.Count - 1; i >= 0; i--)
                    if (!children[i].Hidden) stack.Push(children[i]);
        }
    }
}
