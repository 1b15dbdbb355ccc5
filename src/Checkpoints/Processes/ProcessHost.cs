using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;

namespace Caiman.Checkpoints.Processes;

/// <summary>
/// The node's process supervisor (one per actor system, at <c>/system/caiman-processes</c>, so it stops after every user actor): every
/// external process an attempt or the engine starts on this node is launched, signalled, swept
/// and reaped by it, on its own dispatcher (<c>caiman.processes.dispatcher</c>), so that forks and
/// <c>/proc</c> scans never run on the default one. See <see cref="Lifeline"/> for the shell every
/// process starts in, which kills its session when this process dies.
/// </summary>
public sealed class ProcessHost : IExtension
{
    /// <summary>The dispatcher its actors run on; configured in the checkpoints' reference.conf.</summary>
    public const string Dispatcher = "caiman.processes.dispatcher";

    private static readonly TimeSpan OpenTimeout = TimeSpan.FromMinutes(2);
    private long _opens;

    internal ProcessHost(ExtendedActorSystem system)
    {
        // A system built without the module's config (a checkpoint author's own TestKit, say) still
        // runs processes, on the default dispatcher; the engine's and the kit's configs have it.
        var dispatcher = system.Dispatchers.HasDispatcher(Dispatcher) ? Dispatcher : Akka.Dispatch.Dispatchers.DefaultDispatcherId;
        if (dispatcher != Dispatcher)
            system.Log.Warning("{0} is not configured: processes are launched and reaped on the default dispatcher (build the system's config on CheckpointsConfig.Default())", Dispatcher);
        Node = system.Provider.DefaultAddress.ToString();
        Supervisor = system.SystemActorOf(Props.Create(() => new ProcessSupervisor(Node, dispatcher)).WithDispatcher(dispatcher), "caiman-processes");
    }

    /// <summary>The node's supervisor in <paramref name="system"/>, started on first use.</summary>
    public static ProcessHost For(ActorSystem system) => system.WithExtension<ProcessHost, ProcessHostProvider>();

    /// <summary>The supervisor actor.</summary>
    public IActorRef Supervisor { get; }

    /// <summary>This node's address, recorded with every launch.</summary>
    public string Node { get; }

    /// <summary>
    /// SIGKILLs what the launches left (their sessions and groups; start times guard against pid
    /// reuse) and waits, at most <paramref name="patience"/>, until none of it runs: a retry must
    /// not start beside it. Returns whether everything is gone.
    /// </summary>
    public async Task<bool> ReapAsync(IReadOnlyCollection<ProcessLaunch> launches, TimeSpan patience)
    {
        ArgumentNullException.ThrowIfNull(launches);
        if (launches.Count == 0) return true;
        var reaped = await Supervisor.Ask<LaunchesReaped>(new ReapLaunches([.. launches], patience), patience + TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return reaped.AllGone;
    }

    /// <summary>Starts a process behind its gate and lifeline; returns once the gate is open (and the launch recorded, if asked).</summary>
    internal async Task<ProcessSession> OpenAsync(PreparedCommand command, IProcessLaunchRecorder? recorder, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _opens);
        var asked = Supervisor.Ask<object>(new OpenSession(id, command, recorder, cancellationToken), OpenTimeout, cancellationToken);
        object reply;
        try
        {
            reply = await asked.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The session actor may already exist: it kills its gate when its opener is gone.
            Supervisor.Tell(new AbandonOpen(id));
            throw;
        }
        return reply switch
        {
            SessionOpened opened => opened.Session,
            SessionFailed failed => throw failed.Reason,
            _ => throw new InvalidOperationException($"unexpected reply {reply.GetType().Name}"),
        };
    }

    /// <summary>
    /// SIGTERM to the session, <paramref name="grace"/> for it to end, then SIGKILL; completes once
    /// nothing of it runs, true when it had to be SIGKILLed.
    /// </summary>
    internal async Task<bool> TerminateAsync(ProcessSession session, TimeSpan grace) =>
        (await session.Actor.Ask<SessionTerminated>(new TerminateSession(grace), grace + TimeSpan.FromSeconds(30)).ConfigureAwait(false)).Forced;

    /// <summary>After the process exited: kills what it left in its session, cuts the lifeline, and reports how it ended.</summary>
    internal Task<SessionClosed> CloseAsync(ProcessSession session) =>
        session.Actor.Ask<SessionClosed>(CloseSession.Instance, TimeSpan.FromSeconds(40));

    /// <summary>Kills the session at once (the attempt is ending for another reason); fire and forget.</summary>
    internal static void Kill(ProcessSession session) => session.Actor.Tell(KillSession.Instance);
}

/// <summary>Registers <see cref="ProcessHost"/> as an Akka extension.</summary>
public sealed class ProcessHostProvider : ExtensionIdProvider<ProcessHost>
{
    /// <inheritdoc />
    public override ProcessHost CreateExtension(ExtendedActorSystem system) => new(system);
}

/// <summary>
/// A started process as its runner holds it: the session actor, the process (its output to read;
/// the runner disposes it once the output is drained), the launch, and its exit.
/// </summary>
internal sealed record ProcessSession(IActorRef Actor, System.Diagnostics.Process Process, ProcessLaunch Launch, Task Exited);

// ---- The supervisor's protocol: node-local, never crosses a node (it carries streams and tasks) ----

/// <summary>Launches a process; a <paramref name="Cancelled"/> token checked once the launch is recorded keeps the gate shut.</summary>
internal sealed record OpenSession(long Id, PreparedCommand Command, IProcessLaunchRecorder? Recorder, CancellationToken Cancelled) : INoSerializationVerificationNeeded;

internal sealed record AbandonOpen(long Id) : INoSerializationVerificationNeeded;

internal sealed record SessionOpened(ProcessSession Session) : INoSerializationVerificationNeeded;

internal sealed record SessionFailed(Exception Reason) : INoSerializationVerificationNeeded;

internal sealed record TerminateSession(TimeSpan Grace) : INoSerializationVerificationNeeded;

/// <summary>The session is gone; <see cref="Forced"/> when it outlived its grace period and was SIGKILLed.</summary>
internal sealed record SessionTerminated(bool Forced) : INoSerializationVerificationNeeded;

internal sealed record CloseSession : INoSerializationVerificationNeeded
{
    public static readonly CloseSession Instance = new();
}

/// <summary>How a session ended: what the process left behind (killed), and its exit status when the kernel told it.</summary>
internal sealed record SessionClosed(int Leftovers, ChildExit? Exit) : INoSerializationVerificationNeeded;

internal sealed record KillSession : INoSerializationVerificationNeeded
{
    public static readonly KillSession Instance = new();
}

internal sealed record ReapLaunches(ImmutableArray<ProcessLaunch> Launches, TimeSpan Patience) : INoSerializationVerificationNeeded;

internal sealed record LaunchesReaped(bool AllGone) : INoSerializationVerificationNeeded;
