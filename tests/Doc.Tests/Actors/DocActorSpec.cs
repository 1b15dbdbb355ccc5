using System.Collections.Immutable;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;
using Xunit.Abstractions;

namespace Caiman.Doc.Tests.Actors;

public sealed class DocActorSpec(ITestOutputHelper output) : DocSpec(output)
{
    private async Task<DocClient> TargetDoc()
    {
        var doc = StartDoc();
        await doc.InsertAsync("/persistent", Node("target", "Target").WithChildren(
            Node("disk", "Disk", ("name", "c0t0d0"), ("size", 100)),
            Node("disk", "Disk", ("name", "c0t1d0"), ("size", 200))));
        await doc.InsertAsync("/persistent", Node("build", "Build", ("dir", "/tmp/build")));
        await doc.InsertAsync("/volatile", Node("scratch").WithChildren(Node("disk", "Disk", ("name", "ramdisk"))));
        return doc;
    }

    [Fact]
    public async Task Doc_should_answer_paths_inside_one_subtree_and_across_subtrees_in_doc_order()
    {
        var doc = await TargetDoc();

        var inTarget = await doc.FindValuesAsync("/persistent/target/[@Disk].name");
        var everywhere = await doc.FindValuesAsync("//[@Disk].name");
        var firstOfAll = await doc.FindValuesAsync("//[@Disk#1].name");
        var firstSubtree = await doc.FindAsync("/persistent/[#1]");
        var roots = await doc.FindAsync("/");

        Assert.Equal(["c0t0d0", "c0t1d0"], inTarget.Select(v => v.ToText()));
        Assert.Equal(["c0t0d0", "c0t1d0", "ramdisk"], everywhere.Select(v => v.ToText()));
        Assert.Equal(["c0t0d0"], firstOfAll.Select(v => v.ToText()));
        Assert.Equal(["target"], firstSubtree.Select(n => n.Name));
        Assert.Equal(["persistent", "volatile"], roots.Select(n => n.Name));
    }

    [Fact]
    public async Task Doc_should_give_children_first_child_and_descendants_like_the_original_api()
    {
        var doc = await TargetDoc();

        var disks = await doc.GetChildrenAsync("/persistent/target", kind: "Disk");
        var first = await doc.GetFirstChildAsync("/persistent/target", name: "disk");
        var descendants = await doc.GetDescendantsAsync("/", name: null, kind: "Disk", maxCount: 2);
        var byId = await doc.GetChildrenAsync(disks[0].Id);

        Assert.Equal(2, disks.Length);
        Assert.Equal(disks[0].Id, first!.Id);
        Assert.Equal(["c0t0d0", "c0t1d0"], descendants.Select(d => d["name"]!.ToText()));
        Assert.Empty(byId);
        await Assert.ThrowsAsync<ArgumentException>(() => doc.GetDescendantsAsync("/", null, null));
    }

    [Fact]
    public async Task Doc_should_read_the_path_language_as_the_original_did()
    {
        var doc = await TargetDoc();

        var trailingSlash = await doc.FindAsync("/persistent/target/");
        var unlimited = await doc.FindValuesAsync("//[@Disk?0].name");
        var split = await doc.FindValuesAsync("//[@Disk][#1].name");
        var children = await doc.GetChildrenAsync("/persistent/target");

        Assert.Equal(["/persistent/target"], trailingSlash.Select(n => n.Path));
        Assert.Equal(["c0t0d0", "c0t1d0", "ramdisk"], unlimited.Select(v => v.ToText()));
        Assert.Equal(["c0t0d0"], split.Select(v => v.ToText()));
        Assert.Equal(["disk", "disk"], children.Select(n => n.Name));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => doc.GetDescendantsAsync("/", null, "Disk", maxDepth: -1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => doc.GetChildrenAsync("/persistent/target", maxCount: 0));
        Assert.IsType<DocError.InvalidPath>(await Refused(() => doc.FindAsync("//[@Disk?-1]")));
    }

    [Fact]
    public async Task Doc_should_change_one_of_same_named_siblings_by_id_and_refuse_the_ambiguous_path()
    {
        var doc = await TargetDoc();
        var disks = await doc.FindAsync("/persistent/target/disk");
        var before = await Snapshot(doc);

        var ambiguous = await Refused(() => doc.SetAsync("/persistent/target/disk", "size", 1));
        var unchanged = await Snapshot(doc);
        await doc.SetAsync(disks[1].Id, "size", 300);

        Assert.Equal(new DocError.AmbiguousPath("/persistent/target/disk", 2), ambiguous);
        Assert.Equal(before, unchanged);
        Assert.Equal(["100", "300"], (await doc.FindValuesAsync("/persistent/target/disk.size")).Select(v => v.ToText()));
    }

    [Fact]
    public async Task Doc_should_refuse_bad_input_with_a_typed_error_change_nothing_and_keep_running()
    {
        var doc = await TargetDoc();
        var disk = (await doc.FindAsync("/persistent/target/disk"))[0];
        var before = await Snapshot(doc);

        var errors = new List<DocError>
        {
            await Refused(() => doc.FindAsync("/persistent/target[#0]")),
            await Refused(() => doc.SetAsync("/persistent/nowhere/x", "a", 1)),
            await Refused(() => doc.SetAsync("/persistent/target/missing", "a", 1)),
            await Refused(() => doc.InsertAsync("/persistent/target", Node("bad\u0001name"))),
            await Refused(() => doc.InsertAsync("/persistent/target", new InsertPosition.Before("nope"), Node("x"))),
            await Refused(() => doc.SetAsync(disk.Id, "size", 1, expectedVersion: disk.Version + 7)),
            await Refused(() => doc.SetAsync(disk.Id, "when", DateTime.UnixEpoch)),
            await Refused(() => doc.ApplyAsync(new Mutation.SetProperties(disk.Id, PropertyMap.Of(("x", new DocValue.Number(double.NaN)))))),
            await Refused(() => doc.SetAsync("/persistent", "a", 1)),
            await Refused(() => doc.DeleteAsync("/persistent")),
            await Refused(() => doc.InsertAsync("/persistent", Node("target"))),
            await Refused(() => doc.ApplyAsync(
                new Mutation.SetProperties("/persistent/target", PropertyMap.Of(("a", DocValue.From(1)))),
                new Mutation.SetProperties("/persistent/build", PropertyMap.Of(("a", DocValue.From(1)))))),
        };
        var after = await Snapshot(doc);
        await doc.SetAsync(disk.Id, "size", 101, expectedVersion: disk.Version);

        Assert.Collection(errors,
            e => Assert.Equal(new DocError.InvalidPath("/persistent/target[#0]", 20, ((DocError.InvalidPath)e).Reason), e),
            e => Assert.IsType<DocError.PathNotFound>(e),
            e => Assert.Equal(new DocError.PathNotFound("/persistent/target/missing"), e),
            e => Assert.IsType<DocError.InvalidName>(e),
            e => Assert.Equal(new DocError.ReferenceChildMissing("/persistent/target", "nope"), e),
            e => Assert.Equal(new DocError.VersionConflict("/persistent/target/disk", disk.Version + 7, disk.Version), e),
            e => Assert.Equal("when", ((DocError.NotJsonCompatible)e).Property),
            e => Assert.Equal("x", ((DocError.NotJsonCompatible)e).Property),
            e => Assert.IsType<DocError.InvalidOperation>(e),
            e => Assert.IsType<DocError.InvalidOperation>(e),
            e => Assert.IsType<DocError.InvalidName>(e),
            e => Assert.IsType<DocError.InvalidOperation>(e));
        Assert.Equal(before, after);
        Assert.Equal(101, ((DocValue.Integer)(await doc.GetAsync(disk.Id))["size"]!).Value);
    }

    [Fact]
    public async Task Doc_should_apply_a_batch_within_one_subtree_atomically()
    {
        var doc = await TargetDoc();
        var before = await Snapshot(doc);

        var refused = await Refused(() => doc.ApplyAsync(
            new Mutation.InsertChildren("/persistent/target", [Node("partition")], InsertPosition.Append.Instance),
            new Mutation.SetProperties("/persistent/target/partition", PropertyMap.Of(("size", DocValue.From(5)))),
            new Mutation.DeleteNode("/persistent/target/nothing-here")));
        var after = await Snapshot(doc);
        var inserted = await doc.ApplyAsync(
            new Mutation.InsertChildren("/persistent/target", [Node("partition")], InsertPosition.Append.Instance),
            new Mutation.SetProperties("/persistent/target/partition", PropertyMap.Of(("size", DocValue.From(5)))));

        Assert.IsType<DocError.PathNotFound>(refused);
        Assert.Equal(before, after);
        Assert.Single(inserted);
        Assert.Equal(5, ((DocValue.Integer)(await doc.GetAsync("/persistent/target/partition"))["size"]!).Value);
    }

    [Fact]
    public async Task Doc_should_place_subtrees_before_and_after_named_ones_and_delete_them()
    {
        var doc = await TargetDoc();

        await doc.InsertAsync("/persistent", new InsertPosition.Before("build"), Node("logs"));
        await doc.InsertAsync("/persistent", new InsertPosition.After("build"), Node("image", "Image"));
        var order = (await doc.GetChildrenAsync("/persistent")).Select(n => n.Name).ToList();
        await doc.DeleteChildrenAsync("/persistent", kind: "Image");
        await doc.DeleteAsync("/persistent/logs");
        var nothing = await Refused(() => doc.DeleteChildrenAsync("/persistent", name: "image", errorIfNone: true));

        Assert.Equal(["target", "logs", "build", "image"], order);
        Assert.Equal(["target", "build"], (await doc.GetChildrenAsync("/persistent")).Select(n => n.Name));
        Assert.IsType<DocError.NothingMatched>(nothing);
    }

    [Fact]
    public async Task Doc_should_change_a_node_found_by_a_path_that_does_not_name_its_subtree()
    {
        var doc = await TargetDoc();

        await doc.SetAsync("//[@Build]", "dir", "/var/build");
        var ambiguous = await Refused(() => doc.SetAsync("//[@Disk]", "x", 1));

        Assert.Equal("/var/build", (await doc.FindValuesAsync("/persistent/build.dir"))[0].ToText());
        Assert.Equal(new DocError.AmbiguousPath("//[@Disk]", 3), ambiguous);
    }

    [Fact]
    public async Task Doc_should_revert_a_writer_in_every_subtree_it_touched()
    {
        var doc = await TargetDoc();
        var before = await Snapshot(doc);
        var alice = doc.As(Alice);

        await alice.InsertAsync("/persistent/target", Node("partition", "Partition"));
        await alice.SetAsync("/persistent/build", "dir", "/alice");
        await alice.DeleteAsync("/volatile/scratch/disk");
        await alice.InsertAsync("/persistent", Node("alice-only"));
        var reverted = await doc.RevertAsync(Alice);

        Assert.Equal(new[] { Alice }, reverted.ToArray());
        Assert.Equal(before, await Snapshot(doc));
    }

    [Fact]
    public async Task Doc_should_refuse_a_revert_that_would_undo_another_writers_change_unless_cascading()
    {
        var doc = await TargetDoc();
        var before = await Snapshot(doc);
        await doc.As(Alice).InsertAsync("/persistent/target", Node("partition"));
        await doc.As(Alice).SetAsync("/persistent/build", "dir", "/alice");
        await doc.As(Bob).SetAsync("/persistent/target/partition", "size", 9);
        var bobOnTop = await Snapshot(doc);

        var conflict = await Refused(() => doc.RevertAsync(Alice));
        var afterRefusal = await Snapshot(doc);
        var cascaded = await doc.RevertAsync(Alice, cascade: true);

        Assert.Equal(Bob, ((DocError.RevertConflict)conflict).ChangedBy);
        Assert.Equal(bobOnTop, afterRefusal);
        Assert.Equal(new[] { Alice, Bob }, cascaded.OrderBy(w => w.Checkpoint).ToArray());
        Assert.Equal(before, await Snapshot(doc));
    }

    public sealed record DiskInfo(string Name, long Size, bool Boot = false);

    [Fact]
    public async Task Doc_should_read_and_write_a_nodes_properties_as_a_record()
    {
        var doc = await TargetDoc();
        var disk = (await doc.FindAsync("/persistent/target/disk"))[0];

        var read = await doc.ReadAsync<DiskInfo>(disk.Id);
        await doc.WriteAsync(disk.Id, read with { Boot = true, Size = 150 });

        Assert.Equal(new DiskInfo("c0t0d0", 100), read);
        Assert.Equal(new DiskInfo("c0t0d0", 150, true), await doc.ReadAsync<DiskInfo>(disk.Id));
    }

    [Fact]
    public async Task Doc_should_fill_path_references_in_strings()
    {
        var doc = await TargetDoc();

        var command = await doc.SubstituteAsync("mkdir -p %{/persistent/build.dir} && fmt %{//[@Disk].name}");
        var quoted = await doc.SubstituteAsync("disks=%{//[@Disk].name}", new TemplateOptions(" ", TemplateQuoting.Shell));

        Assert.Equal("mkdir -p /tmp/build && fmt c0t0d0,c0t1d0,ramdisk", command);
        Assert.Equal("disks='c0t0d0' 'c0t1d0' 'ramdisk'", quoted);
    }

    [Fact]
    public async Task Doc_should_refuse_to_fill_a_reference_that_matches_nothing_unless_it_is_optional()
    {
        var doc = await TargetDoc();

        var typo = Assert.IsType<DocError.TemplatePathEmpty>(await Refused(() => doc.SubstituteAsync("rm -rf %{/persistent/build.dirr}/image")));
        var optional = await doc.SubstituteAsync("ls %{?/persistent/build.dirr}/image");

        Assert.Equal(("rm -rf %{/persistent/build.dirr}/image", "/persistent/build.dirr"), (typo.Template, typo.Path));
        Assert.Equal("ls /image", optional);
    }

    [Fact]
    public async Task Doc_should_export_and_import_the_whole_tree_and_refuse_a_bad_document_whole()
    {
        var doc = await TargetDoc();
        var exported = await doc.ExportAsync();
        var other = StartDoc("run-2");

        await other.ImportAsync(exported);
        var imported = await other.ExportAsync();
        var bad = System.Text.Json.Nodes.JsonNode.Parse("""{"persistent":[{"name":"ok"},{"name":"x","children":[{"kind":"Disk"}]}]}""")!.AsObject();
        var refused = await Refused(() => other.ImportAsync(bad));

        Assert.Equal(Shape(exported), Shape(imported));
        Assert.Equal(new DocError.InvalidDocument("$.persistent[1].children[0].name", "expected a string"), refused);
        Assert.Equal(Shape(exported), Shape(await other.ExportAsync()));
    }

    /// <summary>Export text without ids (an import gives new ids).</summary>
    private static string Shape(System.Text.Json.Nodes.JsonObject export) =>
        System.Text.RegularExpressions.Regex.Replace(export.ToJsonString(), "\"id\":\"[^\"]*\",", "");

    [Fact]
    public async Task Copies_should_not_change_when_the_tree_changes_afterwards()
    {
        var doc = await TargetDoc();
        var copy = await doc.GetAsync("/persistent/target", QueryShape.Subtree);

        await doc.DeleteChildrenAsync("/persistent/target");
        await doc.SetAsync("/persistent/target", "gone", true);

        Assert.Equal(2, copy.Children.Length);
        Assert.Empty(copy.Properties);
    }

    [Fact]
    public async Task Doc_should_give_a_fixed_root_with_its_subtrees_when_asked_for_the_subtree_shape()
    {
        var doc = await TargetDoc();

        var whole = Assert.Single(await doc.FindAsync("/persistent", QueryShape.Subtree));
        var spine = Assert.Single(await doc.FindAsync("/persistent"));

        Assert.Equal(["target", "build"], whole.Children.Select(c => c.Name));
        Assert.Equal(2, whole.Children[0].Children.Length);
        Assert.Empty(spine.Children.NullToEmpty());
        Assert.Equal(2, spine.ChildCount);
    }
}
