using System.CommandLine;
using System.Runtime.InteropServices;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Host.Output;
using Caiman.Actors;
using Caiman.Host.Service;

namespace Caiman.Host.Verbs;

/// <summary>Verbs that validate pipelines and start, resume, pause and cancel runs.</summary>
internal static class RunVerbs
{
    public static IEnumerable<Command> Create(Globals globals)
    {
        yield return Validate();
        yield return Run(globals);
        yield return Resume(globals);
        yield return Steer(globals, "pause", "Start nothing new; the run pauses once its running checkpoints end", (s, id) => s.PauseAsync(id));
        yield return Steer(globals, "cancel", "Cancel the running checkpoints (their processes are killed, their changes reverted)", (s, id) => s.CancelAsync(id));
    }

    private static Command Validate()
    {
        var pipeline = new Argument<string>("pipeline") { Description = "The pipeline file (HOCON)" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var command = new Command("validate", "Check a pipeline file and report every problem with file and line") { pipeline, json };
        command.SetAction(parse =>
        {
            var loaded = PipelineLoader.Load(parse.GetValue(pipeline)!, CheckpointTypes.BuiltIn());
            if (parse.GetValue(json)) Console.WriteLine(Render.Json(new { valid = loaded.IsValid, problems = loaded.Problems, checkpoints = loaded.Pipeline?.Checkpoints.Select(c => new { c.Name, c.Type, After = c.After, c.Description }) }));
            else if (loaded.IsValid) Render.Pipeline(loaded.Pipeline!);
            else foreach (var problem in loaded.Problems) Console.Error.WriteLine(problem);
            return loaded.IsValid ? ExitCodes.Completed : ExitCodes.BadInput;
        });
        return command;
    }

    private static Command Run(Globals globals)
    {
        var pipeline = new Argument<string>("pipeline") { Description = "The pipeline file (HOCON)" };
        var runId = new Option<string?>("--run-id") { Description = "Id of the new run (default: the pipeline's name and the time)" };
        var pauseBefore = PauseBefore();
        var dryRun = new Option<bool>("--dry-run") { Description = "Checkpoints report what they would do and change nothing outside the DOC" };
        var plain = Plain();
        var command = new Command("run", "Start a run of a pipeline and follow it to its end (Ctrl-C cancels it; resume it later)") { pipeline, runId, pauseBefore, dryRun, plain };
        command.SetAction(async (parse, token) =>
        {
            // Everything about the input is checked before anything is written.
            var loaded = PipelineLoader.Load(parse.GetValue(pipeline)!, CheckpointTypes.BuiltIn());
            if (!loaded.IsValid)
            {
                foreach (var problem in loaded.Problems) Console.Error.WriteLine(problem);
                return ExitCodes.BadInput;
            }
            var definition = loaded.Pipeline!;
            var pauses = parse.GetValue(pauseBefore) ?? [];
            if (pauses.FirstOrDefault(p => definition.Find(p) is null) is { } unknown)
                return Connect.Refused($"--pause-before: pipeline '{definition.Name}' has no checkpoint '{unknown}' (it has: {string.Join(", ", definition.Checkpoints.Select(c => c.Name))})");
            var id = parse.GetValue(runId) ?? $"{definition.Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
            if (!ValidRunId(id)) return Connect.Refused($"--run-id '{id}': use 1-128 letters, digits, '.', '_' or '-'");
            return await Connect.WithService(parse, globals, Connect.Use.Runs, async service =>
            {
                var started = await service.StartAsync(id, definition, pauses, parse.GetValue(dryRun));
                return await Follow(service, started, $"run {id} started ({service.Where}): pipeline '{definition.Name}', {definition.Checkpoints.Length} checkpoints", parse.GetValue(plain), token);
            }, token);
        });
        return command;
    }

    private static Command Resume(Globals globals)
    {
        var runId = RunId();
        var from = new Option<string?>("--from") { Description = "Reset this checkpoint and everything depending on it (their DOC changes reverted) and run them again" };
        var pauseBefore = PauseBefore();
        var plain = Plain();
        var command = new Command("resume", "Go on with a paused, failed, cancelled or interrupted run and follow it to its end") { runId, from, pauseBefore, plain };
        command.SetAction((parse, token) => Connect.WithService(parse, globals, Connect.Use.Runs, async service =>
        {
            var id = parse.GetValue(runId)!;
            var fromCheckpoint = parse.GetValue(from);
            var resumed = await service.ResumeAsync(id, fromCheckpoint, parse.GetValue(pauseBefore) ?? []);
            return await Follow(service, resumed, $"run {id} resumed{(fromCheckpoint is null ? "" : $" from '{fromCheckpoint}'")} ({service.Where})", parse.GetValue(plain), token);
        }, token));
        return command;
    }

    private static Command Steer(Globals globals, string name, string description, Func<ICaimanService, string, Task<RunStatus>> act)
    {
        var runId = RunId();
        var command = new Command(name, description) { runId };
        command.SetAction((parse, token) => Connect.WithService(parse, globals, Connect.Use.Inspects, async service =>
        {
            var status = await act(service, parse.GetValue(runId)!);
            Console.WriteLine($"run {status.RunId}: {Render.Phase(status.Phase)}");
            return ExitCodes.Completed;
        }, token));
        return command;
    }

    public static Argument<string> RunId() => new("run-id") { Description = "The run" };

    private static Option<string[]> PauseBefore() => new("--pause-before") { Description = "Pause before this checkpoint (repeatable): it and its dependents wait" };

    private static Option<bool> Plain() => new("--plain") { Description = "Plain timestamped lines even on a terminal" };

    private static bool ValidRunId(string id) => id.Length is > 0 and <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>Follows a run until it stops; Ctrl-C (or SIGTERM) cancels it once. Returns the exit code of how it stopped.</summary>
    private static async Task<int> Follow(ICaimanService service, RunStatus start, string headline, bool plain, CancellationToken token)
    {
        var runId = start.RunId;
        var cancelled = 0;
        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Exchange(ref cancelled, 1) != 0) return;
            Console.Error.WriteLine("caiman: cancelling the run (it can be resumed later)");
            _ = service.CancelAsync(runId);
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        var display = plain || !LiveDisplay.Available ? (IRunDisplay)new PlainDisplay() : new LiveDisplay();
        display.Started(start, headline);
        var status = await display.Follow(start, progress => service.WaitAsync(runId, progress, token));
        Render.Checkpoints(status);
        Console.WriteLine($"run {runId} {Render.Phase(status.Phase)}{(status.Phase is RunPhase.Paused or RunPhase.Cancelled or RunPhase.Failed ? $": `caiman resume {runId}` goes on" : "")}");
        Console.WriteLine($"its log: `caiman log {runId}`; its DOC: `caiman doc {runId} export`");
        if (status.Phase == RunPhase.Failed)
            foreach (var error in await service.ErrorsAsync(runId, null, CheckpointErrorKind.Error))
                Console.Error.WriteLine($"caiman: {error.Checkpoint} (attempt {error.Attempt}): {error.Message}");
        return status.Phase switch
        {
            RunPhase.Completed => ExitCodes.Completed,
            RunPhase.Paused => ExitCodes.Paused,
            RunPhase.Cancelled => ExitCodes.Cancelled,
            _ => ExitCodes.Failed,
        };
    }
}
