namespace Caiman.Engine.Bench;

/// <summary>Which statistic of the samples a figure is judged by.</summary>
internal enum Statistic
{
    Median,
    P95,
}

/// <summary>One reported figure: its samples (one per repetition), its target, and how it was measured.</summary>
internal sealed class Figure : FigureBase
{
    public Statistic JudgedBy { get; init; } = Statistic.Median;

    /// <summary>The figure measured in the same run that this one is compared with, as text.</summary>
    public string? Baseline { get; set; }

    /// <summary>What was timed, from where to where.</summary>
    public string? How { get; set; }

    /// <summary>Nearest-rank percentile; the 50th is the median (the mean of the two middle samples for an even count).</summary>
    public double Percentile(double p) => p == 0.5 ? Median : Stats.Percentile(Samples, p);

    /// <summary>The value the target is judged on.</summary>
    public double Result => JudgedBy == Statistic.P95 ? Percentile(0.95) : Median;

    public bool? Met => Samples.Count == 0 || Meets is null ? null : Meets(Result);
}

internal sealed class BenchContext(bool quick) : BenchContextBase<Figure>(quick)
{
    /// <summary>Why each missed target was missed, by figure key, built from figures of the same run.</summary>
    public Dictionary<string, List<string>> Why { get; } = [];

    /// <summary>Numbers a bench records for the explanations (events per checkpoint, trends).</summary>
    public Dictionary<string, double> Facts { get; } = [];

    public Figure Figure(string key, string name, string unit, string? target = null, Func<double, bool>? meets = null, Statistic judgedBy = Statistic.Median) =>
        FindOrAdd(key, () => new Figure { Key = key, Name = name, Unit = unit, Target = target, Meets = meets, JudgedBy = judgedBy });

    public void Explain(string key, string why)
    {
        if (!Why.TryGetValue(key, out var list)) Why[key] = list = [];
        list.Add(why);
    }
}
