namespace Caiman.Bench;

/// <summary>What every reported figure has: its samples (one per repetition) and, when it is judged, its target.</summary>
internal abstract class FigureBase
{
    public required string Key { get; init; }
    public required string Name { get; init; }
    public required string Unit { get; init; }
    public List<double> Samples { get; } = [];

    /// <summary>The target as text; null for figures that only explain others.</summary>
    public string? Target { get; init; }
    public Func<double, bool>? Meets { get; init; }

    public double Median => Stats.Median(Samples);
}

internal static class Stats
{
    /// <summary>The middle sample, or the mean of the two middle ones for an even count; NaN when there is none.</summary>
    public static double Median(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Nearest-rank percentile (the smallest sample with at least p of the samples at or below it); NaN when there is none.</summary>
    public static double Percentile(IEnumerable<double> samples, double p)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
