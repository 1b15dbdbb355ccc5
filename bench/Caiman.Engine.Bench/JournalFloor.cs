using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;

namespace Caiman.Engine.Bench;

/// <summary>
/// The floor of a sequential persisted step: a trivial persistent actor that persists one small
/// event, waits until it is durable, then persists the next, on the same journal settings as the
/// engine. A run of sequential checkpoints needs at least one such write per checkpoint.
/// </summary>
internal sealed class SequentialPersistActor : ReceivePersistentActor
{
    private int _left;
    private IActorRef _replyTo = ActorRefs.Nobody;

    public SequentialPersistActor(string persistenceId)
    {
        PersistenceId = persistenceId;
        Recover<string>(_ => { });
        Command<PersistSequentially>(go =>
        {
            _left = go.Count;
            _replyTo = Sender;
            Next();
        });
    }

    public override string PersistenceId { get; }

    public static Props Props(string persistenceId) => Akka.Actor.Props.Create(() => new SequentialPersistActor(persistenceId));

    private void Next()
    {
        if (_left == 0)
        {
            _replyTo.Tell(SequenceDone.Instance);
            return;
        }
        _left--;
        Persist("step", _ => Next());
    }
}

internal sealed record PersistSequentially(int Count);

internal sealed record SequenceDone
{
    public static readonly SequenceDone Instance = new();
}

internal static class JournalFloor
{
    /// <summary>Milliseconds of wall time and of CPU (all threads) per sequential durable write, over <paramref name="count"/> writes, in a fresh system on a fresh file.</summary>
    public static async Task<(double WallMs, double CpuMs)> MeasureAsync(Journal journal, int count)
    {
        await using var host = EngineHost.Start(journal);
        var warm = host.System.ActorOf(SequentialPersistActor.Props("floor-warm"));
        await warm.Ask<SequenceDone>(new PersistSequentially(20), TimeSpan.FromMinutes(1));
        var actor = host.System.ActorOf(SequentialPersistActor.Props("floor"));
        EngineHost.Settle();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await actor.Ask<SequenceDone>(new PersistSequentially(count), TimeSpan.FromMinutes(2));
        var wall = clock.Elapsed;
        return (wall.TotalMilliseconds / count, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / count);
    }
}
