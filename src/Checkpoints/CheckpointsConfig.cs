using Akka.Configuration;
using Caiman.Doc;

namespace Caiman.Checkpoints;

/// <summary>The checkpoints' HOCON defaults (the process supervisor's dispatcher), shipped inside the assembly.</summary>
public static class CheckpointsConfig
{
    private static readonly Lazy<Config> Parsed = new(() =>
        ConfigurationFactory.ParseString(DocConfig.ReadResource(typeof(CheckpointsConfig).Assembly, "Caiman.Checkpoints.reference.conf"))
            .WithFallback(DocConfig.Default()));

    /// <summary>This module's and the DOC's reference.conf together; a fallback under a host's own config.</summary>
    public static Config Default() => Parsed.Value;
}
