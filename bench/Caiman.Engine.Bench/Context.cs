using System.Diagnostics;
using System.Globalization;

namespace Caiman.Engine.Bench;

/// <summary>Which statistic of the samples a figure is judged by.</summary>
internal enum Statistic
{
    Median,
    P95,
}

/// <summary>One reported figure: its samples (one per repetition), its target, and how it was measured.</summary>
internal sealed class Figure
{
    public required string Key { get; init; }
    public required string Name { get; init; }
    public required string Unit { get; init; }
    public List<double> Samples { get; } = [];

    /// <summary>The issue's target as text; null for figures that only explain others.</summary>
    public string? Target { get; init; }
    public Func<double, bool>? Meets { get; init; }
    public Statistic JudgedBy { get; init; } = Statistic.Median;

    /// <summary>The figure measured in the same run that this one is compared with, as text.</summary>
    public string? Baseline { get; set; }

    /// <summary>What was timed, from where to where.</summary>
    public string? How { get; set; }

    public double Median => Percentile(0.5);

    /// <summary>Nearest-rank percentile (the smallest sample with at least p of the samples at or below it).</summary>
    public double Percentile(double p)
    {
        if (Samples.Count == 0) return double.NaN;
        var sorted = Samples.Order().ToArray();
        if (p == 0.5 && sorted.Length % 2 == 0) return (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The value the target is judged on.</summary>
    public double Result => JudgedBy == Statistic.P95 ? Percentile(0.95) : Median;

    public bool? Met => Samples.Count == 0 || Meets is null ? null : Meets(Result);
}

internal sealed class BenchContext(bool quick)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public bool Quick { get; } = quick;
    public int Reps => Quick ? 3 : 5;
    public List<Figure> Figures { get; } = [];
    public List<string> Notes { get; } = [];

    /// <summary>Why each missed target was missed, by figure key, built from figures of the same run.</summary>
    public Dictionary<string, List<string>> Why { get; } = [];

    /// <summary>Costs the figures reveal that no target covers (not wrong answers): worth knowing before tuning.</summary>
    public List<string> Findings { get; } = [];

    /// <summary>Anything that looks like a defect of the engine rather than of the harness.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Numbers a bench records for the explanations (events per checkpoint, trends).</summary>
    public Dictionary<string, double> Facts { get; } = [];
    public TimeSpan Elapsed => _clock.Elapsed;

    public Figure Figure(string key, string name, string unit, string? target = null, Func<double, bool>? meets = null, Statistic judgedBy = Statistic.Median)
    {
        var existing = Figures.FirstOrDefault(f => f.Key == key);
        if (existing is not null) return existing;
        var figure = new Figure { Key = key, Name = name, Unit = unit, Target = target, Meets = meets, JudgedBy = judgedBy };
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

    public void Explain(string key, string why)
    {
        if (!Why.TryGetValue(key, out var list)) Why[key] = list = [];
        list.Add(why);
    }

    public void Problem(string problem)
    {
        Problems.Add(problem);
        Log("PROBLEM: " + problem);
    }
}

internal static class Fmt
{
    public static string N0(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
    public static string N1(double v) => v.ToString("N1", CultureInfo.InvariantCulture);
    public static string N2(double v) => v.ToString("N2", CultureInfo.InvariantCulture);
    public static string N3(double v) => v.ToString("N3", CultureInfo.InvariantCulture);

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
