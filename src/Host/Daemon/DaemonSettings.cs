namespace Caiman.Host.Daemon;

/// <summary>What `caiman daemon` was asked to do, its options resolved.</summary>
internal sealed record DaemonSettings(
    string DataDirectory,
    string Socket,
    int? TcpPort,
    string? TokenFile,
    bool Resume,
    TimeSpan StopTimeout)
{
    /// <summary>The config files' settings (`--config`, $CAIMAN_CONFIG), over the engine's defaults.</summary>
    public Akka.Configuration.Config? Config { get; init; }

    /// <summary>
    /// How long running attempts get to finish at a shutdown: the stop timeout less what
    /// interrupting the rest takes (the engine's cancel grace period, then reverting and stopping
    /// the actor system), so that the daemon is gone within its stop timeout.
    /// </summary>
    public TimeSpan FinishWithin(TimeSpan cancelGracePeriod)
    {
        var left = StopTimeout - cancelGracePeriod - TimeSpan.FromSeconds(2);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
