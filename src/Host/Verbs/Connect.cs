using Akka.Configuration;
using Caiman.Actors;
using Caiman.Doc.Client;
using Caiman.Host.Service;
using Microsoft.Extensions.Logging;

namespace Caiman.Host.Verbs;

/// <summary>
/// Finds the engine a verb talks to: the daemon serving the data directory when one answers,
/// else an engine in this process. Also turns refusals into one clear line and exit code 2.
/// </summary>
internal static class Connect
{
    /// <summary>Reaches a daemon for the data directory, or null when none answers.</summary>
    public static Func<string, CancellationToken, Task<ICaimanService?>> Daemon { get; set; } = (_, _) => Task.FromResult<ICaimanService?>(null);

    /// <summary>
    /// How the verb uses the engine. <see cref="Runs"/> verbs start or resume runs: an in-process
    /// engine lets recovered runs go on. <see cref="Inspects"/> verbs only look or steer: a run
    /// found interrupted is recovered paused, never run by a short-lived command.
    /// </summary>
    public enum Use
    {
        Runs,
        Inspects,
    }

    public static async Task<int> WithService(System.CommandLine.ParseResult parse, Globals globals, Use use, Func<ICaimanService, Task<int>> work, CancellationToken token)
    {
        var data = globals.DataDirectoryOf(parse);
        try
        {
            await using var service = await Open(data, globals.ConfigOf(parse), use, token);
            if (service is null) return ExitCodes.BadInput;
            return await work(service);
        }
        catch (RunException refused)
        {
            return Refused(refused.Error.Message);
        }
        catch (DocException refused)
        {
            return Refused(refused.Error.Message);
        }
        catch (ConfigFileException bad)
        {
            return Refused(bad.Message);
        }
        catch (DataDirectoryInUseException busy)
        {
            return Refused($"{busy.Message}: control runs there (Ctrl-C cancels a `caiman run`), or start `caiman daemon` to reach runs from any terminal");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Refused($"cannot use data directory '{data}': {e.Message}");
        }
    }

    public static int Refused(string message)
    {
        Console.Error.WriteLine($"caiman: {message}");
        return ExitCodes.BadInput;
    }

    private static async Task<ICaimanService?> Open(string data, Config? config, Use use, CancellationToken token)
    {
        if (await Daemon(data, token) is { } daemon) return daemon;
        // Looking at runs must not create a journal where there is none (a mistyped --data).
        if (use == Use.Inspects && !File.Exists(Path.Combine(data, "caiman.db")))
        {
            Refused($"no runs in data directory '{Path.GetFullPath(data)}' (no caiman.db; pass --data, or set CAIMAN_DATA)");
            return null;
        }
        // Looking at runs never starts their work, so it needs no worker processes either.
        var inspects = use == Use.Inspects;
        var extra = inspects ? ConfigurationFactory.ParseString("caiman.engine.continue-after-recovery = off").WithFallback(config ?? Config.Empty) : config;
        return LocalEngine.Start(data, Logging, extra, workers: !inspects);
    }

    /// <summary>
    /// The in-process engine's logging: Akka's own events and run warnings on stderr, on one line
    /// each; checkpoint output stays in each run's log file.
    /// </summary>
    private static ILoggerFactory Logging { get; } = LoggerFactory.Create(logging => logging
        .AddSimpleConsole(console => console.SingleLine = true)
        .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
        .SetMinimumLevel(LogLevel.Warning)
        .AddFilter("Caiman.Checkpoint", LogLevel.None)
        .AddFilter("Caiman.Run", LogLevel.Error));
}
