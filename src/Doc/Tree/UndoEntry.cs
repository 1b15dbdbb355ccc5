using Caiman.Doc.Model;

namespace Caiman.Doc.Tree;

/// <summary>
/// How to take back one applied event. Kept per writer, so reverting a writer costs what it
/// changed, not the size of the tree. <see cref="Seq"/> orders entries across writers.
/// </summary>
internal abstract record UndoEntry(long Seq, long PriorVersion)
{
    /// <summary>Top-level nodes inserted under a parent (0 = the subtree's root slot).</summary>
    internal sealed record Inserted(long Seq, long PriorVersion, long ParentSerial, long[] Serials)
        : UndoEntry(Seq, PriorVersion);

    /// <summary>One node deleted with its subtree; it stays hidden in its parent's list until this is undone.</summary>
    internal sealed record Deleted(long Seq, long PriorVersion, long ParentSerial, TreeNode Node)
        : UndoEntry(Seq, PriorVersion);

    /// <summary>Properties of one node changed; Old null means the property was absent.</summary>
    internal sealed record Properties(long Seq, long PriorVersion, long Serial, PropertyChange[] Changes)
        : UndoEntry(Seq, PriorVersion);
}

/// <summary>A property's value and explicit stamp before a change (both null: absent / insertion stamp).</summary>
internal sealed record PropertyChange(string Key, DocValue? Old, Stamp? PreviousStamp);
