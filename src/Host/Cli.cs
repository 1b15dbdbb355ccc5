using System.CommandLine;
using Caiman.Host.Control;
using Caiman.Host.Daemon;
using Caiman.Host.Verbs;
using Caiman.Host.Worker;

namespace Caiman.Host;

/// <summary>The verbs of the `caiman` command and the options they share.</summary>
internal static class Cli
{
    public static RootCommand Build()
    {
        var data = new Option<string>("--data")
        {
            Description = "Data directory: the run journal (caiman.db), each run's log, the daemon's socket (default: $CAIMAN_DATA, else $XDG_DATA_HOME/caiman or ~/.local/share/caiman)",
            Recursive = true,
        };
        var config = new Option<string[]>("--config")
        {
            Description = "A HOCON file of engine settings over the defaults (repeatable, later ones win; after $CAIMAN_CONFIG), e.g. caiman.engine.isolation = process",
            HelpName = "FILE",
            Recursive = true,
        };
        var globals = new Globals(data, config);
        var root = new RootCommand("caiman: run pipelines of checkpoints; pause, resume, cancel and inspect runs") { data, config };
        foreach (var verb in RunVerbs.Create(globals).Concat(QueryVerbs.Create(globals)).Append(DaemonCommand.Create(globals)).Append(WorkerVerb.Create()).Append(DemoVerb(data)))
            root.Subcommands.Add(verb);
        // Every verb goes to the daemon serving the data directory when one answers.
        Connect.Daemon = DaemonClient.TryConnectAsync;
        return root;
    }

    private static Command DemoVerb(Option<string> data)
    {
        var command = new Command("demo", "A DOC demo: writes from three checkpoints, a revert, and recovery after a restart");
        command.SetAction(async (parse, _) =>
        {
            var directory = DataDirectory.From(parse.GetValue(data));
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

/// <summary>The options every verb takes: the data directory and the config files.</summary>
internal sealed record Globals(Option<string> Data, Option<string[]> Config)
{
    public string DataDirectoryOf(ParseResult parse) => DataDirectory.From(parse.GetValue(Data));

    /// <summary>The config files' settings; a bad file is a <see cref="Service.ConfigFileException"/>.</summary>
    public Akka.Configuration.Config? ConfigOf(ParseResult parse) => Service.ConfigFiles.Load(parse.GetValue(Config) ?? []);
}

internal static class DataDirectory
{
    /// <summary>The --data value, or the default when it was not given.</summary>
    public static string From(string? option) => string.IsNullOrEmpty(option) ? Default() : option;

    /// <summary>$CAIMAN_DATA, else $XDG_DATA_HOME/caiman, else ~/.local/share/caiman.</summary>
    public static string Default()
    {
        if (Environment.GetEnvironmentVariable("CAIMAN_DATA") is { Length: > 0 } explicitDirectory) return explicitDirectory;
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share") : xdg;
        return Path.Combine(root, "caiman");
    }
}
