using System.CommandLine;

namespace Caiman.Host;

/// <summary>The verbs of the `caiman` command and their options.</summary>
internal static class Cli
{
    public static RootCommand Build()
    {
        var data = new Option<string>("--data")
        {
            Description = "Data directory: the run journal (caiman.db) and each run's files",
            DefaultValueFactory = _ => DataDirectory.Default(),
        };
        var root = new RootCommand("caiman: run pipelines of checkpoints, pause, resume and cancel them") { data };
        data.Recursive = true;
        root.Subcommands.Add(RunVerb(data));
        root.Subcommands.Add(ResumeVerb(data));
        root.Subcommands.Add(DemoVerb(data));
        return root;
    }

    private static Command RunVerb(Option<string> data)
    {
        var pipeline = new Argument<string>("pipeline") { Description = "The pipeline file (HOCON)" };
        var runId = new Option<string?>("--run-id") { Description = "Id of the new run (default: pipeline name and time)" };
        var pauseBefore = new Option<string[]>("--pause-before") { Description = "Pause before this checkpoint (repeatable)", AllowMultipleArgumentsPerToken = false };
        var dryRun = new Option<bool>("--dry-run") { Description = "Checkpoints report what they would do and change nothing outside the DOC" };
        var command = new Command("run", "Start a run of a pipeline and follow it to its end") { pipeline, runId, pauseBefore, dryRun };
        command.SetAction((parse, token) => Runner.RunAsync(
            parse.GetValue(data)!, parse.GetValue(pipeline)!, parse.GetValue(runId), parse.GetValue(pauseBefore) ?? [], parse.GetValue(dryRun), token));
        return command;
    }

    private static Command ResumeVerb(Option<string> data)
    {
        var runId = new Argument<string>("run-id") { Description = "The run to resume" };
        var from = new Option<string?>("--from") { Description = "Reset this checkpoint and everything depending on it, and run them again" };
        var pauseBefore = new Option<string[]>("--pause-before") { Description = "Pause before this checkpoint (repeatable)" };
        var command = new Command("resume", "Go on with a paused, failed, cancelled or interrupted run") { runId, from, pauseBefore };
        command.SetAction((parse, token) => Runner.ResumeAsync(
            parse.GetValue(data)!, parse.GetValue(runId)!, parse.GetValue(from), parse.GetValue(pauseBefore) ?? [], token));
        return command;
    }

    private static Command DemoVerb(Option<string> data)
    {
        var command = new Command("demo", "A DOC demo: writes from three checkpoints, a revert, and recovery after a restart");
        command.SetAction(async (parse, _) =>
        {
            var directory = parse.GetValue(data)!;
            try
            {
                await Demo.Run(directory);
                return ExitCodes.Completed;
            }
            catch (Caiman.Doc.Client.DocException refused)
            {
                Console.Error.WriteLine($"caiman: {refused.Error.Message}");
                return ExitCodes.Failed;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"caiman: cannot use data directory '{directory}': {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        return command;
    }
}

/// <summary>The exit codes, as documented in the README.</summary>
internal static class ExitCodes
{
    public const int Completed = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
    public const int Paused = 3;
    public const int Cancelled = 4;
}

internal static class DataDirectory
{
    /// <summary>$XDG_DATA_HOME/caiman, or ~/.local/share/caiman.</summary>
    public static string Default()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share") : xdg;
        return Path.Combine(root, "caiman");
    }
}
