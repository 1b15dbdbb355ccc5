using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Caiman.Doc.Actors;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Client;

/// <summary>
/// The subtree actors a client has learnt from a DOC actor (<see cref="LocateSubtree"/>), so that a
/// request that stays in one subtree goes there directly: one mailbox, and over the wire one hop,
/// instead of two. Shared by every client of the same DOC actor reference in this process.
/// <para>
/// Order: requests to one subtree are sent in the order they are made, also while its actor is
/// still being located (they wait, in order, and go once it is known). A request that goes through
/// the DOC actor (a fan-out query, a revert, a path like <c>//[@Disk]</c>) is not ordered with direct
/// ones made before its reply: await it first.
/// </para>
/// </summary>
internal sealed class SubtreeDirectory
{
    private static readonly ConditionalWeakTable<IActorRef, SubtreeDirectory> ByDoc = new();

    private readonly IActorRef _doc;
    private readonly TimeSpan _timeout;
    private readonly ConcurrentDictionary<DocRouting.Place.InSubtree, Entry> _entries = new();

    private SubtreeDirectory(IActorRef doc, TimeSpan timeout) => (_doc, _timeout) = (doc, timeout);

    public static SubtreeDirectory For(IActorRef doc, TimeSpan timeout) => ByDoc.GetValue(doc, d => new SubtreeDirectory(d, timeout));

    /// <summary>Sends <paramref name="message"/> (with <paramref name="send"/>) to its subtree's actor, or to the DOC actor when it has none.</summary>
    public void Send(object message, Action<IActorRef> send)
    {
        if (TryKnown(message, out var target, out var subtree)) send(target);
        else Enqueue(subtree!, send);
    }

    public Task<T> Ask<T>(object message)
    {
        if (TryKnown(message, out var target, out var subtree)) return target.Ask<T>(message, _timeout);
        // The subtree is being located: the request waits in line and goes once it is known.
        var later = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var timeout = _timeout;
        Enqueue(subtree!, actor => actor.Ask<T>(message, timeout).ContinueWith(asked =>
        {
            if (asked.IsCompletedSuccessfully) later.TrySetResult(asked.Result);
            else if (asked.IsCanceled) later.TrySetCanceled();
            else later.TrySetException(asked.Exception!.InnerExceptions);
        }, TaskScheduler.Default));
        return later.Task;
    }

    /// <summary>Where the request goes when that is known now: the DOC actor, or a subtree already located.</summary>
    private bool TryKnown(object message, out IActorRef target, out DocRouting.Place.InSubtree? subtree)
    {
        subtree = DocRouting.SubtreeOf(message);
        target = _doc;
        if (subtree is null) return true;
        if (_entries.TryGetValue(subtree, out var entry) && Volatile.Read(ref entry.Actor) is { } actor)
        {
            target = actor;
            return true;
        }
        return false;
    }

    private void Enqueue(DocRouting.Place.InSubtree subtree, Action<IActorRef> send)
    {
        var entry = _entries.GetOrAdd(subtree, static _ => new Entry());
        bool locate;
        lock (entry)
        {
            if (entry.Actor is { } known)
            {
                send(known);
                return;
            }
            (entry.Waiting ??= []).Add(send);
            locate = !entry.Locating;
            entry.Locating = true;
        }
        if (locate) _ = Locate(subtree, entry);
    }

    /// <summary>The actor of a subtree if this directory has located it (for tests and diagnostics).</summary>
    public IActorRef? Known(string root, string name) =>
        _entries.TryGetValue(new DocRouting.Place.InSubtree(root, name), out var entry) ? Volatile.Read(ref entry.Actor) : null;

    /// <summary>Drops what is known of a request's subtree (its actor did not answer), so the next request locates it again.</summary>
    public void Forget(object message)
    {
        if (DocRouting.SubtreeOf(message) is { } subtree) _entries.TryRemove(subtree, out _);
    }

    private async Task Locate(DocRouting.Place.InSubtree subtree, Entry entry)
    {
        IActorRef? actor = null;
        try
        {
            actor = (await _doc.Ask<SubtreeLocated>(new LocateSubtree(subtree.Root, subtree.Name), _timeout).ConfigureAwait(false)).Subtree;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            // The DOC actor answers the requests themselves (or times them out) below.
        }
        List<Action<IActorRef>> waiting;
        lock (entry)
        {
            waiting = entry.Waiting ?? [];
            entry.Waiting = null;
            // In order, before anyone can see the actor and send past them.
            foreach (var send in waiting) send(actor ?? _doc);
            if (actor is not null) Volatile.Write(ref entry.Actor, actor);
            else
            {
                // No such subtree yet: the DOC actor answers (not found), and the next request asks again.
                entry.Locating = false;
                _entries.TryRemove(KeyValuePair.Create(subtree, entry));
            }
        }
    }

    private sealed class Entry
    {
        public IActorRef? Actor;
        public List<Action<IActorRef>>? Waiting;
        public bool Locating;
    }
}
