using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Xunit.Abstractions;

namespace Caiman.Doc.Tests.Actors;

/// <summary>
/// A client sends what stays in one subtree straight to that subtree's actor, which it learns from
/// the DOC actor once; the rest goes through the DOC actor. Fences hold at the subtrees themselves.
/// </summary>
public sealed class DirectSubtreeSpec(ITestOutputHelper output) : DocSpec(output)
{
    private static readonly Writer Build = new("run-1", "build", 1);

    /// <summary>A client whose DOC actor address is a probe that passes everything on, so the test sees what reaches the DOC actor.</summary>
    private (DocClient Client, TestProbe DocActor) Watched(DocClient doc)
    {
        var probe = CreateTestProbe();
        probe.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            doc.Actor.Tell(message, sender);
            return AutoPilot.KeepRunning;
        }));
        return (new DocClient(probe.Ref, doc.Writer, doc.Timeout), probe);
    }

    private async Task<DocClient> ImageDoc()
    {
        var doc = StartDoc();
        await doc.InsertAsync("/persistent", Node("image", "Image", ("size", 1)).WithChildren(Node("file", "File")));
        await doc.InsertAsync("/volatile", Node("scratch"));
        return doc;
    }

    [Fact]
    public async Task Client_should_learn_a_subtree_once_and_then_send_it_requests_directly()
    {
        var (client, docActor) = Watched(await ImageDoc());

        await client.SetAsync("/persistent/image", "size", 2);
        var located = docActor.ExpectMsg<LocateSubtree>();
        var file = await client.GetAsync("/persistent/image/file");
        await client.SetAsync(file.Id, "mode", "0644");
        var image = await client.GetAsync("/persistent/image");

        Assert.Equal(new LocateSubtree(DocNames.Persistent, "image"), located);
        docActor.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(DocValue.From(2), image["size"]);
        Assert.Equal(DocValue.From("0644"), (await client.GetAsync(file.Id))["mode"]);
        Assert.NotNull(client.Subtrees.Known(DocNames.Persistent, "image"));
    }

    [Fact]
    public async Task Client_should_send_what_spans_or_does_not_name_a_subtree_through_the_doc_actor()
    {
        var (client, docActor) = Watched(await ImageDoc());

        var everywhere = await client.FindAsync("//[@File]");
        docActor.ExpectMsg<Find>(f => f.Path == "//[@File]");
        await client.SetAsync("//[@File]", "mode", "0600");
        docActor.ExpectMsg<Mutate>();
        await client.InsertAsync("/volatile", Node("later"));
        docActor.ExpectMsg<Mutate>();
        await client.RevertAsync(Writer.User("nobody"));
        docActor.ExpectMsg<RevertWriters>();

        Assert.Single(everywhere);
        Assert.Equal(DocValue.From("0600"), (await client.GetAsync(everywhere[0].Id))["mode"]);
    }

    [Fact]
    public async Task Client_should_keep_the_errors_of_the_doc_actor_for_batches_over_two_subtrees_and_missing_subtrees()
    {
        var doc = await ImageDoc();
        var file = await doc.GetAsync("/persistent/image/file");
        var scratch = await doc.GetAsync("/volatile/scratch");
        await doc.SetAsync(file.Id, "warm", true); // both subtrees located by now
        await doc.SetAsync(scratch.Id, "warm", true);
        var before = await Snapshot(doc);

        var twoSubtrees = await Refused(() => doc.ApplyAsync(
            new Mutation.SetProperties(file.Id, PropertyMap.Of(("a", DocValue.From(1)))),
            new Mutation.SetProperties(scratch.Id, PropertyMap.Of(("a", DocValue.From(1))))));
        var missing = await Refused(() => doc.SetAsync("/persistent/nowhere/x", "a", 1));
        var none = await doc.FindAsync("/volatile/nowhere");

        var invalid = Assert.IsType<DocError.InvalidOperation>(twoSubtrees);
        Assert.Contains("touches 2", invalid.Reason, StringComparison.Ordinal);
        Assert.IsType<DocError.PathNotFound>(missing);
        Assert.Empty(none);
        Assert.Equal(before, await Snapshot(doc));
    }

    [Fact]
    public async Task Direct_requests_to_one_subtree_should_keep_the_order_they_were_sent_in_while_it_is_located()
    {
        var doc = await ImageDoc();
        var client = new DocClient(doc.Actor, Build, doc.Timeout);
        var probe = CreateTestProbe();

        // A new client instance shares the directory, so use a subtree nobody has located yet.
        await doc.InsertAsync("/volatile", Node("counter", "Counter", ("n", 0)));
        for (var i = 1; i <= 200; i++)
            client.Tell(new Mutate(Build, [new Mutation.SetProperties("/volatile/counter", PropertyMap.Of(("n", DocValue.From(i))))]), probe.Ref);
        client.Tell(new Find("/volatile/counter"), probe.Ref);

        for (var i = 0; i < 200; i++) Assert.True(probe.ExpectMsg<MutationResult>().IsSuccess);
        var last = probe.ExpectMsg<QueryResult>();
        Assert.Equal(DocValue.From(200), last.Nodes[0]["n"]);
    }

    // ---- Fences at the subtrees ------------------------------------------------------------------

    [Fact]
    public async Task Fence_should_hold_at_the_subtree_for_a_write_sent_directly()
    {
        var doc = await ImageDoc();
        var (client, docActor) = Watched(doc);
        var build = client.As(Build);
        await build.SetAsync("/persistent/image", "size", 2);
        docActor.ExpectMsg<LocateSubtree>();

        await doc.FenceAsync(Build);
        var refused = await Refused(() => build.SetAsync("/persistent/image", "size", 3));

        Assert.Equal(new DocError.WriterFenced(Build), refused);
        docActor.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // the refused write went straight to the subtree
        Assert.Equal(DocValue.From(2), (await doc.GetAsync("/persistent/image"))["size"]);
    }

    [Fact]
    public async Task Subtree_started_after_a_fence_should_start_fenced()
    {
        var doc = StartDoc();
        await doc.FenceAsync(Build);
        await doc.InsertAsync("/volatile", Node("later"));
        await doc.InsertAsync("/persistent", Node("kept"));

        var toVolatile = await Refused(() => doc.As(Build).SetAsync("/volatile/later", "x", 1));
        var toPersistent = await Refused(() => doc.As(Build).InsertAsync("/persistent/kept", Node("child")));
        var mount = await Refused(() => doc.As(Build).InsertAsync("/volatile", Node("mine")));

        Assert.All([toVolatile, toPersistent, mount], e => Assert.Equal(new DocError.WriterFenced(Build), e));
    }

    [Fact]
    public async Task Fence_racing_direct_writes_should_refuse_every_write_after_it_and_the_revert_should_undo_every_one_before_it()
    {
        var doc = await ImageDoc();
        var build = doc.As(Build);
        await build.SetAsync("/persistent/image/file", "n", 0);
        await build.SetAsync("/volatile/scratch", "n", 0);
        await doc.RevertAsync(Build);
        var before = await Snapshot(doc);
        var probe = CreateTestProbe();

        // Writes stream to two subtrees while the fence is on its way.
        var (replies, late) = await WritesRacingAFence(doc, build, probe, 400, "/persistent/image/file", "/volatile/scratch");

        Assert.All(replies, r => Assert.True(r.IsSuccess || r.Error == new DocError.WriterFenced(Build), r.Error?.Message));
        Assert.Equal(new DocError.WriterFenced(Build), late);
        Assert.Equal(before, await Snapshot(doc));
    }
}
