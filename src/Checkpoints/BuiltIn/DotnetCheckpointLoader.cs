using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;

namespace Caiman.Checkpoints.BuiltIn;

/// <summary>
/// Loads checkpoint classes from assembly files, one load context per file (kept for the life of
/// the process: a file rebuilt after its first load is not loaded again).
/// </summary>
internal static class DotnetCheckpointLoader
{
    private static readonly ConcurrentDictionary<string, Lazy<DotnetCheckpointLoadContext>> Contexts = new(StringComparer.Ordinal);

    /// <summary>A factory for the class, or why there is none (as a sentence naming the assembly and class).</summary>
    public static bool TryLoad(string assemblyPath, string className, out Func<CheckpointArgs, ICheckpoint> factory, out string problem)
    {
        factory = null!;
        var path = Path.GetFullPath(assemblyPath);
        if (!File.Exists(path))
        {
            problem = $"assembly '{path}' does not exist";
            return false;
        }

        Type? type;
        var context = Contexts.GetOrAdd(path, p => new Lazy<DotnetCheckpointLoadContext>(() => new DotnetCheckpointLoadContext(p)));
        try
        {
            type = context.Value.Main.GetType(className, throwOnError: false);
        }
        catch (Exception e)
        {
            // Not a .NET assembly, a dependency missing or broken: forget a context that never loaded, so a fixed file is tried again.
            if (!context.IsValueCreated) Contexts.TryRemove(KeyValuePair.Create(path, context));
            problem = $"assembly '{path}' could not be loaded, or class '{className}' in it: {e.Message}";
            return false;
        }

        if (type is null)
        {
            problem = $"class '{className}' is not in assembly '{path}' (give its full name, with namespace; a nested class is Outer+Inner)";
            return false;
        }
        if (!typeof(ICheckpoint).IsAssignableFrom(type))
        {
            var foreign = type.GetInterfaces().FirstOrDefault(i => i.FullName == typeof(ICheckpoint).FullName);
            problem = foreign is null
                ? $"class '{className}' in '{path}' does not implement {typeof(ICheckpoint).FullName}"
                : $"class '{className}' in '{path}' implements an {typeof(ICheckpoint).FullName} of another copy of {foreign.Assembly.GetName().Name} (from {foreign.Assembly.Location}), not the engine's";
            return false;
        }
        if (type.IsAbstract || type.IsInterface || type.ContainsGenericParameters)
        {
            problem = $"class '{className}' in '{path}' must be a concrete, non-generic class";
            return false;
        }

        if (type.GetConstructor([typeof(CheckpointArgs)]) is { } withArgs)
            factory = args => (ICheckpoint)Construct(withArgs, [args]);
        else if (type.GetConstructor(Type.EmptyTypes) is { } parameterless)
            factory = _ => (ICheckpoint)Construct(parameterless, []);
        else
        {
            problem = $"class '{className}' in '{path}' needs a public constructor taking ({nameof(CheckpointArgs)}) or none";
            return false;
        }
        problem = "";
        return true;
    }

    // The constructor's own exception, not the reflection wrapper around it.
    private static object Construct(ConstructorInfo constructor, object[] arguments)
    {
        try
        {
            return constructor.Invoke(arguments);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}

/// <summary>
/// The load context of one checkpoint assembly: its own dependencies resolve from its
/// <c>.deps.json</c>, but what the host already shares (the authoring API, the DOC, Akka,
/// Microsoft.Extensions.*, and anything else the default context has loaded) comes from the
/// default context, so that <see cref="ICheckpoint"/> and the context's types are the host's own.
/// </summary>
internal sealed class DotnetCheckpointLoadContext : AssemblyLoadContext
{
    private static readonly string[] SharedPrefixes = ["Caiman.Checkpoints", "Caiman.Doc", "Akka", "Microsoft.Extensions."];

    private readonly AssemblyDependencyResolver _resolver;

    public DotnetCheckpointLoadContext(string path) : base($"caiman-checkpoint:{Path.GetFileName(path)}", isCollectible: false)
    {
        _resolver = new AssemblyDependencyResolver(path);
        Main = LoadFromAssemblyPath(path);
    }

    public Assembly Main { get; }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (Default.Assemblies.FirstOrDefault(a => string.Equals(a.GetName().Name, assemblyName.Name, StringComparison.OrdinalIgnoreCase)) is { } loaded)
            return loaded;
        if (assemblyName.Name is { } name && SharedPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            try
            {
                return Default.LoadFromAssemblyName(assemblyName);
            }
            catch (FileNotFoundException)
            {
                // Not the host's: the checkpoint brings its own copy.
            }
        }
        // Null falls back to the default context (framework assemblies).
        return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
}
