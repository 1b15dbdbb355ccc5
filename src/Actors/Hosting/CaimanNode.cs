using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Hosting.Logging;
using Akka.Remote.Transport.DotNetty;
using Caiman.Actors.Protocol;
using Caiman.Actors.Serialization;
using Caiman.Doc.Persistence;
using Caiman.Doc.Protocol;
using Caiman.Doc.Serialization;
using Microsoft.Extensions.Logging;

namespace Caiman.Actors.Hosting;

/// <summary>What a node of the engine runs with: its data directory, extra config, and whether it has worker processes.</summary>
public sealed record CaimanNodeOptions(string DataDirectory)
{
    /// <summary>Config that takes precedence over everything the node derives (tests, a host's own settings).</summary>
    public Config? Extra { get; init; }

    /// <summary>
    /// Worker processes for checkpoints that run isolated: remoting on 127.0.0.1 (a free port),
    /// with TLS whose certificate (made per start, kept in the data directory, mode 0600) every
    /// peer must present, and the command that starts a worker. Off: in-process attempts only.
    /// </summary>
    public IReadOnlyList<string>? WorkerCommand { get; init; }
}

/// <summary>
/// The one place that makes an actor system able to run the engine, used by every host (the CLI's
/// in-process engine, the daemon through Akka.Hosting's <see cref="AddCaiman"/>, and worker
/// processes), so none can forget a part: the engine's, the checkpoints' and the DOC's defaults,
/// the serializers bound in code as well as in HOCON (a bare system would persist with Newtonsoft),
/// the SQLite journal of the data directory, and, with workers, remoting and its certificate.
/// </summary>
public static class CaimanNode
{
    public const string SystemName = "caiman";
    public const string WorkerSystemName = "caiman-worker";

    /// <summary>The config and setups of an engine node.</summary>
    public static (Config Config, ImmutableArray<Setup> Setups) Engine(CaimanNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var data = Path.GetFullPath(options.DataDirectory);
        var derived = ConfigurationFactory.ParseString($"""
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            akka.loggers = ["Akka.Hosting.Logging.LoggerFactoryLogger, Akka.Hosting"]
            # The host owns SIGINT and SIGTERM (a run cancels or suspends its attempts first): Akka's
            # own hook would terminate the actor system under the runs' feet.
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            caiman.engine.data-directory = {Quote(data)}
            """);
        var setups = ImmutableArray.CreateBuilder<Setup>();
        if (options.WorkerCommand is { Count: > 0 } command)
        {
            var (certificate, path) = WorkerCertificate.Create(data);
            derived = ConfigurationFactory.ParseString($"""
                caiman.engine.workers.command = [{string.Join(", ", command.Select(Quote))}]
                caiman.engine.workers.certificate = {Quote(path)}
                """).WithFallback(Remoting()).WithFallback(derived);
            setups.Add(Tls(certificate));
        }
        var config = (options.Extra ?? Config.Empty)
            .WithFallback(derived)
            .WithFallback(SqlitePersistence.Config(Path.Combine(data, "caiman.db")))
            .WithFallback(EngineConfig.Default());
        return (config, setups.ToImmutable());
    }

    /// <summary>The config and setups of a worker process that joins the engine with this certificate.</summary>
    public static (Config Config, ImmutableArray<Setup> Setups) Worker(string? certificatePath, Config? extra = null)
    {
        var config = (extra ?? Config.Empty)
            .WithFallback(ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                # A worker keeps nothing: its attempts' state is in their runs' journals.
                akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
                akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
                """))
            .WithFallback(Remoting(secure: certificatePath is not null))
            .WithFallback(EngineConfig.Default());
        return (config, certificatePath is null ? [] : [Tls(WorkerCertificate.Load(certificatePath))]);
    }

    /// <summary>An actor system for the engine or a worker, on a plain <see cref="ActorSystem.Create(string, BootstrapSetup)"/> path.</summary>
    public static ActorSystem Create(string name, (Config Config, ImmutableArray<Setup> Setups) node, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        var setup = BootstrapSetup.Create().WithConfig(node.Config).And(new LoggerFactorySetup(loggers));
        return ActorSystem.Create(name, node.Setups.Aggregate(setup, (all, one) => all.And(one)));
    }

    /// <summary>
    /// Akka.Hosting: adds an engine node's config, serializers and setups to the builder (the host
    /// still starts the engine, with <see cref="CaimanEngine.Start"/>, once the system is up).
    /// </summary>
    public static AkkaConfigurationBuilder AddCaiman(this AkkaConfigurationBuilder builder, CaimanNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var (config, setups) = Engine(options);
        builder.AddHocon(config, HoconAddMode.Prepend)
            .WithCustomSerializer("caiman-doc", [typeof(IDocMessage)], system => new DocSerializer(system))
            .WithCustomSerializer("caiman-run", [typeof(IRunMessage)], system => new RunSerializer(system));
        foreach (var setup in setups) builder.AddSetup(setup);
        return builder;
    }

    /// <summary>Remoting on 127.0.0.1 only, on a free port: workers are local processes.</summary>
    private static Config Remoting(bool secure = true) => ConfigurationFactory.ParseString($$"""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp {
          hostname = 127.0.0.1
          port = 0
          enable-ssl = {{(secure ? "on" : "off")}}
        }
        # Workers come and go with their attempts: their associations ending is no news.
        akka.remote.log-remote-lifecycle-events = off
        # A worker's death is known from its process exit within milliseconds; the failure detector is the backstop.
        akka.remote.watch-failure-detector.acceptable-heartbeat-pause = 10s
        """);

    /// <summary>Mutual TLS pinned to one certificate: only a peer presenting this very certificate may associate.</summary>
    private static DotNettySslSetup Tls(X509Certificate2 certificate) =>
        new(certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
            customValidator: CertificateValidation.PinnedCertificate([certificate.Thumbprint]));

    /// <summary>A HOCON string literal.</summary>
    public static string Quote(string text) => JsonSerializer.Serialize(text);
}

/// <summary>
/// The certificate an engine and its worker processes share: made anew at each engine start
/// (a worker of an earlier engine cannot join a new one), kept in <c>&lt;data&gt;/workers/tls.pfx</c>
/// with mode 0600 in a directory of mode 0700, so only the engine's user can read it.
/// </summary>
internal static class WorkerCertificate
{
    public static (X509Certificate2 Certificate, string Path) Create(string dataDirectory)
    {
        var directory = Path.Combine(dataDirectory, "workers");
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=caiman-engine", key, HashAlgorithmName.SHA256);
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(10));
        var bytes = made.Export(X509ContentType.Pfx);
        var path = Path.Combine(directory, "tls.pfx");
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
        return (X509CertificateLoader.LoadPkcs12(bytes, null, X509KeyStorageFlags.Exportable), path);
    }

    public static X509Certificate2 Load(string path) =>
        X509CertificateLoader.LoadPkcs12FromFile(path, null, X509KeyStorageFlags.Exportable);
}
