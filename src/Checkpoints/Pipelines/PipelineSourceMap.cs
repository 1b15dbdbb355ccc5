namespace Caiman.Checkpoints.Pipelines;

/// <summary>
/// Where things are in a pipeline file: the <c>pipeline</c> block, its keys, each entry of
/// <c>checkpoints</c> and each key of an entry. Built from <see cref="HoconSource"/>; a line of 0
/// means the place could not be found (e.g. entries brought in by a substitution).
/// </summary>
internal sealed class PipelineSourceMap
{
    private readonly IReadOnlyList<EntrySource> _entries;
    private readonly Dictionary<string, int> _pipelineKeys;

    private PipelineSourceMap(int pipelineLine, Dictionary<string, int> pipelineKeys, int checkpointsLine, IReadOnlyList<EntrySource> entries)
    {
        PipelineLine = pipelineLine;
        _pipelineKeys = pipelineKeys;
        CheckpointsLine = checkpointsLine;
        _entries = entries;
    }

    /// <summary>The first line of the <c>pipeline</c> block (or of its first dotted key).</summary>
    public int PipelineLine { get; }

    /// <summary>The line of the <c>checkpoints</c> key in effect.</summary>
    public int CheckpointsLine { get; }

    /// <summary>The line of a key of the pipeline block (the last definition, the one in effect).</summary>
    public int PipelineKeyLine(string key) => _pipelineKeys.TryGetValue(key, out var line) ? line : PipelineLine;

    /// <summary>Entry <paramref name="index"/> of <c>checkpoints</c>, or a stand-in at the <c>checkpoints</c> line.</summary>
    public EntrySource Entry(int index) =>
        index < _entries.Count ? _entries[index] : new EntrySource(CheckpointsLine, new Dictionary<string, int>());

    public static PipelineSourceMap From(HoconSource source)
    {
        var pipelineLine = 0;
        var pipelineKeys = new Dictionary<string, int>(StringComparer.Ordinal);
        SourceField? checkpoints = null;
        foreach (var field in source.Fields)
        {
            if (field.Path.Count == 0 || field.Path[0] != "pipeline")
                continue;
            if (pipelineLine == 0)
                pipelineLine = field.Line;
            if (field.Path.Count < 2)
                continue;
            pipelineKeys[field.Path[1]] = field.Line;
            if (field.Path.Count == 2 && field.Path[1] == "checkpoints")
                checkpoints = field;
        }

        var entries = new List<EntrySource>();
        // Entries brought in by a substitution have no place in the text: then no entry gets a line of its own.
        if (checkpoints is not null && checkpoints.Value.Parts.All(p => p is SourceArray))
        {
            foreach (var element in checkpoints.Value.Parts.Cast<SourceArray>().SelectMany(a => a.Elements))
            {
                var objects = element.Parts.OfType<SourceObject>().ToList();
                var keys = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var field in objects.SelectMany(o => o.Fields))
                    keys[field.Path[0]] = field.Line;
                entries.Add(new EntrySource(objects.Count > 0 ? objects[0].Line : element.Line, keys));
            }
        }
        return new PipelineSourceMap(pipelineLine, pipelineKeys, checkpoints?.Line ?? pipelineLine, entries);
    }
}

/// <summary>The line of an entry's <c>{</c> and of each of its keys.</summary>
internal sealed record EntrySource(int Line, IReadOnlyDictionary<string, int> Keys)
{
    /// <summary>The line of the key, or of the entry when the key is not there.</summary>
    public int LineOf(string key) => Keys.TryGetValue(key, out var line) ? line : Line;
}
