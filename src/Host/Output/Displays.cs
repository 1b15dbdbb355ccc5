using Caiman.Actors.Protocol;
using Spectre.Console;

namespace Caiman.Host.Output;

/// <summary>Shows a run's progress while it goes.</summary>
internal interface IRunDisplay
{
    void Started(RunStatus status, string headline);

    /// <summary>Runs <paramref name="wait"/>, showing each progress message it reports; returns its result.</summary>
    Task<RunStatus> Follow(RunStatus start, Func<Action<RunProgress>, Task<RunStatus>> wait);
}

/// <summary>For pipes and CI: one timestamped line per checkpoint change, with the overall percent.</summary>
internal sealed class PlainDisplay : IRunDisplay
{
    private readonly Dictionary<string, (CheckpointState State, string? Message)> _last = new(StringComparer.Ordinal);

    public void Started(RunStatus status, string headline) => Line(headline);

    public Task<RunStatus> Follow(RunStatus start, Func<Action<RunProgress>, Task<RunStatus>> wait) => wait(progress =>
    {
        if (progress.Checkpoint is not { } name || progress.State is not { } state) return;
        lock (_last)
        {
            var now = (state, state == CheckpointState.Running ? progress.Message : null);
            if (_last.TryGetValue(name, out var was) && was == now) return;
            _last[name] = now;
        }
        var left = progress.TimeLeft is { } t && state == CheckpointState.Running ? $", {Render.Duration(t)} left" : "";
        var message = state == CheckpointState.Running && progress.Message is { } m ? $" ({progress.CheckpointPercent:0}% {m})" : "";
        Line($"{progress.Percent,5:0.0}%{left}  {name}: {Render.State(state)}{message}");
    });

    private static void Line(string text) => Console.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {text}");
}

/// <summary>On a terminal: one bar per running checkpoint and an overall bar with the time left.</summary>
internal sealed class LiveDisplay : IRunDisplay
{
    public static bool Available => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public void Started(RunStatus status, string headline) => AnsiConsole.MarkupLine(Markup.Escape(headline));

    public async Task<RunStatus> Follow(RunStatus start, Func<Action<RunProgress>, Task<RunStatus>> wait)
    {
        RunStatus? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var overall = context.AddTask("[bold]overall[/]", maxValue: 100);
                overall.Value = start.Percent;
                var bars = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var gate = new object();
                result = await wait(progress =>
                {
                    lock (gate)
                    {
                        overall.Value = Math.Max(overall.Value, progress.Percent);
                        overall.Description = progress.TimeLeft is { } left
                            ? $"[bold]overall[/] ({Markup.Escape(Render.Duration(left))} left)"
                            : "[bold]overall[/]";
                        if (progress.Checkpoint is not { } name) return;
                        if (!bars.TryGetValue(name, out var bar))
                        {
                            if (progress.State != CheckpointState.Running) return;
                            bars[name] = bar = context.AddTask(Markup.Escape(name), maxValue: 100);
                        }
                        bar.Value = progress.State == CheckpointState.Completed ? 100 : progress.CheckpointPercent;
                        bar.Description = Markup.Escape(progress.Message is { } m && progress.State == CheckpointState.Running ? $"{name}: {m}" : $"{name}: {Render.State(progress.State ?? CheckpointState.Running)}");
                        if (progress.State is CheckpointState.Completed or CheckpointState.Failed or CheckpointState.Cancelled) bar.StopTask();
                    }
                });
                overall.Value = result.Percent;
                overall.StopTask();
            });
        return result!;
    }
}
