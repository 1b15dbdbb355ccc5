namespace Caiman.Doc.Model;

/// <summary>
/// Who made a change: a run, a checkpoint and the attempt of it. Every DOC event records one,
/// which is what makes "revert everything attempt A wrote" exact.
/// </summary>
public sealed record Writer(string Run, string Checkpoint, int Attempt)
{
    /// <summary>Changes made outside any checkpoint (a person editing or importing the DOC).</summary>
    public static Writer User(string run) => new(run, "", 0);

    public override string ToString() => Checkpoint.Length == 0 ? $"{Run}/(user)" : $"{Run}/{Checkpoint}#{Attempt}";
}
