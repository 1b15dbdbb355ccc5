namespace Caiman.Checkpoints.BuiltIn;

/// <summary>A <c>dotnet</c> checkpoint's class could not be loaded or created; names the assembly and class.</summary>
public sealed class DotnetCheckpointException(string assembly, string className, string problem, Exception? inner = null)
    : Exception($"cannot run checkpoint class '{className}' from '{assembly}': {problem}", inner)
{
    /// <summary>The assembly path, resolved against the base directory.</summary>
    public string Assembly { get; } = assembly;

    /// <summary>The class's full name.</summary>
    public string ClassName { get; } = className;
}

/// <summary>
/// Runs a checkpoint class loaded from an assembly. The class is loaded (and an instance created
/// with the args) when the attempt starts, from the assembly path resolved against the context's
/// base directory; an instance made earlier for <see cref="Estimate"/> is used when it came from the same file.
/// </summary>
internal sealed class DotnetCheckpoint(string assembly, string className, CheckpointArgs args) : ICheckpoint
{
    /// <summary>The estimate when the class cannot be loaded yet (e.g. its assembly is built by an earlier checkpoint).</summary>
    internal static readonly TimeSpan UnknownEstimate = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private (string Path, ICheckpoint Instance)? _loaded;
    private bool _estimateProbed;

    /// <summary>
    /// The loaded class's estimate. Before the attempt starts the class is looked for with a relative
    /// path resolved against the current directory; when it cannot be loaded yet, one second.
    /// </summary>
    public TimeSpan Estimate
    {
        get
        {
            lock (_lock)
            {
                if (_loaded is null && !_estimateProbed)
                {
                    _estimateProbed = true;
                    var path = Path.GetFullPath(assembly);
                    if (DotnetCheckpointLoader.TryLoad(path, className, out var factory, out _))
                    {
                        try { _loaded = (path, factory(args)); }
                        catch (Exception) { /* the attempt reports it, with the base directory it really uses */ }
                    }
                }
                return _loaded?.Instance.Estimate ?? UnknownEstimate;
            }
        }
    }

    public Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Instance(Path.GetFullPath(assembly, context.BaseDirectory)).ExecuteAsync(context, cancellationToken);
    }

    private ICheckpoint Instance(string path)
    {
        lock (_lock)
        {
            if (_loaded is { } loaded && loaded.Path == path) return loaded.Instance;
            if (!DotnetCheckpointLoader.TryLoad(path, className, out var factory, out var problem))
                throw new DotnetCheckpointException(path, className, problem);
            try
            {
                _loaded = (path, factory(args));
            }
            catch (Exception e)
            {
                throw new DotnetCheckpointException(path, className, $"its constructor threw {e.GetType().Name}: {e.Message}", e);
            }
            return _loaded.Value.Instance;
        }
    }
}
