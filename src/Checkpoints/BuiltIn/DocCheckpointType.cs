namespace Caiman.Checkpoints.BuiltIn;

/// <summary>
/// The <c>doc</c> checkpoint type: inserts nodes into the DOC and sets properties, from the
/// pipeline file.
/// <code>
/// { name = seed, type = doc
///   insert = [ { parent = "/persistent", name = build, kind = Build
///                properties { dir = "out", arch = "x86" }
///                json { jobs = 4, debug = false, tags = """["a", "b"]""" }
///                children = [ { name = x86, properties { cc = gcc } } ] } ]
///   set = [ { path = "/persistent/build", properties { stamp = "%{/persistent/build.arch}-1" } } ] }
/// </code>
/// <para>
/// <c>insert</c> entries need <c>parent</c> (an absolute DOC path matching one node) and <c>name</c>;
/// <c>kind</c> (default <c>Node</c>), <c>properties</c>, <c>json</c> and <c>children</c> (the same shape,
/// without <c>parent</c>, to any depth) are optional; the node is appended to the parent's children.
/// <c>set</c> entries need <c>path</c> (one node) and <c>properties</c> or <c>json</c>.
/// Either key may be a single object instead of a list.
/// </para>
/// <para>
/// Values under <c>properties</c> are always strings: <c>version = 1.10</c> stays <c>"1.10"</c>.
/// Values under <c>json</c> are JSON text read into typed values: <c>jobs = 4</c> is the integer 4,
/// <c>debug = false</c> a boolean, <c>name = "\"x\""</c> a string, a triple-quoted HOCON string a list
/// or object. <c>%{path}</c> references (see <c>DocTemplate</c>) in <c>parent</c>, <c>path</c>,
/// <c>name</c> and every value are filled from the DOC when the entry runs, before JSON is read.
/// </para>
/// <para>
/// Inserts run first, then sets, each in file order, each entry one atomic DOC batch (so a
/// <c>set</c> can refer to what an <c>insert</c> just made). A dry run writes the DOC all the same:
/// a dry run only keeps things outside the DOC from changing.
/// </para>
/// </summary>
public sealed class DocCheckpointType : ICheckpointType
{
    /// <inheritdoc />
    public string Name => "doc";

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(CheckpointArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var problems = new List<string>();
        DocCheckpointArgs.Parse(args, problems);
        return problems;
    }

    /// <inheritdoc />
    public ICheckpoint Create(CheckpointArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var problems = new List<string>();
        var parsed = DocCheckpointArgs.Parse(args, problems);
        return problems.Count == 0
            ? new DocCheckpoint(parsed)
            : throw new ArgumentException("args of a doc checkpoint are not valid: " + string.Join("; ", problems), nameof(args));
    }
}
