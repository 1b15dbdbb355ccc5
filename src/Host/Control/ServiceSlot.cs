using Caiman.Actors;

namespace Caiman.Host.Control;

/// <summary>
/// The engine the control API serves, once the daemon has started and recovered it. Requests that
/// come earlier wait for it; none are served once the daemon is stopping.
/// </summary>
internal sealed class ServiceSlot
{
    private readonly TaskCompletionSource<ICaimanService> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<ICaimanService> Service => _ready.Task;

    public void Fill(ICaimanService service) => _ready.TrySetResult(service);

    public void Fail(Exception reason) => _ready.TrySetException(reason);
}
