namespace Caiman.Doc.Bench;

/// <summary>One reported figure: its samples (one per repetition), what it is compared with, and whether it meets its target.</summary>
internal sealed class Figure : FigureBase
{
    /// <summary>When set, the target is this fraction of the plain tree's throughput.</summary>
    public double? RatioTarget { get; init; }
    /// <summary>Throughputs are compared with the plain tree measured in the same run.</summary>
    public bool IsThroughput => Unit is "ops/s" or "mutations/s";
    public string? Detail { get; set; }

    public bool? Met(double plainMedian) =>
        Samples.Count == 0 ? null
        : RatioTarget is { } ratio ? Median >= ratio * plainMedian
        : Meets?.Invoke(Median);
}

internal sealed class BenchContext(bool quick) : BenchContextBase<Figure>(quick)
{
    /// <summary>Facts a bench records for the report's explanations (settings read from the config, per-repetition detail).</summary>
    public Dictionary<string, string> Facts { get; } = [];

    public Figure Figure(string key, string name, string unit, string? target = null, Func<double, bool>? meets = null, double? ratioTarget = null) =>
        FindOrAdd(key, () => new Figure { Key = key, Name = name, Unit = unit, Target = target, Meets = meets, RatioTarget = ratioTarget });
}
