using Akka.Actor;
using Akka.Configuration;

namespace Caiman.Doc.Bench;

/// <summary>How a pipelined run ended: replies counted, and how many were not what the op expected.</summary>
internal sealed record PipelineResult(int Replies, int Errors, string? FirstError);

/// <summary>
/// Sends a sequence of messages with Tell, keeping at most <c>Window</c> of them unanswered, and
/// checks every reply. Replies come back to this actor (no Ask, no temporary actors), so what is
/// measured is the DOC's throughput, not the caller's.
/// </summary>
internal sealed class PipelineDriver : UntypedActor
{
    /// <summary>Local only (carries delegates). With <paramref name="Marks"/>, the Stopwatch timestamp of every <paramref name="MarkEvery"/>-th reply is written to it.</summary>
    /// <summary>With <paramref name="Send"/>, messages go through it (a DOC client routing each to its subtree) instead of to <paramref name="Target"/>.</summary>
    public sealed record Run(IActorRef Target, int Total, int Window, Func<int, object> MessageAt, Func<object, string?> Check, TaskCompletionSource<PipelineResult> Done,
        long[]? Marks = null, int MarkEvery = 0, Action<object, IActorRef>? Send = null);

    private Run? _run;
    private int _sent, _replies, _errors;
    private string? _firstError;

    public static Props Props() => Akka.Actor.Props.Create(() => new PipelineDriver());

    protected override void OnReceive(object message)
    {
        if (message is Run run)
        {
            (_run, _sent, _replies, _errors, _firstError) = (run, 0, 0, 0, null);
            if (run.Total == 0) { run.Done.TrySetResult(new PipelineResult(0, 0, null)); return; }
            while (_sent < run.Total && _sent < run.Window) Send();
            return;
        }
        if (_run is null) return;
        if (_run.Check(message) is { } error)
        {
            _errors++;
            _firstError ??= error;
        }
        _replies++;
        if (_run.Marks is { } marks && _replies % _run.MarkEvery == 0) marks[_replies / _run.MarkEvery - 1] = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_sent < _run.Total) Send();
        else if (_replies == _run.Total) _run.Done.TrySetResult(new PipelineResult(_replies, _errors, _firstError));
    }

    private void Send()
    {
        var message = _run!.MessageAt(_sent++);
        if (_run.Send is { } send) send(message, Self);
        else _run.Target.Tell(message, Self);
    }

    /// <summary>Runs one pipelined sequence through a driver and returns (result, seconds).</summary>
    public static async Task<(PipelineResult Result, double Seconds)> RunAsync(IActorRef driver, IActorRef target, int total, int window, Func<int, object> messageAt, Func<object, string?> check, TimeSpan timeout,
        Action<object, IActorRef>? send = null)
    {
        var done = new TaskCompletionSource<PipelineResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        driver.Tell(new Run(target, total, window, messageAt, check, done, Send: send));
        var finished = await Task.WhenAny(done.Task, Task.Delay(timeout)).ConfigureAwait(false);
        clock.Stop();
        if (finished != done.Task) throw new TimeoutException($"pipelined run of {total} messages did not finish within {timeout}");
        return (await done.Task.ConfigureAwait(false), clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// As <see cref="RunAsync"/>, and also the seconds each successive <paramref name="markEvery"/> replies took
    /// (the first window counted from the start, so it includes filling the pipeline).
    /// </summary>
    public static async Task<(PipelineResult Result, double Seconds, double[] WindowSeconds)> RunWindowedAsync(IActorRef driver, IActorRef target, int total, int window, int markEvery,
        Func<int, object> messageAt, Func<object, string?> check, TimeSpan timeout)
    {
        if (markEvery < 1 || total % markEvery != 0) throw new ArgumentException($"{total} replies do not divide into windows of {markEvery}", nameof(markEvery));
        var marks = new long[total / markEvery];
        var done = new TaskCompletionSource<PipelineResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        driver.Tell(new Run(target, total, window, messageAt, check, done, marks, markEvery));
        var finished = await Task.WhenAny(done.Task, Task.Delay(timeout)).ConfigureAwait(false);
        var end = System.Diagnostics.Stopwatch.GetTimestamp();
        if (finished != done.Task) throw new TimeoutException($"pipelined run of {total} messages did not finish within {timeout}");
        var seconds = new double[marks.Length];
        for (var w = 0; w < marks.Length; w++)
            seconds[w] = (marks[w] - (w == 0 ? start : marks[w - 1])) / (double)System.Diagnostics.Stopwatch.Frequency;
        return (await done.Task.ConfigureAwait(false), (end - start) / (double)System.Diagnostics.Stopwatch.Frequency, seconds);
    }
}

/// <summary>Replies with what it got: the floor of Akka messaging, with no DOC work at all.</summary>
internal sealed class EchoActor : UntypedActor
{
    public static Props Props() => Akka.Actor.Props.Create(() => new EchoActor());
    protected override void OnReceive(object message) => Sender.Tell(message);
}

internal static class AkkaConfigs
{
    public static readonly Config Quiet = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = 0
        akka.log-dead-letters-during-shutdown = off
        """);

    /// <summary>In-memory journal for the DOC actor's own (tiny) journal when only /volatile is used.</summary>
    public static Config InMemory() => Quiet.WithFallback(DocConfig.Default());

    public static Config Remote(int port) => ConfigurationFactory.ParseString($$"""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp {
          hostname = "127.0.0.1"
          port = {{port}}
          maximum-frame-size = 4000000b
          send-buffer-size = 4000000b
          receive-buffer-size = 4000000b
        }
        """).WithFallback(InMemory());

    public static Config Sqlite(string file, int snapshotEvery) =>
        ConfigurationFactory.ParseString($"caiman.doc.snapshot-every = {snapshotEvery}")
            .WithFallback(Quiet)
            .WithFallback(Caiman.Doc.Persistence.SqlitePersistence.Config(file))
            .WithFallback(DocConfig.Default());
}

/// <summary>
/// The floor of the journal stack: a parent that forwards each string round-robin to N trivial
/// persistent actors, which persist it as is (Akka's string serializer) and reply once it is
/// durable, exactly as a DOC subtree acknowledges a mutation, but with no DOC work at all.
/// </summary>
internal sealed class PersistFloorActor : UntypedActor
{
    private readonly IActorRef[] _children;
    private long _next;

    public PersistFloorActor(int children) =>
        _children = [.. Enumerable.Range(0, children).Select(i => Context.ActorOf(Akka.Actor.Props.Create(() => new Child($"floor-{i}")), $"floor-{i}"))];

    public static Props Props(int children) => Akka.Actor.Props.Create(() => new PersistFloorActor(children));

    protected override void OnReceive(object message) => _children[_next++ % _children.Length].Forward(message);

    private sealed class Child : Akka.Persistence.ReceivePersistentActor
    {
        public Child(string id)
        {
            PersistenceId = id;
            Recover<string>(_ => { });
            Command<string>(text =>
            {
                var sender = Sender;
                PersistAsync(text, persisted => sender.Tell(persisted));
            });
        }

        public override string PersistenceId { get; }
    }
}
