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
/// Validation checks that both keys are there, and, when the file already exists (a relative
/// path is then resolved against the current directory, as validation has no base directory), that
/// the class loads, implements <see cref="ICheckpoint"/> and has a usable constructor. A file that
/// does not exist yet is not a problem: an earlier checkpoint may build it.
/// </para>
/// </summary>
public sealed class DotnetCheckpointType : ICheckpointType
{
    /// <inheritdoc />
    public string Name => "dotnet";

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(CheckpointArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var problems = new List<string>();
        var assembly = Required(args, "assembly", "the path of the .dll holding the checkpoint class", problems);
        var className = Required(args, "class", "the full name of the checkpoint class", problems);
        if (assembly is not null && className is not null && File.Exists(Path.GetFullPath(assembly))
            && !DotnetCheckpointLoader.TryLoad(assembly, className, out _, out var problem))
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
