namespace Caiman.Doc.Model;

/// <summary>
/// Who made a change: a run, a checkpoint and the attempt of it. Every DOC event records one,
/// which is what makes "revert everything attempt A wrote" exact.
/// </summary>
public sealed record Writer(string Run, string Checkpoint, int Attempt)
{
    // Writers key the undo logs and stamp every change: hashing three strings on every lookup
    // showed up in the benchmark, so the hash is computed once (the record is immutable).
    private int _hash;

    public bool Equals(Writer? other) =>
        ReferenceEquals(this, other) ||
        (other is not null && Attempt == other.Attempt && Run == other.Run && Checkpoint == other.Checkpoint);

    public override int GetHashCode()
    {
        if (_hash == 0) _hash = HashCode.Combine(Run, Checkpoint, Attempt) | 1;
        return _hash;
    }

    /// <summary>Changes made outside any checkpoint (a person editing or importing the DOC).</summary>
    public static Writer User(string run) => new(run, "", 0);

    public override string ToString() => Checkpoint.Length == 0 ? $"{Run}/(user)" : $"{Run}/{Checkpoint}#{Attempt}";
}
