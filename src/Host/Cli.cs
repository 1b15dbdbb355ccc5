using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Caiman.Host.Control;
using Caiman.Host.Daemon;
using Caiman.Host.Verbs;
using Caiman.Host.Worker;

namespace Caiman.Host;

/// <summary>The verbs of the `caiman` command and the options they share.</summary>
internal static class Cli
{
    // No response files: with them any argument starting with '@' names a file to splice in, so
    // `caiman doc r get @/etc/passwd` printed that file's lines in its error messages.
    private static readonly ParserConfiguration Parsing = new() { ResponseFileTokenReplacer = null };

    /// <summary>Parses the arguments as the `caiman` command does.</summary>
    public static ParseResult Parse(IReadOnlyList<string> args) => Build().Parse(args, Parsing);

    /// <summary>
    /// Parses and runs the arguments. A usage error (an unknown verb or option, a missing argument,
    /// a bad option value) prints the parser's message on stderr and exits 2, as bad input does.
    /// </summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, InvocationConfiguration? invocation = null)
    {
        var parsed = Parse(args);
        if (parsed.Action is not ParseErrorAction errors)
            return await parsed.InvokeAsync(invocation);
        // The parser's own messages and typo hints, all on stderr, without the whole help text after them.
        var error = invocation?.Error ?? Console.Error;
        errors.ShowHelp = false;
        await parsed.InvokeAsync(new InvocationConfiguration { Output = error, Error = error });
        await error.WriteLineAsync($"Run 'caiman {(Verb(parsed.CommandResult) is { } verb ? verb + " " : "")}--help' for usage.");
        return ExitCodes.BadInput;
    }

    // The verb under the root that the arguments reached, if any.
    private static string? Verb(CommandResult? result)
    {
        while (result?.Parent is CommandResult parent && parent.Command is not RootCommand)
            result = parent;
        return result?.Command is RootCommand ? null : result?.Command.Name;
    }

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
        foreach (var verb in RunVerbs.Create(globals).Concat(QueryVerbs.Create(globals)).Append(DaemonCommand.Create(globals)).Append(WorkerVerb.Create()))
            root.Subcommands.Add(verb);
        // Every verb goes to the daemon serving the data directory when one answers.
        Connect.Daemon = DaemonClient.TryConnectAsync;
        return root;
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
