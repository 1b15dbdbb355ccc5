namespace Caiman.Bench;

// The engine bench's part of Fmt: its units, with enough digits for the size of the number.
internal static partial class Fmt
{
    /// <summary>A value with its unit, with enough digits for the size of the number.</summary>
    public static string Value(double v, string unit) => double.IsNaN(v) ? "—" : unit switch
    {
        "ms" or "ms/checkpoint" => $"{(v < 1 ? N3(v) : v < 100 ? N2(v) : N0(v))} {unit}",
        "µs/call" or "ns/call" => $"{(v < 10 ? N2(v) : N0(v))} {unit}",
        "s" => $"{N3(v)} s",
        "×" => $"{N3(v)} ×",
        _ => $"{N0(v)} {unit}",
    };

    public static string Sample(double v, string unit) => unit switch
    {
        "ms" or "ms/checkpoint" => v < 1 ? N3(v) : N2(v),
        "µs/call" or "ns/call" => N2(v),
        "s" or "×" => N3(v),
        _ => N0(v),
    };

    /// <summary>Samples in the order they were taken.</summary>
    public static string Trend(IReadOnlyList<double> samples, string unit) =>
        $"{string.Join(" → ", samples.Select(s => Sample(s, unit)))} {unit}";
}
