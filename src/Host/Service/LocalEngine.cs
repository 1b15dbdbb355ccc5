using Akka.Actor;
using Akka.Configuration;
using Caiman.Actors;
using Caiman.Actors.Hosting;
using Caiman.Checkpoints;
using Microsoft.Extensions.Logging;

namespace Caiman.Host.Service;

/// <summary>
/// The engine in this process, on the data directory's SQLite journal. One process at a time
/// may own a data directory (<see cref="DataLock"/>): two engines on one journal would each
/// think the other's running attempts were interrupted. The engine owns its actor system and the
/// lock: disposing it releases both.
/// </summary>
internal static class LocalEngine
{
    /// <summary>
    /// Boots the engine on the data directory. <paramref name="loggers"/> receives Akka's own log
    /// events and the runs' log entries; the caller owns it. With <paramref name="workers"/> the
    /// engine can run checkpoints in worker processes (<paramref name="workerCommand"/>, by default
    /// this executable as `caiman worker`).
    /// </summary>
    /// <exception cref="DataDirectoryInUseException">Another process owns the directory.</exception>
    public static CaimanEngine Start(string data, ILoggerFactory loggers, Config? extra = null, bool workers = true, CheckpointTypes? types = null,
        IReadOnlyList<string>? workerCommand = null)
    {
        data = Path.GetFullPath(data);
        Directory.CreateDirectory(data);
        var dataLock = DataLock.Acquire(data);
        try
        {
            var node = CaimanNode.Engine(new CaimanNodeOptions(data) { Extra = extra, WorkerCommand = workers ? workerCommand ?? WorkerCommand() : null });
            var system = CaimanNode.Create(CaimanNode.SystemName, node, loggers);
            var engine = CaimanEngine.Start(system, types ?? CheckpointTypes.BuiltIn(), loggers);
            engine.Owns(new Owned(system, dataLock));
            return engine;
        }
        catch
        {
            dataLock.Dispose();
            throw;
        }
    }

    /// <summary>This executable as a worker: `caiman`, or `dotnet caiman.dll` when it was started that way.</summary>
    public static IReadOnlyList<string> WorkerCommand()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("this process's executable is unknown");
        var entry = typeof(LocalEngine).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && entry.Length > 0 ? [process, entry] : [process];
    }

    private sealed class Owned(ActorSystem system, DataLock dataLock) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            // The coordinated shutdown, not a bare terminate: its phases let worker processes exit cleanly first.
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ActorSystemTerminateReason.Instance).ConfigureAwait(false);
            dataLock.Dispose();
        }
    }
}
