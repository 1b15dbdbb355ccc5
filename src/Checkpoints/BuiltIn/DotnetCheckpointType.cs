using Caiman.Checkpoints.Pipelines;

namespace Caiman.Checkpoints.BuiltIn;

/// <summary>
/// The <c>dotnet</c> checkpoint type: runs a checkpoint class from an assembly, as the original
/// engine loaded a module and a class.
/// <code>
/// { name = configure, type = dotnet, assembly = "bin/MySteps.dll", class = "MySteps.Configure", target = x86 }
/// </code>
/// <para>
/// <c>assembly</c> is the path of the .dll, relative to the pipeline file's directory;
/// <c>class</c> the class's full name. The class implements <see cref="ICheckpoint"/> and has a
/// public constructor taking <see cref="CheckpointArgs"/> (it gets all the entry's args, these two
/// included) or none. Its <see cref="ICheckpoint.Estimate"/> is the checkpoint's.
/// </para>
/// <para>
/// Each assembly file gets a load context of its own, which resolves the assembly's dependencies
/// from its <c>.deps.json</c> but takes those the host has (Caiman.Checkpoints, Caiman.Doc, Akka,
/// Microsoft.Extensions.*) from the host. A file is loaded once per process.
/// </para>
/// <para>
/// Validation checks that both keys are there and that the file exists (a relative path resolved
/// against the pipeline file's directory, or the current directory when there is no pipeline file),
/// and that the class loads, implements <see cref="ICheckpoint"/> and has a usable constructor.
/// An assembly that an earlier checkpoint builds is said so with <c>assembly-built-earlier = true</c>:
/// then it need not exist yet, and it is not loaded at validation either (a file is loaded once per
/// process, so loading the old build would keep the new one from running).
/// </para>
/// </summary>
public sealed class DotnetCheckpointType : ICheckpointType, IBaseDirectoryValidation
{
    private const string BuiltEarlier = "assembly-built-earlier";

    /// <inheritdoc />
    public string Name => "dotnet";

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(CheckpointArgs args) => Validate(args, Directory.GetCurrentDirectory());

    IReadOnlyList<string> IBaseDirectoryValidation.Validate(CheckpointArgs args, string baseDirectory) => Validate(args, baseDirectory);

    private static List<string> Validate(CheckpointArgs args, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(args);
        var problems = new List<string>();
        var assembly = Required(args, "assembly", "the path of the .dll holding the checkpoint class", problems);
        var className = Required(args, "class", "the full name of the checkpoint class", problems);
        bool? builtEarlier = null;
        try
        {
            builtEarlier = args.GetBoolean(BuiltEarlier);
        }
        catch (CheckpointArgsException e)
        {
            problems.Add(e.Message);
        }
        if (assembly is not null && assembly.Contains('\0', StringComparison.Ordinal))
        {
            problems.Add($"assembly has a NUL character (\\u0000) at position {assembly.IndexOf('\0', StringComparison.Ordinal) + 1}, which a path cannot hold");
            return problems;
        }
        if (assembly is null || className is null || problems.Count > 0 || builtEarlier == true)
            return problems;
        var path = Path.GetFullPath(assembly, Path.GetFullPath(baseDirectory.Length == 0 ? "." : baseDirectory));
        if (!File.Exists(path))
            problems.Add($"assembly '{path}' does not exist; if an earlier checkpoint builds it, say so with {BuiltEarlier} = true");
        else if (!DotnetCheckpointLoader.TryLoad(path, className, out _, out var problem))
            problems.Add(problem);
        return problems;
    }

    /// <inheritdoc />
    public ICheckpoint Create(CheckpointArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var assembly = args.GetString("assembly");
        var className = args.GetString("class");
        return string.IsNullOrWhiteSpace(assembly) || string.IsNullOrWhiteSpace(className)
            ? throw new ArgumentException("a dotnet checkpoint needs assembly and class", nameof(args))
            : new DotnetCheckpoint(assembly, className, args);
    }

    private static string? Required(CheckpointArgs args, string key, string what, List<string> problems)
    {
        try
        {
            var value = args.GetString(key);
            if (string.IsNullOrWhiteSpace(value))
            {
                problems.Add(value is null ? $"{key} is required ({what})" : $"{key} must not be empty ({what})");
                return null;
            }
            return value;
        }
        catch (CheckpointArgsException e)
        {
            problems.Add(e.Message);
            return null;
        }
    }
}
