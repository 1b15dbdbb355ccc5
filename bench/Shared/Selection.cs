using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Caiman.Bench;

/// <summary>A bench's command line: the parts named (or "all"), and whether the run is a quick one.</summary>
internal sealed class Selection
{
    private readonly List<string> _named;

    private Selection(List<string> named, bool quick)
    {
        _named = named;
        Quick = quick;
    }

    public bool Quick { get; }

    /// <summary>Everything runs, and the report is kept in bench/results.</summary>
    public bool All => _named.Contains("all");

    /// <summary>Whether this part was named on the command line itself.</summary>
    public bool Names(string part) => _named.Contains(part);

    /// <summary>Whether this part runs: named, or everything runs.</summary>
    public bool Runs(string part) => All || Names(part);

    /// <summary>Reports print numbers the same way whatever the machine's locale.</summary>
    public static void UseInvariantCulture()
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
    }

    /// <summary>
    /// The selection; false after printing the usage, for an unknown part (<paramref name="exitCode"/> 2)
    /// or for --help (0). No part named means "all".
    /// </summary>
    public static bool TryParse(string program, string[] args, IReadOnlyCollection<string> parts, [NotNullWhen(true)] out Selection? selection, out int exitCode)
    {
        var named = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (named.Count == 0) named.Add("all");
        var unknown = named.Where(s => !parts.Contains(s)).ToList();
        if (unknown.Count > 0 || args.Contains("--help"))
        {
            Console.Error.WriteLine($"usage: {program} [{string.Join('|', parts)}]... [--quick]");
            selection = null;
            exitCode = unknown.Count > 0 ? 2 : 0;
            return false;
        }
        selection = new Selection(named, args.Contains("--quick"));
        exitCode = 0;
        return true;
    }
}
