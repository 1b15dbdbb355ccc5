using System.Globalization;

namespace Caiman.Bench;

/// <summary>Numbers as the reports print them; each bench adds how it prints its own units.</summary>
internal static partial class Fmt
{
    public static string N0(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
    public static string N1(double v) => v.ToString("N1", CultureInfo.InvariantCulture);
    public static string N2(double v) => v.ToString("N2", CultureInfo.InvariantCulture);
    public static string N3(double v) => v.ToString("N3", CultureInfo.InvariantCulture);
}
