using System.CommandLine;
using System.Net;
using System.Runtime.Versioning;
using Akka.Configuration;
using Akka.Hosting;
using Caiman.Actors.Hosting;
using Caiman.Host.Control;
using Caiman.Actors;
using Caiman.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Caiman.Host.Daemon;

/// <summary>
/// `caiman daemon`: the engine as a long-lived service on a data directory, reached over its control
/// API (docs/control-api.md) on a Unix socket, and optionally on 127.0.0.1 with a bearer token.
/// </summary>
internal static class DaemonCommand
{
    public static Command Create(Globals globals)
    {
        var socket = new Option<string?>("--socket") { Description = "The control API's Unix socket (default: <data>/caiman.sock)" };
        var listenTcp = new Option<int?>("--listen-tcp")
        {
            Description = "Also serve the control API on 127.0.0.1:PORT (needs --token-file)",
            HelpName = "PORT",
        };
        var tokenFile = new Option<string?>("--token-file") { Description = "File holding the bearer token TCP callers must present", HelpName = "PATH" };
        var noResume = new Option<bool>("--no-resume") { Description = "Pause the runs a crash or the last stop interrupted, instead of letting them go on" };
        var stopTimeout = new Option<TimeSpan>("--stop-timeout")
        {
            Description = "How long a stop (SIGTERM) may take: running attempts get this less a margin to finish, the rest are interrupted",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (Durations.TryParse(text, out var duration)) return duration;
                result.AddError($"--stop-timeout: '{text}' is not a duration (e.g. 30s, 2m, 00:01:30)");
                return default;
            },
        };
        var command = new Command("daemon", "Serve runs from this data directory until stopped; other caiman commands reach it through its socket")
        {
            socket, listenTcp, tokenFile, noResume, stopTimeout,
        };
        // A synchronous action on purpose: System.CommandLine forces an async action to end 2 s
        // after SIGTERM, while the daemon needs its whole stop timeout to suspend its runs.
        command.SetAction(parse =>
        {
            var directory = Path.GetFullPath(globals.DataDirectoryOf(parse));
            Config? config;
            try
            {
                config = globals.ConfigOf(parse);
            }
            catch (ConfigFileException bad)
            {
                return Refuse(bad.Message);
            }
            var settings = new DaemonSettings(
                directory,
                Path.GetFullPath(parse.GetValue(socket) ?? DaemonClient.SocketIn(directory)),
                parse.GetValue(listenTcp),
                parse.GetValue(tokenFile),
                !parse.GetValue(noResume),
                parse.GetValue(stopTimeout)) { Config = config };
            return RunAsync(settings).GetAwaiter().GetResult();
        });
        return command;
    }

    internal static async Task<int> RunAsync(DaemonSettings settings)
    {
        // Peer credentials (SO_PEERCRED) and socket modes are Linux's.
        if (!OperatingSystem.IsLinux()) return Refuse("the daemon runs on Linux only");
        if (settings.TcpPort is { } port && port is < 1 or > 65535) return Refuse($"--listen-tcp {port}: not a TCP port (1-65535)");
        if (settings.TcpPort is not null && settings.TokenFile is null)
            return Refuse("--listen-tcp needs --token-file: TCP callers are admitted by a bearer token only (e.g. `openssl rand -hex 32 > token; chmod 600 token`)");
        string? token = null;
        if (settings.TokenFile is { } file)
        {
            if (settings.TcpPort is null) return Refuse("--token-file is only used with --listen-tcp");
            try
            {
                token = (await File.ReadAllTextAsync(file)).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Refuse($"cannot read the token file '{file}': {e.Message}");
            }
            if (token.Length < 16) return Refuse($"the token in '{file}' is too short: use at least 16 characters (e.g. `openssl rand -hex 32`)");
        }

        // sun_path holds 108 bytes with the terminating NUL.
        if (System.Text.Encoding.UTF8.GetByteCount(settings.Socket) > 107)
            return Refuse($"the socket path '{settings.Socket}' is longer than a Unix socket allows (107 bytes); pass a shorter --socket or --data");
        try
        {
            CreatePrivateDirectory(settings.DataDirectory);
            CreatePrivateDirectory(Path.GetDirectoryName(settings.Socket)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Refuse($"cannot use data directory '{settings.DataDirectory}': {e.Message}");
        }

        DataLock dataLock;
        try
        {
            dataLock = DataLock.Acquire(settings.DataDirectory);
        }
        catch (DataDirectoryInUseException busy)
        {
            return Refuse($"{busy.Message}: a daemon (or a `caiman run`) already serves it; stop it first, or pass another --data");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Refuse($"cannot lock data directory '{settings.DataDirectory}': {e.Message}");
        }
        using (dataLock)
        {
            // Under the lock no other daemon serves this directory, so a socket left here is stale.
            if (await SocketFile.ClearStaleAsync(settings.Socket) is { } problem) return Refuse(problem);
            try
            {
                var app = Build(settings, token);
                await using (app)
                {
                    await app.RunAsync();
                }
                return ExitCodes.Completed;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"caiman: the daemon failed: {e.Message}");
                return ExitCodes.Failed;
            }
            finally
            {
                SocketFile.Remove(settings.Socket);
            }
        }
    }

    [SupportedOSPlatform("linux")]
    private static WebApplication Build(DaemonSettings settings, string? token)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = settings.DataDirectory });
        // Configured by its command line only: no appsettings.json or ASPNETCORE_URLS may add a listener.
        builder.Configuration.Sources.Clear();

        // The console logger before systemd's, so that under systemd its journal format wins.
        builder.Logging.ClearProviders()
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            })
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)
            // Checkpoint output goes to each run's log file; the daemon's log has runs' own events.
            .AddFilter("Caiman.Checkpoint", LogLevel.None);
        builder.Services.AddSystemd();
        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = settings.StopTimeout);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ListenUnixSocket(settings.Socket);
            if (settings.TcpPort is { } port) kestrel.Listen(IPAddress.Loopback, port);
        });
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = endpoint =>
        {
            var bound = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
            // Bound but not yet listening: nobody can connect before the mode is 0600.
            if (endpoint is System.Net.Sockets.UnixDomainSocketEndPoint) File.SetUnixFileMode(settings.Socket, SocketFile.OwnerOnly);
            return bound;
        });

        // The host owns the shutdown: Akka's own hook would terminate the actor system on SIGTERM
        // before the engine could suspend its runs.
        var extra = ConfigurationFactory.ParseString($"""
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            caiman.engine.continue-after-recovery = {(settings.Resume ? "on" : "off")}
            """).WithFallback(settings.Config ?? Config.Empty);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<ServiceSlot>();
        builder.Services.AddAkka(CaimanNode.SystemName, (akka, _) => akka
            .AddCaiman(new CaimanNodeOptions(settings.DataDirectory) { Extra = extra, WorkerCommand = LocalEngine.WorkerCommand() })
            .ConfigureLoggers(logging =>
            {
                logging.LogLevel = Akka.Event.LogLevel.WarningLevel;
                logging.ClearLoggers();
                logging.AddLoggerFactory();
            }));
        // After AddAkka: started once the actor system is up, stopped before it is shut down.
        builder.Services.AddHostedService<DaemonService>();

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Caiman.Host.Daemon");
        var access = new PeerAccess(PeerCredentials.OwnUid(), token, log);
        app.Use(access.InvokeAsync);
        app.MapControlApi(settings.DataDirectory);
        app.Lifetime.ApplicationStarted.Register(() => log.LogInformation(
            "caiman daemon {Pid} ready: data {Data}, socket {Socket}{Tcp}",
            Environment.ProcessId, settings.DataDirectory, settings.Socket, settings.TcpPort is { } p ? $", tcp 127.0.0.1:{p} (bearer token)" : ""));
        return app;
    }

    /// <summary>Creates a directory only its owner may enter; one that exists keeps its mode.</summary>
    [SupportedOSPlatform("linux")]
    private static void CreatePrivateDirectory(string path)
    {
        if (!Directory.Exists(path)) Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static int Refuse(string message)
    {
        Console.Error.WriteLine($"caiman: {message}");
        return ExitCodes.BadInput;
    }
}
