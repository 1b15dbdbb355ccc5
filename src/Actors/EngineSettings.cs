using Akka.Configuration;
using Caiman.Doc;

namespace Caiman.Actors;

/// <summary>What a run does when two unrelated checkpoints write the same DOC node.</summary>
public enum RaceDetection
{
    Warning,
    Error,
}

/// <summary>The <c>caiman.engine</c> section of the configuration (see reference.conf for each key).</summary>
public sealed record EngineSettings(
    int Parallelism,
    TimeSpan CancelGracePeriod,
    TimeSpan ProcessKillGracePeriod,
    RaceDetection RaceDetection,
    string DataDirectory,
    TimeSpan AskTimeout,
    bool ContinueAfterRecovery = true)
{
    public const string AttemptDispatcher = "caiman.engine.attempt-dispatcher";

    public static EngineSettings Create(Config config)
    {
        var engine = config.GetConfig("caiman.engine") ?? Config.Empty;
        var parallelism = engine.GetInt("parallelism", 0);
        if (parallelism < 0) throw new ArgumentException($"caiman.engine.parallelism must be 0 (core count) or more, not {parallelism}", nameof(config));
        var race = engine.GetString("race-detection", "warning");
        return new EngineSettings(
            parallelism == 0 ? Environment.ProcessorCount : parallelism,
            engine.GetTimeSpan("cancel-grace-period", TimeSpan.FromSeconds(5)),
            engine.GetTimeSpan("process-kill-grace-period", TimeSpan.FromSeconds(3)),
            race switch
            {
                "warning" => RaceDetection.Warning,
                "error" => RaceDetection.Error,
                _ => throw new ArgumentException($"caiman.engine.race-detection must be 'warning' or 'error', not '{race}'", nameof(config)),
            },
            engine.GetString("data-directory", ""),
            DocSettings.Create(config).AskTimeout,
            engine.GetBoolean("continue-after-recovery", true));
    }
}

/// <summary>The engine's HOCON defaults, shipped inside the assembly.</summary>
public static class EngineConfig
{
    private static readonly Lazy<Config> Parsed = new(() =>
    {
        using var stream = typeof(EngineConfig).Assembly.GetManifestResourceStream("Caiman.Actors.reference.conf")
            ?? throw new InvalidOperationException("embedded resource 'Caiman.Actors.reference.conf' is missing");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd()).WithFallback(Caiman.Checkpoints.CheckpointsConfig.Default());
    });

    /// <summary>The engine's and the DOC's reference.conf together; use it as the fallback of a host's config.</summary>
    public static Config Default() => Parsed.Value;
}
