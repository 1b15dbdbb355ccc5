using Akka.Configuration;

namespace Caiman.Doc;

/// <summary>The DOC's HOCON defaults, shipped inside the assembly so hosts need no file on disk.</summary>
public static class DocConfig
{
    private const string ResourceName = "Caiman.Doc.reference.conf";

    private static readonly Lazy<Config> Parsed = new(Load);

    /// <summary>The parsed <c>reference.conf</c>; use it as a fallback under the host's own config.</summary>
    public static Config Default() => Parsed.Value;

    private static Config Load() => ConfigurationFactory.ParseString(ReadResource(ResourceName));

    /// <summary>The text of a HOCON file embedded in this assembly (reference.conf, the persistence configs).</summary>
    internal static string ReadResource(string name) => ReadResource(typeof(DocConfig).Assembly, name);

    /// <summary>The text of a file embedded in <paramref name="assembly"/>, e.g. a module's reference.conf.</summary>
    public static string ReadResource(System.Reflection.Assembly assembly, string name)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource '{name}' is missing from {assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
