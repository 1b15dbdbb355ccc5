using Akka.Configuration;
using Caiman.Doc;

namespace Caiman.Actors;

/// <summary>What a run does when two unrelated checkpoints write the same DOC node.</summary>
public enum RaceDetection
{
    Warning,
    Error,
}

/// <summary>Where checkpoints run when neither their entry nor their pipeline says (<c>caiman.engine.isolation</c>).</summary>
public enum IsolationDefault
{
    /// <summary><c>dotnet</c> checkpoints in worker processes, the built-in types in process.</summary>
    Auto,
    InProcess,
    Process,
}

/// <summary>The <c>caiman.engine</c> section of the configuration (see reference.conf for each key).</summary>
public sealed record EngineSettings(
    int Parallelism,
    TimeSpan CancelGracePeriod,
    TimeSpan ProcessKillGracePeriod,
    RaceDetection RaceDetection,
    string DataDirectory,
    TimeSpan AskTimeout,
    bool ContinueAfterRecovery,
    IsolationDefault Isolation,
    WorkerSettings Workers)
{
    public const string AttemptDispatcher = "caiman.engine.attempt-dispatcher";
    public const string LogDispatcher = "caiman.engine.log-dispatcher";

    public static EngineSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var engine = config.WithFallback(EngineConfig.Default()).GetConfig("caiman.engine");
        var parallelism = engine.GetInt("parallelism");
        if (parallelism < 0) throw new ArgumentException($"caiman.engine.parallelism must be 0 (core count) or more, not {parallelism}", nameof(config));
        var race = engine.GetString("race-detection");
        var isolation = engine.GetString("isolation");
        return new EngineSettings(
            parallelism == 0 ? Environment.ProcessorCount : parallelism,
            engine.GetTimeSpan("cancel-grace-period"),
            engine.GetTimeSpan("process-kill-grace-period"),
            race switch
            {
                "warning" => RaceDetection.Warning,
                "error" => RaceDetection.Error,
                _ => throw new ArgumentException($"caiman.engine.race-detection must be 'warning' or 'error', not '{race}'", nameof(config)),
            },
            engine.GetString("data-directory"),
            DocSettings.Create(config).AskTimeout,
            engine.GetBoolean("continue-after-recovery"),
            isolation switch
            {
                "auto" => IsolationDefault.Auto,
                "in-process" => IsolationDefault.InProcess,
                "process" => IsolationDefault.Process,
                _ => throw new ArgumentException($"caiman.engine.isolation must be 'auto', 'in-process' or 'process', not '{isolation}'", nameof(config)),
            },
            WorkerSettings.Create(engine.GetConfig("workers")));
    }
}

/// <summary>The <c>caiman.engine.workers</c> section: the pool of worker processes.</summary>
public sealed record WorkerSettings(int Max, TimeSpan IdleTimeout, TimeSpan StartTimeout, IReadOnlyList<string> Command, string? Certificate)
{
    public static WorkerSettings Create(Config workers)
    {
        ArgumentNullException.ThrowIfNull(workers);
        var max = workers.GetInt("max");
        if (max < 0) throw new ArgumentException($"caiman.engine.workers.max must be 0 (twice the core count) or more, not {max}", nameof(workers));
        return new WorkerSettings(
            max == 0 ? 2 * Environment.ProcessorCount : max,
            workers.GetTimeSpan("idle-timeout"),
            workers.GetTimeSpan("start-timeout"),
            [.. workers.GetStringList("command")],
            workers.GetString("certificate") is { Length: > 0 } certificate ? certificate : null);
    }
}

/// <summary>The engine's HOCON defaults, shipped inside the assembly.</summary>
public static class EngineConfig
{
    private static readonly Lazy<Config> Parsed = new(() =>
        ConfigurationFactory.ParseString(DocConfig.ReadResource(typeof(EngineConfig).Assembly, "Caiman.Actors.reference.conf"))
            .WithFallback(Caiman.Checkpoints.CheckpointsConfig.Default()));

    /// <summary>The engine's, the checkpoints' and the DOC's reference.conf together; use it as the fallback of a host's config.</summary>
    public static Config Default() => Parsed.Value;
}
