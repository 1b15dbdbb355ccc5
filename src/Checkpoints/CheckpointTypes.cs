using Caiman.Checkpoints.BuiltIn;

namespace Caiman.Checkpoints;

/// <summary>The checkpoint types a pipeline file may name, by name.</summary>
public sealed class CheckpointTypes
{
    private readonly Dictionary<string, ICheckpointType> _types = new(StringComparer.Ordinal);

    /// <summary>The built-in types: <c>process</c>, <c>doc</c> and <c>dotnet</c>.</summary>
    public static CheckpointTypes BuiltIn() => new CheckpointTypes()
        .Add(new ProcessCheckpointType())
        .Add(new DocCheckpointType())
        .Add(new DotnetCheckpointType());

    /// <summary>Adds (or replaces) a type; returns this registry.</summary>
    public CheckpointTypes Add(ICheckpointType type)
    {
        _types[type.Name] = type;
        return this;
    }

    /// <summary>The type of this name, if known.</summary>
    public bool TryGet(string name, out ICheckpointType type) => _types.TryGetValue(name, out type!);

    /// <summary>The names known, sorted.</summary>
    public IEnumerable<string> Names => _types.Keys.Order(StringComparer.Ordinal);
}
