using Akka.Actor;
using Akka.Configuration;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Xunit.Abstractions;

namespace Caiman.Doc.Tests.Actors;

/// <summary>
/// The DOC across two ActorSystems joined by Akka.Remote on 127.0.0.1, as a worker process reaches
/// its run's DOC: every message really crosses the wire through DocSerializer. The test kit's system
/// hosts the DOC; a second system is the worker.
/// </summary>
public sealed class RemoteDocSpec : DocSpec, IAsyncLifetime
{
    private static readonly Writer Build = new("run-1", "build", 1);

    private static readonly Config Remote = ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        """);

    private readonly ActorSystem _worker;

    public RemoteDocSpec(ITestOutputHelper output) : base(output, Remote) =>
        _worker = ActorSystem.Create("worker", Remote.WithFallback(SpecConfig()));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _worker.Terminate();

    /// <summary>The DOC started here, and a client of it in the worker system that knows only the DOC actor's address.</summary>
    private async Task<(DocClient Local, DocClient Worker)> Started()
    {
        var local = StartDoc();
        await local.InsertAsync("/persistent", Node("image", "Image", ("size", 1)));
        await local.InsertAsync("/volatile", Node("scratch"));
        var address = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
        var remoteDoc = await _worker.ActorSelection(local.Actor.Path.ToStringWithAddress(address)).ResolveOne(TimeSpan.FromSeconds(10));
        return (local, new DocClient(remoteDoc, Build, local.Timeout));
    }

    [Fact]
    public async Task Worker_should_reach_each_subtree_directly_over_the_wire()
    {
        var (local, worker) = await Started();

        await worker.SetAsync("/persistent/image", "size", 2);
        await worker.InsertAsync("/persistent/image", Node("file", "File"));
        var file = await worker.GetAsync("/persistent/image/file");
        var everywhere = await worker.FindAsync("//[@File]");

        var subtree = worker.Subtrees.Known(DocNames.Persistent, "image");
        Assert.NotNull(subtree);
        Assert.Equal(worker.Actor.Path, subtree.Path.Parent);
        Assert.IsNotType<LocalActorRef>(subtree);
        Assert.Equal(file.Id, Assert.Single(everywhere).Id);
        Assert.Equal(DocValue.From(2), (await local.GetAsync("/persistent/image"))["size"]);
        Assert.Equal(Build, (await local.BlameAsync("/persistent/image/file"))[0].Inserted);
    }

    [Fact]
    public async Task Fence_should_refuse_a_workers_direct_write_and_the_revert_should_undo_what_came_before()
    {
        var (local, worker) = await Started();
        await worker.SetAsync("/volatile/scratch", "n", 0);
        await local.RevertAsync(Build);
        var before = await Snapshot(local);
        var replies = CreateTestProbe(_worker);

        var (results, late) = await WritesRacingAFence(local, worker, replies, 200, "/persistent/image", "/volatile/scratch");

        Assert.Equal(new DocError.WriterFenced(Build), late);
        Assert.All(results, r => Assert.True(r.IsSuccess || r.Error == new DocError.WriterFenced(Build), r.Error?.Message));
        Assert.Equal(before, await Snapshot(local));
    }
}
