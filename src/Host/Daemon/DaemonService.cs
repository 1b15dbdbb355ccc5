using Akka.Actor;
using Caiman.Actors;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Host.Control;
using Caiman.Host.Service;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Caiman.Host.Daemon;

/// <summary>
/// The engine's life in the daemon. Registered after Akka.Hosting's service, so it starts once the
/// actor system is up and stops before the system is shut down: it starts the engine, recovers
/// every unfinished run once the control API is bound, and at a stop suspends them (running
/// attempts get the time left by the stop timeout, the rest are interrupted and run again after
/// a restart).
/// </summary>
internal sealed class DaemonService(
    ActorSystem system,
    ServiceSlot slot,
    DaemonSettings settings,
    ILoggerFactory loggers,
    ILogger<DaemonService> log) : IHostedLifecycleService
{
    private CaimanEngine? _engine;
    private bool _recovered;

    /// <summary>Starts the engine; its runs are recovered once the control API is bound (<see cref="StartedAsync"/>).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _engine = CaimanEngine.Start(system, CheckpointTypes.BuiltIn(), loggers);
        }
        catch (Exception e)
        {
            slot.Fail(e);
            throw;
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// After every hosted service, Kestrel included, has started: a listener that cannot bind
    /// stops the daemon before any recovered run goes on. Requests wait for the recovery, and
    /// systemd hears "ready" only after it.
    /// </summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        try
        {
            var statuses = await _engine!.RecoverAllAsync().WaitAsync(cancellationToken);
            var goingOn = statuses.Where(s => s.Phase is RunPhase.Running or RunPhase.Pausing or RunPhase.Cancelling).Select(s => s.RunId).ToList();
            var waiting = statuses.Where(s => s.Phase is RunPhase.Paused or RunPhase.Failed or RunPhase.Cancelled).Select(s => s.RunId).ToList();
            log.LogInformation(
                "recovered {Total} runs from the journal: {GoingOn} going on{GoingOnIds}, {Waiting} paused, failed or cancelled{Resume}",
                statuses.Length, goingOn.Count, goingOn.Count == 0 ? "" : $" ({string.Join(", ", goingOn)})", waiting.Count,
                settings.Resume ? "" : " (--no-resume: runs interrupted by the last stop were paused)");
            slot.Fill(_engine);
            _recovered = true;
        }
        catch (Exception e)
        {
            slot.Fail(e);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Before recovery no run was let go on, so none runs (asking for them would recover them).
        if (_engine is null || !_recovered) return;
        var finishWithin = settings.FinishWithin(_engine.Settings.CancelGracePeriod);
        log.LogInformation("stopping: running attempts get {FinishWithin} to finish, the rest are interrupted and run again after a restart", finishWithin);
        try
        {
            await _engine.SuspendAllAsync(finishWithin).WaitAsync(cancellationToken);
            log.LogInformation("every run is suspended; nothing runs");
        }
        catch (OperationCanceledException)
        {
            log.LogWarning("runs were still stopping when the stop timeout ({StopTimeout}) ran out; the next start recovers them as interrupted", settings.StopTimeout);
        }
        catch (Exception e)
        {
            log.LogError(e, "suspending the runs failed; the next start recovers them as interrupted");
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
