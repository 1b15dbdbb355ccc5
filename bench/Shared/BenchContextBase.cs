using System.Diagnostics;
using System.Globalization;

namespace Caiman.Bench;

/// <summary>One run of a bench: its clock, its repetitions, the figures it measured and what it saw on the way.</summary>
internal abstract class BenchContextBase<TFigure>(bool quick) where TFigure : FigureBase
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public bool Quick { get; } = quick;
    public int Reps => Quick ? 3 : 5;
    public List<TFigure> Figures { get; } = [];

    /// <summary>Facts worth keeping next to the figures (sizes, schema, per-rep trends).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Costs the figures reveal (not wrong answers): worth knowing before tuning.</summary>
    public List<string> Findings { get; } = [];

    /// <summary>Anything that looks like a defect of the system measured rather than of the harness.</summary>
    public List<string> Problems { get; } = [];
    public TimeSpan Elapsed => _clock.Elapsed;

    public TFigure? Find(string key) => Figures.FirstOrDefault(f => f.Key == key);

    /// <summary>The figure of that key, created by <paramref name="create"/> the first time it is asked for.</summary>
    protected TFigure FindOrAdd(string key, Func<TFigure> create)
    {
        if (Find(key) is { } existing) return existing;
        var figure = create();
        Figures.Add(figure);
        return figure;
    }

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
