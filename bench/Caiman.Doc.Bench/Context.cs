using System.Diagnostics;
using System.Globalization;

namespace Caiman.Doc.Bench;

/// <summary>One reported figure: its samples (one per repetition), what it is compared with, and whether it meets its target.</summary>
internal sealed class Figure
{
    public required string Key { get; init; }
    public required string Name { get; init; }
    public required string Unit { get; init; }
    public List<double> Samples { get; } = [];
    /// <summary>The issue's target as text; null for figures that only explain others.</summary>
    public string? Target { get; init; }
    public Func<double, bool>? Meets { get; init; }
    /// <summary>When set, the target is this fraction of the plain tree's throughput.</summary>
    public double? RatioTarget { get; init; }
    /// <summary>Throughputs are compared with the plain tree measured in the same run.</summary>
    public bool IsThroughput => Unit is "ops/s" or "mutations/s";
    public string? Detail { get; set; }

    public double Median
    {
        get
        {
            if (Samples.Count == 0) return double.NaN;
            var sorted = Samples.Order().ToArray();
            var mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    public bool? Met(double plainMedian) =>
        Samples.Count == 0 ? null
        : RatioTarget is { } ratio ? Median >= ratio * plainMedian
        : Meets?.Invoke(Median);
}

internal sealed class BenchContext(bool quick)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public bool Quick { get; } = quick;
    public int Reps => Quick ? 3 : 5;
    public List<Figure> Figures { get; } = [];
    /// <summary>Facts worth keeping next to the figures (sizes, schema, per-rep trends).</summary>
    public List<string> Notes { get; } = [];
    /// <summary>Design costs the figures reveal (not wrong answers): worth knowing before tuning.</summary>
    public List<string> Findings { get; } = [];
    /// <summary>Anything that looks like a defect of the DOC rather than of the harness.</summary>
    public List<string> Problems { get; } = [];
    /// <summary>Facts a bench records for the report's explanations (settings read from the config, per-repetition detail).</summary>
    public Dictionary<string, string> Facts { get; } = [];
    public TimeSpan Elapsed => _clock.Elapsed;

    public Figure Figure(string key, string name, string unit, string? target = null, Func<double, bool>? meets = null, double? ratioTarget = null)
    {
        var existing = Figures.FirstOrDefault(f => f.Key == key);
        if (existing is not null) return existing;
        var figure = new Figure { Key = key, Name = name, Unit = unit, Target = target, Meets = meets, RatioTarget = ratioTarget };
        Figures.Add(figure);
        return figure;
    }

    public Figure? Find(string key) => Figures.FirstOrDefault(f => f.Key == key);

    public void Log(string message) =>
        Console.WriteLine($"[{_clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture),6}s] {message}");

    public void Note(string note)
    {
        Notes.Add(note);
        Log("note: " + note);
    }

    public void Finding(string finding)
    {
        Findings.Add(finding);
        Log("finding: " + finding);
    }

    public void Problem(string problem)
    {
        Problems.Add(problem);
        Log("PROBLEM: " + problem);
    }
}

internal static class Fmt
{
    public static string Count(long n, string one, string many) => $"{n.ToString("N0", CultureInfo.InvariantCulture)} {(n == 1 ? one : many)}";

    public static string N0(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
    public static string N1(double v) => v.ToString("N1", CultureInfo.InvariantCulture);
    public static string N2(double v) => v.ToString("N2", CultureInfo.InvariantCulture);
    public static string N3(double v) => v.ToString("N3", CultureInfo.InvariantCulture);

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
