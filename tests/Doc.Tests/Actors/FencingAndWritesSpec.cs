using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Xunit.Abstractions;

namespace Caiman.Doc.Tests.Actors;

public sealed class FencingAndWritesSpec(ITestOutputHelper output) : DocSpec(output)
{
    private static readonly Writer Build = new("r", "build", 1);
    private static readonly Writer Pack = new("r", "pack", 1);

    [Fact]
    public async Task Doc_should_refuse_writes_from_a_fenced_writer_and_keep_taking_others()
    {
        var doc = StartDoc();
        await doc.As(Build).InsertAsync("/persistent", Node("image", "Image", ("size", 1)));

        await doc.FenceAsync(Build);
        var refused = await Assert.ThrowsAsync<DocException>(() => doc.As(Build).SetAsync("/persistent/image", "size", 2));
        await doc.As(Pack).SetAsync("/persistent/image", "packed", true);

        var fenced = Assert.IsType<DocError.WriterFenced>(refused.Error);
        Assert.Equal(Build, fenced.Writer);
        var image = await doc.GetAsync("/persistent/image");
        Assert.Equal(DocValue.From(1), image["size"]);
        Assert.Equal(DocValue.From(true), image["packed"]);
    }

    [Fact]
    public async Task Doc_should_list_the_nodes_each_writer_changed_across_subtrees_until_reverted()
    {
        var doc = StartDoc();
        await doc.As(Build).InsertAsync("/persistent", Node("image", "Image").WithChildren(Node("file", "File", ("path", "/etc/motd"))));
        await doc.As(Build).InsertAsync("/volatile", Node("scratch"));
        await doc.As(Pack).SetAsync("/persistent/image/file", "packed", true);

        var build = await doc.FindWritesAsync(Build);
        var pack = await doc.FindWritesAsync(Pack);
        await doc.RevertAsync(Pack);
        var afterRevert = await doc.FindWritesAsync(Pack);

        Assert.Equal(["/persistent/image", "/persistent/image/file", "/volatile/scratch"], build.Select(w => w.Path).Order());
        var packed = Assert.Single(pack);
        Assert.Equal(Pack, packed.Writer);
        Assert.Equal("/persistent/image/file", packed.Path);
        Assert.Contains(build, w => w.Node == packed.Node);
        Assert.Empty(afterRevert);
    }

    [Fact]
    public async Task Blame_should_name_who_inserted_who_last_changed_and_who_set_each_property()
    {
        var doc = StartDoc();
        await doc.As(Build).InsertAsync("/persistent", Node("image", "Image", ("size", 1), ("arch", "x86")).WithChildren(Node("file", "File")));
        await doc.As(Pack).SetAsync("/persistent/image", "size", 2);

        var blame = await doc.BlameAsync("/persistent/image");

        Assert.Equal(["/persistent/image", "/persistent/image/file"], blame.Select(b => b.Path));
        var image = blame[0];
        Assert.Equal((Build, Pack), (image.Inserted, image.LastChanged));
        Assert.Equal([("arch", Build), ("size", Pack)], image.Properties.Select(p => (p.Property, p.Writer!)).OrderBy(p => p.Item1));
        Assert.Equal((Build, Build), (blame[1].Inserted, blame[1].LastChanged));
    }
}
