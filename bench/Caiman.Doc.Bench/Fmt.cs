namespace Caiman.Bench;

// The DOC bench's part of Fmt: its units, counts of things, and trends stated with how many steps went down.
internal static partial class Fmt
{
    public static string Count(long n, string one, string many) => $"{N0(n)} {(n == 1 ? one : many)}";

    /// <summary>Samples in the order they were taken, and how many steps went down: the trend stated, not inferred.</summary>
    public static string Trend(IReadOnlyList<double> samples, string unit)
    {
        if (samples.Count < 2) return $"{string.Join(" → ", samples.Select(N0))} {unit}";
        var lower = 0;
        for (var i = 1; i < samples.Count; i++)
            if (samples[i] < samples[i - 1]) lower++;
        return $"{string.Join(" → ", samples.Select(N0))} {unit} (lower than the one before in {lower} of {samples.Count - 1} steps; last/first = {N2(samples[^1] / samples[0])})";
    }

    public static string Value(double v, string unit) => unit switch
    {
        "s" => v < 1 ? $"{N0(v * 1000)} ms" : $"{N2(v)} s",
        "B" or "B/node" => $"{N0(v)} {unit}",
        "µs/op" => $"{N2(v)} µs/op",
        _ => $"{N0(v)} {unit}",
    };
}
