using System.Collections.Immutable;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;
using Xunit;
using static Caiman.Doc.Tests.Tree.TreeAssert;

namespace Caiman.Doc.Tests.Tree;

/// <summary>The domain of one DOC subtree, driven directly: insertion, deletion, fetching, errors, atomicity, versions.</summary>
public sealed class SubtreeStateSpec
{
    private static readonly DocValue Size100 = V(100), Size200 = V(200);

    /// <summary>
    /// target
    ///   disks
    ///     sda @Disk {size:100}  (p1 @Partition {size:60}, p2 @Partition {size:40} (fs @Fs))
    ///     sdb @Disk {size:200}  (p1 @Partition)
    ///     cd  @Optical
    ///   a/b
    ///   dup, dup @Disk
    /// </summary>
    private static SubtreeState Disks()
    {
        var state = WithMount(out _);
        Do(state, User, Insert(Mount,
            N("disks").WithChildren(
                N("sda", "Disk", ("size", Size100)).WithChildren(
                    N("p1", "Partition", ("size", V(60))),
                    N("p2", "Partition", ("size", V(40))).WithChildren(N("fs", "Fs"))),
                N("sdb", "Disk", ("size", Size200)).WithChildren(N("p1", "Partition")),
                N("cd", "Optical")),
            N("a/b"),
            N("dup"),
            N("dup", "Disk")));
        return state;
    }

    // ---- Insertion ---------------------------------------------------------------------------

    [Fact]
    public void Insert_should_create_the_subtree_root_under_persistent()
    {
        // Given an empty subtree
        var state = NewState();
        Assert.Null(state.Root);

        // When its root is inserted under /persistent
        var ids = Do(state, User, InsertMount());

        // Then it is the subtree's root node, with the first serial
        Assert.Equal([Id(1)], ids);
        Assert.Equal("target", state.Root!.Name);
        Assert.Equal(1, state.NodeCount);
        var root = Single(state, Mount);
        Assert.Equal(Id(1), root.Id);
        Assert.Equal(Mount, root.Path);
        Assert.Equal(DocNames.DefaultKind, root.Kind);
    }

    [Fact]
    public void Insert_should_refuse_a_second_subtree_root()
    {
        // Given a subtree with its root
        var state = WithMount(out _);

        // When another root is inserted, or a node with another name, or two nodes
        // Then each is refused
        Refused<DocError.InvalidOperation>(state, A, InsertMount());
        var fresh = NewState();
        Refused<DocError.InvalidOperation>(fresh, A, Insert(Persistent, N("other")));
        Refused<DocError.InvalidOperation>(fresh, A, Insert(Persistent, N("target"), N("target")));
        Refused<DocError.InvalidOperation>(fresh, A, Insert(new NodeTarget.ById(NodeId.Root), N("target")));
    }

    [Fact]
    public void Insert_should_append_children_in_order()
    {
        // Given a subtree with children a, b
        var state = WithMount(out var mount);
        Do(state, A, Insert(mount, N("a"), N("b")));

        // When c and d are appended
        Do(state, A, Insert(Mount, N("c"), N("d")));

        // Then the order is a, b, c, d
        Assert.Equal(["a", "b", "c", "d"], Names(state, Mount + "//[?1]"));
    }

    [Fact]
    public void Insert_should_put_children_before_a_named_sibling()
    {
        // Given children a, b, c
        var state = WithMount(out var mount);
        Do(state, A, Insert(mount, N("a"), N("b"), N("c")));

        // When x, y are inserted before b, and z before a
        Do(state, A, InsertBefore(mount, "b", N("x"), N("y")));
        Do(state, A, InsertBefore(mount, "a", N("z")));

        // Then
        Assert.Equal(["z", "a", "x", "y", "b", "c"], Names(state, Mount + "//[?1]"));
    }

    [Fact]
    public void Insert_should_put_children_after_a_named_sibling()
    {
        // Given children a, b, c
        var state = WithMount(out var mount);
        Do(state, A, Insert(mount, N("a"), N("b"), N("c")));

        // When x, y are inserted after b, and z after c
        Do(state, A, InsertAfter(mount, "b", N("x"), N("y")));
        Do(state, A, InsertAfter(mount, "c", N("z")));

        // Then
        Assert.Equal(["a", "b", "x", "y", "c", "z"], Names(state, Mount + "//[?1]"));
    }

    [Fact]
    public void Insert_should_place_next_to_the_first_sibling_when_names_repeat()
    {
        // Given children d(1), m, d(2)
        var state = WithMount(out var mount);
        Do(state, A, Insert(mount, N("d", "One"), N("m"), N("d", "Two")));

        // When x is inserted after d and y before d
        Do(state, A, InsertAfter(mount, "d", N("x")));
        Do(state, A, InsertBefore(mount, "d", N("y")));

        // Then both are placed next to the first d
        Assert.Equal(["y@Node", "d@One", "x@Node", "m@Node", "d@Two"], Find(state, Mount + "//[?1]").Select(n => $"{n.Name}@{n.Kind}"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Insert_should_refuse_a_missing_reference_child(bool before)
    {
        // Given children a, b
        var state = WithMount(out var mount);
        Do(state, A, Insert(mount, N("a"), N("b")));

        // When x is inserted next to a child that does not exist
        var insert = before ? InsertBefore(Mount, "nope", N("x")) : InsertAfter(Mount, "nope", N("x"));
        var error = Refused<DocError.ReferenceChildMissing>(state, A, insert);

        // Then the error names the parent and the missing sibling
        Assert.Equal(new DocError.ReferenceChildMissing(Mount, "nope"), error);
    }

    [Fact]
    public void Insert_should_refuse_a_reference_child_on_a_parent_without_children()
    {
        var state = WithMount(out var mount);
        Refused<DocError.ReferenceChildMissing>(state, A, InsertBefore(mount, "a", N("x")));
    }

    [Fact]
    public void Insert_should_add_several_nodes_with_nested_children_and_number_them_in_pre_order()
    {
        // Given a subtree root (serial 1)
        var state = WithMount(out var mount);

        // When two nodes with nested children are inserted at once
        var ids = Do(state, A, Insert(mount,
            N("x", "Disk", ("size", V(1))).WithChildren(N("x1").WithChildren(N("x11")), N("x2")),
            N("y").WithChildren(N("y1"))));

        // Then the ids of the top-level nodes are returned, serials are given in pre-order
        Assert.Equal([Id(2), Id(6)], ids);
        Assert.Equal(
            "target#1 @Node\n" +
            "  x#2 @Disk {\"size\":1}\n" +
            "    x1#3 @Node\n" +
            "      x11#4 @Node\n" +
            "    x2#5 @Node\n" +
            "  y#6 @Node\n" +
            "    y1#7 @Node\n",
            WithIds(state));
        Assert.Equal(7, state.NodeCount);

        // And every node can be addressed by its id
        Assert.Equal("x11", Assert.Single(Find(state, "", Id(4))).Name);
        Assert.Equal(Mount + "/x/x1/x11", Assert.Single(Find(state, "", Id(4))).Path);
    }

    [Fact]
    public void Insert_should_allow_repeated_sibling_names()
    {
        var state = WithMount(out var mount);
        var ids = Do(state, A, Insert(mount, N("same"), N("same")), Insert(mount, N("same")));
        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(["same", "same", "same"], Names(state, Mount + "/same"));
    }

    [Fact]
    public void Insert_should_never_reuse_serials_after_delete()
    {
        // Given nodes 2 and 3, where 3 (the newest) is deleted
        var state = WithMount(out var mount);
        var ids = Do(state, A, Insert(mount, N("a"), N("b")));
        Do(state, A, Delete(ids[1]));

        // When another node is inserted
        var next = Do(state, A, Insert(mount, N("c")));

        // Then it gets a new serial
        Assert.Equal([Id(4)], next);

        // And also after the whole subtree is deleted and created again
        Do(state, A, Delete(mount));
        Assert.Equal(0, state.NodeCount);
        Assert.Equal([Id(5)], Do(state, A, InsertMount()));
        Assert.Equal([Id(6)], Do(state, A, Insert(Mount, N("d"))));
    }

    [Fact]
    public void Insert_should_let_later_mutations_of_a_batch_see_earlier_ones()
    {
        var state = WithMount(out _);
        var ids = Do(state, A,
            Insert(Mount, N("disks")),
            Insert(Mount + "/disks", N("sda", "Disk")),
            Set(Mount + "/disks/sda", ("size", Size100)),
            InsertAfter(Mount + "/disks", "sda", N("sdb", "Disk")));
        Assert.Equal([Id(2), Id(3), Id(4)], ids);
        Assert.Equal([Size100], Values(state, Mount + "/disks/sda.size"));
        Assert.Equal(["sda", "sdb"], Names(state, Mount + "/disks//[?1]"));
    }

    [Fact]
    public void Insert_of_nothing_should_change_nothing()
    {
        var state = WithMount(out var mount);
        var before = Dump(state);
        var events = new List<IDocEvent>();
        Assert.Null(state.Decide(new Mutate(A, [new Mutation.InsertChildren(mount, [], InsertPosition.Append.Instance)]), events, []));
        Assert.Empty(events);
        Assert.Equal(before, Dump(state));
    }

    // ---- Deletion ----------------------------------------------------------------------------

    [Fact]
    public void DeleteChildren_should_delete_children_by_name()
    {
        // Given children x@Disk, y, x@Node
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("x", "Disk"), N("y"), N("x")));

        // When the children named x are deleted
        Do(state, A, DeleteChildren(mount, name: "x"));

        // Then only y is left
        Assert.Equal(["y"], Names(state, Mount + "//[?1]"));
        Assert.Equal(2, state.NodeCount);
    }

    [Fact]
    public void DeleteChildren_should_delete_children_by_kind()
    {
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("x", "Disk"), N("y", "Disk"), N("z")));
        Do(state, A, DeleteChildren(mount, kind: "Disk"));
        Assert.Equal(["z"], Names(state, Mount + "//[?1]"));
    }

    [Fact]
    public void DeleteChildren_should_delete_children_by_name_and_kind()
    {
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("x", "Disk"), N("x"), N("y", "Disk")));
        Do(state, A, DeleteChildren(mount, name: "x", kind: "Disk"));
        Assert.Equal(["x@Node", "y@Disk"], Find(state, Mount + "//[?1]").Select(n => $"{n.Name}@{n.Kind}"));
    }

    [Fact]
    public void DeleteChildren_should_delete_all_children_without_criteria()
    {
        // Given children with their own subtrees
        var state = Disks();

        // When all children of the root are deleted
        Do(state, A, DeleteChildren(Mount));

        // Then only the root is left
        Assert.Empty(Find(state, Mount + "//[?1]"));
        Assert.Equal(1, state.NodeCount);
        Assert.Equal(0, Single(state, Mount).ChildCount);
    }

    [Fact]
    public void DeleteChildren_should_accept_matching_nothing_unless_asked_to_fail()
    {
        // Given children a, b
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("a"), N("b")));
        var before = Dump(state);

        // When children named z are deleted
        var events = new List<IDocEvent>();
        Assert.Null(state.Decide(new Mutate(A, [DeleteChildren(mount, name: "z")]), events, []));

        // Then nothing happened
        Assert.Empty(events);
        Assert.Equal(before, Dump(state));

        // But with ErrorIfNone it is an error, naming the parent and the criteria
        var error = Refused<DocError.NothingMatched>(state, A, DeleteChildren(mount, name: "z", kind: "Disk", errorIfNone: true));
        Assert.Equal(Mount, error.Path);
        Assert.Contains("'z'", error.Criteria, StringComparison.Ordinal);
        Assert.Contains("'Disk'", error.Criteria, StringComparison.Ordinal);
        Refused<DocError.NothingMatched>(WithMount(out var empty), A, DeleteChildren(empty, errorIfNone: true));
    }

    [Fact]
    public void DeleteNode_should_remove_the_node_with_its_subtree()
    {
        // Given disks with sda (p1, p2 (fs))
        var state = Disks();
        var sda = Single(state, Mount + "/disks/sda");
        var fs = Single(state, Mount + "/disks/sda/p2/fs");
        var count = state.NodeCount;

        // When sda is deleted
        Do(state, A, Delete(sda.Id));

        // Then it and its descendants are gone, its siblings stay
        Assert.Equal(count - 4, state.NodeCount);
        Assert.Equal(["sdb", "cd"], Names(state, Mount + "/disks//[?1]"));
        Assert.IsType<DocError.PathNotFound>(state.Find(new Find("", fs.Id)).Error);
        Refused<DocError.PathNotFound>(state, A, Set(fs.Id, ("x", V(1))));
        Refused<DocError.PathNotFound>(state, A, Delete(Mount + "/disks/sda"));
    }

    [Fact]
    public void DeleteNode_should_delete_the_subtree_root_and_let_it_be_created_again()
    {
        // Given a populated subtree
        var state = Disks();

        // When its root is deleted
        Do(state, A, Delete(Mount));

        // Then the subtree is empty
        Assert.Null(state.Root);
        Assert.Equal(0, state.NodeCount);
        Assert.Empty(Find(state, "//"));
        Assert.Equal("(empty)\n", Content(state));

        // And its root can be inserted again
        Do(state, A, InsertMount());
        Assert.Equal("target @Node\n", Content(state));
    }

    [Fact]
    public void DeleteChildren_of_persistent_should_delete_the_subtree_root()
    {
        var state = Disks();
        Do(state, A, DeleteChildren(Persistent, name: "target"));
        Assert.Null(state.Root);
    }

    // ---- Fetching ----------------------------------------------------------------------------

    [Fact]
    public void Find_should_return_children_by_name_and_kind()
    {
        var state = Disks();
        Assert.Equal(["sda", "sdb", "cd"], Names(state, Mount + "/disks//[?1]"));
        Assert.Equal(["sda", "sdb"], Names(state, Mount + "/disks/[@Disk]"));
        Assert.Equal(["sdb"], Names(state, Mount + "/disks/sdb"));
        Assert.Equal(["dup", "dup"], Names(state, Mount + "/dup"));
        Assert.Equal([DocNames.DefaultKind, "Disk"], Find(state, Mount + "/dup").Select(n => n.Kind));
        Assert.Equal("Disk", Single(state, Mount + "/dup[@Disk]").Kind);
        Assert.Empty(Find(state, Mount + "/disks/sda[@Optical]"));
        Assert.Empty(Find(state, Mount + "/nope"));
        Assert.Empty(Find(state, Mount + "/nope/deeper"));
    }

    [Fact]
    public void Find_should_cap_matches_per_parent_with_a_count()
    {
        // Given sda (p1, p2) and sdb (p1)
        var state = Disks();

        // Then [#1] takes the first partition of each disk, [#5] all of them
        Assert.Equal([Mount + "/disks/sda/p1", Mount + "/disks/sdb/p1"], Find(state, Mount + "/disks/[@Disk]/[#1]").Select(n => n.Path));
        Assert.Equal(3, Find(state, Mount + "/disks/[@Disk]/[#5]").Length);
        Assert.Equal(["sda", "sdb"], Names(state, Mount + "/disks/[#2]"));
        Assert.Equal(["sda", "sdb"], Names(state, Mount + "/disks/[@Disk#2]"));
    }

    [Fact]
    public void Find_should_return_the_first_child_or_nothing()
    {
        var state = Disks();
        Assert.Equal(["sda"], Names(state, Mount + "/disks/[#1]"));
        Assert.Equal(["cd"], Names(state, Mount + "/disks/[@Optical#1]"));
        Assert.Empty(Find(state, Mount + "/disks/[@Tape#1]"));
        Assert.Empty(Find(state, Mount + "/disks/cd/[#1]"));
    }

    [Fact]
    public void Find_should_return_descendants_in_pre_order()
    {
        var state = Disks();
        Assert.Equal(["disks", "sda", "p1", "p2", "fs", "sdb", "p1", "cd", "a/b", "dup", "dup"], Names(state, Mount + "//"));
        Assert.Equal(["p1", "p2", "p1"], Names(state, Mount + "//[@Partition]"));
        Assert.Equal([Mount + "/disks/sda/p1", Mount + "/disks/sdb/p1"], Find(state, Mount + "//p1").Select(n => n.Path));
        Assert.Equal(["sda", "sdb", "dup"], Names(state, Mount + "//[@Disk]"));
    }

    [Fact]
    public void Find_should_bound_descendants_by_depth_and_count()
    {
        var state = Disks();
        Assert.Equal(["disks", "a/b", "dup", "dup"], Names(state, Mount + "//[?1]"));
        Assert.Equal(["disks", "sda", "sdb", "cd", "a/b", "dup", "dup"], Names(state, Mount + "//[?2]"));
        Assert.Equal(["p1", "p2", "p1"], Names(state, Mount + "/disks//[@Partition?2]"));
        Assert.Empty(Find(state, Mount + "//[@Partition?2]"));
        Assert.Equal(["sda", "p1"], Names(state, Mount + "/disks//[#2]"));
        Assert.Equal(["fs"], Names(state, Mount + "//[@Fs?4]"));
        Assert.Empty(Find(state, Mount + "//[@Fs?3]"));
    }

    [Fact]
    public void Find_should_return_everything_below_the_root_with_a_double_slash()
    {
        // Given the disks tree
        var state = Disks();

        // When // is evaluated from the DOC root
        var all = Find(state, "//");

        // Then every node of the subtree is returned in pre-order, the fixed roots are not
        Assert.Equal(state.NodeCount, all.Length);
        Assert.Equal("target", all[0].Name);
        Assert.Equal(["target"], Names(state, "/persistent//[?1]"));
        Assert.Empty(Find(state, "/"));
        Assert.Empty(Find(state, "/persistent"));
    }

    [Fact]
    public void Find_should_return_property_values_with_a_trailing_property()
    {
        var state = Disks();
        Assert.Equal([Size100, Size200], Values(state, Mount + "//[@Disk].size"));
        Assert.Equal([V(60), V(40)], Values(state, Mount + "/disks/sda/[@Partition].size"));
        Assert.Equal([Size100], Values(state, Mount + "/disks/sda.size"));
        Assert.Empty(Values(state, Mount + "/disks/cd.size"));
        Assert.Empty(Values(state, Mount + "/disks/nope.size"));
    }

    [Fact]
    public void Find_should_decode_url_encoded_names_and_properties()
    {
        // Given nodes and a property whose names hold path characters
        var state = WithMount(out var mount);
        Do(state, A, Insert(mount, N("a/b").WithChildren(N("c.d")), N("a")));
        Do(state, A, Set(Mount + "/a%2Fb/c%2Ed", ("x.y", V(1))));

        // Then encoded paths find them, and paths name them encoded
        var node = Single(state, Mount + "/a%2Fb");
        Assert.Equal("a/b", node.Name);
        Assert.Equal(Mount + "/a%2Fb", node.Path);
        Assert.Equal(Mount + "/a%2Fb/c%2Ed", Single(state, Mount + "/a%2Fb/c%2Ed").Path);
        Assert.Equal([V(1)], Values(state, Mount + "//c%2Ed.x%2Ey"));
        Assert.Equal(["a"], Names(state, Mount + "/a"));
    }

    [Fact]
    public void Find_should_copy_whole_subtrees_when_asked()
    {
        // Given the disks tree
        var state = Disks();

        // When sda is fetched as a node and as a subtree
        var node = Single(state, Mount + "/disks/sda");
        var subtree = Assert.Single(Find(state, Mount + "/disks/sda", shape: QueryShape.Subtree));

        // Then the node has no children but their count, the subtree has them all with their paths
        Assert.Empty(node.Children);
        Assert.Equal(2, node.ChildCount);
        Assert.Equal(["p1", "p2"], subtree.Children.Select(c => c.Name));
        Assert.Equal(Mount + "/disks/sda/p2/fs", subtree.Children[1].Children[0].Path);
        Assert.Equal(Size100, subtree["size"]);
        Assert.Equal(node with { Children = subtree.Children }, subtree);
    }

    [Fact]
    public void Find_should_evaluate_relative_to_a_start_node()
    {
        var state = Disks();
        var sda = Single(state, Mount + "/disks/sda");
        Assert.Equal(["p1", "p2"], Names(state, "/", sda.Id));
        Assert.Equal(["p1", "p2", "fs"], Names(state, "//", sda.Id));
        Assert.Equal([V(60), V(40)], state.Find(new Find("/[@Partition].size", sda.Id)).Values.ToArray());
        Assert.Equal(sda, Assert.Single(state.Find(new Find("", sda.Id)).Nodes));
        Assert.IsType<DocError.PathNotFound>(state.Find(new Find("/", Id(999))).Error);
    }

    [Theory]
    [InlineData("persistent", 0)]
    [InlineData("/persistent/target[", 18)]
    [InlineData("/persistent/target[@]", 20)]
    [InlineData("/persistent///x", 13)]
    [InlineData("/persistent/target/a%2", 20)]
    public void Find_should_report_an_invalid_path_with_its_position(string path, int position)
    {
        var state = Disks();
        var error = Assert.IsType<DocError.InvalidPath>(state.Find(new Find(path)).Error);
        Assert.Equal(path, error.Path);
        Assert.Equal(position, error.Position);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason));
    }

    // ---- Errors: each refused, each leaving everything as it was ------------------------------

    [Theory]
    [InlineData("persistent/target", 0)]
    [InlineData("/persistent/target[", 18)]
    [InlineData("/persistent/target[@]", 20)]
    [InlineData("/persistent///x", 13)]
    [InlineData("/persistent/target.size", 18)]
    public void Mutation_should_refuse_an_invalid_path_with_its_position(string path, int position)
    {
        var state = Disks();
        var error = Refused<DocError.InvalidPath>(state, A, Set(path, ("size", V(1))));
        Assert.Equal(path, error.Path);
        Assert.Equal(position, error.Position);
        Refused<DocError.InvalidPath>(state, A, Insert(path, N("x")));
        Refused<DocError.InvalidPath>(state, A, Delete(path));
    }

    [Fact]
    public void Mutation_should_refuse_a_path_or_id_that_matches_nothing()
    {
        var state = Disks();
        Assert.Equal(new DocError.PathNotFound(Mount + "/nope"), Refused<DocError.PathNotFound>(state, A, Insert(Mount + "/nope", N("x"))));
        Refused<DocError.PathNotFound>(state, A, Set(Mount + "/disks/sdz", ("size", V(1))));
        Refused<DocError.PathNotFound>(state, A, Delete("/volatile/target"));
        Refused<DocError.PathNotFound>(state, A, Delete(Id(999)));
        Refused<DocError.PathNotFound>(state, A, Delete(new NodeId("persistent/other", 2)));
        Refused<DocError.PathNotFound>(state, A, Remove(new NodeId("volatile", 0), "x"));
    }

    [Fact]
    public void Mutation_should_refuse_an_ambiguous_path_but_accept_the_id()
    {
        // Given two siblings named dup
        var state = Disks();

        // When one is changed by path
        var error = Refused<DocError.AmbiguousPath>(state, A, Set(Mount + "/dup", ("x", V(1))));

        // Then it is ambiguous
        Assert.Equal(new DocError.AmbiguousPath(Mount + "/dup", 2), error);
        Refused<DocError.AmbiguousPath>(state, A, Delete(Mount + "//p1"));
        Refused<DocError.AmbiguousPath>(state, A, Insert(Mount + "/disks//[?1]", N("x")));

        // And by id it works
        var second = Find(state, Mount + "/dup")[1];
        Do(state, A, Set(second.Id, ("x", V(1))));
        Assert.Equal([V(1)], Values(state, Mount + "/dup.x"));
        Do(state, A, Set(Mount + "/dup[@Disk]", ("y", V(2))));
    }

    public static TheoryData<string, Mutation> InvalidNames => new()
    {
        { "empty name", Insert(Mount, N("")) },
        { "control character in name", Insert(Mount, N("a\nb")) },
        { "name too long", Insert(Mount, N(new string('n', DocNames.MaxLength + 1))) },
        { "empty kind", Insert(Mount, N("a", "")) },
        { "kind starting with a digit", Insert(Mount, N("a", "1Disk")) },
        { "kind with a space", Insert(Mount, N("a", "Big Disk")) },
        { "kind with a slash", Insert(Mount, N("a", "a/b")) },
        { "nested child with a bad name", Insert(Mount, N("a").WithChildren(N("ok"), N("b").WithChildren(N("\t")))) },
        { "empty property name on a new node", Insert(Mount, N("a", "Node", ("", V(1)))) },
        { "empty property name", Set(Mount + "/disks", ("", V(1))) },
        { "control character in a property name", Set(Mount + "/disks", ("a\u0001", V(1))) },
    };

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void Mutation_should_refuse_an_invalid_name(string because, Mutation mutation)
    {
        var state = Disks();
        var error = Refused<DocError.InvalidName>(state, A, mutation);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason), because);
    }

    [Fact]
    public void Mutation_should_refuse_a_stale_expected_version()
    {
        // Given disks at version 1, then changed
        var state = Disks();
        var disks = Single(state, Mount + "/disks");
        Do(state, B, Set(disks.Id, ("x", V(1))));

        // When a change expects version 1
        var error = Refused<DocError.VersionConflict>(state, A, new Mutation.SetProperties(disks.Id, PropertyMap.Of(("x", V(2))), ExpectedVersion: disks.Version));

        // Then it is refused with both versions
        Assert.Equal(new DocError.VersionConflict(Mount + "/disks", disks.Version, disks.Version + 1), error);
        Refused<DocError.VersionConflict>(state, A, new Mutation.DeleteNode(disks.Id, ExpectedVersion: 99));
        Refused<DocError.VersionConflict>(state, A, new Mutation.InsertChildren(disks.Id, [N("x")], InsertPosition.Append.Instance, ExpectedVersion: 1));
        Refused<DocError.VersionConflict>(state, A, new Mutation.DeleteChildren(disks.Id, ExpectedVersion: 1));
        Refused<DocError.VersionConflict>(state, A, new Mutation.RemoveProperties(disks.Id, ["x"], ExpectedVersion: 1));

        // And the current version is accepted
        Do(state, A, new Mutation.SetProperties(disks.Id, PropertyMap.Of(("x", V(2))), ExpectedVersion: disks.Version + 1));
        Assert.Equal(disks.Version + 2, Single(state, Mount + "/disks").Version);
    }

    public static TheoryData<string, DocValue> NotJson => new()
    {
        { "NaN", new DocValue.Number(double.NaN) },
        { "infinity", new DocValue.Number(double.PositiveInfinity) },
        { "negative infinity", new DocValue.Number(double.NegativeInfinity) },
        { "NaN in an array", new DocValue.Array([V(1), new DocValue.Number(double.NaN)]) },
        { "infinity in an object", new DocValue.Object(PropertyMap.Of(("a", new DocValue.Array([new DocValue.Number(double.PositiveInfinity)])))) },
        { "null string", new DocValue.String(null!) },
    };

    [Theory]
    [MemberData(nameof(NotJson))]
    public void Mutation_should_refuse_values_that_are_not_json(string because, DocValue value)
    {
        var state = Disks();
        var error = Refused<DocError.NotJsonCompatible>(state, A, Set(Mount + "/disks/sda", ("size", V(1)), ("bad", value)));
        Assert.Equal(Mount + "/disks/sda", error.Path);
        Assert.Equal("bad", error.Property);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason), because);
        var inNewNode = Refused<DocError.NotJsonCompatible>(state, A, Insert(Mount, N("ok"), N("x", "Node", ("bad", value))));
        Assert.Equal(Mount + "/x", inNewNode.Path);
    }

    [Fact]
    public void Mutation_should_refuse_a_missing_value()
    {
        var state = Disks();
        Refused<DocError.NotJsonCompatible>(state, A, Set(Mount + "/disks", ("bad", null!)));
    }

    [Fact]
    public void Mutation_should_refuse_changing_the_fixed_roots()
    {
        var state = Disks();
        Refused<DocError.InvalidOperation>(state, A, Set(Persistent, ("x", V(1))));
        Refused<DocError.InvalidOperation>(state, A, Set(FixedRootId, ("x", V(1))));
        Refused<DocError.InvalidOperation>(state, A, Remove(Persistent, "x"));
        Refused<DocError.InvalidOperation>(state, A, Delete(Persistent));
        Refused<DocError.InvalidOperation>(state, A, Delete(new NodeId("persistent", 0)));
        Refused<DocError.InvalidOperation>(state, A, Delete(new NodeTarget.ById(NodeId.Root)));
        Refused<DocError.InvalidOperation>(state, A, Set(new NodeTarget.ById(NodeId.Root), ("x", V(1))));
        Refused<DocError.InvalidOperation>(state, A, DeleteChildren(new NodeTarget.ById(NodeId.Root)));
        Refused<DocError.InvalidOperation>(state, A, Insert(new NodeTarget.ById(NodeId.Root), N("volatile")));
    }

    // ---- Atomicity ---------------------------------------------------------------------------

    [Fact]
    public void Mutate_should_change_nothing_when_its_third_mutation_fails()
    {
        // Given two identical states
        var state = Disks();
        var twin = Disks();
        var sda = Single(state, Mount + "/disks/sda").Id;

        // When a batch inserts, deletes and sets, then fails
        Refused<DocError.PathNotFound>(state, A,
            Insert(Mount + "/disks", N("sdc", "Disk").WithChildren(N("p1"))),
            Delete(sda),
            Set(Mount + "/disks/sdz", ("size", V(1))));

        // Then tree, versions, stamps and undo log are as before (Refused compares the whole state)
        Assert.Equal(Dump(twin), Dump(state));

        // And the next insert gets the serial it would have got without the failed batch
        var next = Do(state, A, Insert(Mount, N("later")));
        Assert.Equal(Do(twin, A, Insert(Mount, N("later"))), next);
        Assert.Equal(Dump(twin), Dump(state));

        // And reverting the writer undoes only what succeeded
        Revert(state, null, cascade: false, A);
        Revert(twin, null, cascade: false, A);
        Assert.Equal(Dump(twin), Dump(state));
    }

    [Fact]
    public void Mutate_should_roll_back_property_changes_and_multi_node_deletes_exactly()
    {
        // Given the disks tree where A already changed sda
        var state = Disks();
        Do(state, A, Set(Mount + "/disks/sda", ("size", V(1))));
        var twin = Restored(state);

        // When A's batch sets, removes, deletes several children, inserts, then fails on a version
        Refused<DocError.VersionConflict>(state, A,
            Set(Mount + "/disks/sda", ("size", V(2)), ("new", V(3))),
            Remove(Mount + "/disks/sdb", "size"),
            DeleteChildren(Mount, name: "dup"),
            DeleteChildren(Mount + "/disks/sda"),
            Insert(Mount, N("dup")),
            new Mutation.DeleteNode(Mount + "/disks", ExpectedVersion: 42));

        // Then everything is as before, and later changes behave the same on both
        Assert.Equal(Dump(twin), Dump(state));
        Do(state, B, DeleteChildren(Mount, name: "dup"));
        Do(twin, B, DeleteChildren(Mount, name: "dup"));
        Revert(state, null, cascade: true, A);
        Revert(twin, null, cascade: true, A);
        Assert.Equal(Dump(twin), Dump(state));
    }

    [Fact]
    public void Mutate_should_leave_the_record_of_who_deleted_children_as_it_was_when_refused()
    {
        // Given U's node p whose children A, then B deleted, so reverting U names A first
        var state = WithMount(out var mount);
        var p = Do(state, User, Insert(mount, N("p").WithChildren(N("c1"), N("c2"), N("c3"))))[0];
        Do(state, A, Delete(Mount + "/p/c1"));
        Do(state, B, Delete(Mount + "/p/c2"));
        var conflict = RevertConflict(state, cascade: false, User);

        // When a batch of A deletes another child of p, then fails
        Refused<DocError.PathNotFound>(state, A, Delete(Mount + "/p/c3"), Delete(Id(999)));

        // Then everything is as before (Refused compares the whole state), so the same conflict is reported
        Assert.Equal(conflict, RevertConflict(state, cascade: false, User));
        Assert.Equal(A, conflict.ChangedBy);
        Assert.Equal(p, Single(state, Mount + "/p").Id);
    }

    [Fact]
    public void Mutate_should_roll_back_a_failed_batch_of_a_writer_that_had_no_changes()
    {
        var state = Disks();
        var before = Dump(state);
        Refused<DocError.PathNotFound>(state, C, Insert(Mount, N("x")), Delete(Id(999)));
        Assert.Equal(before, Dump(state));
        Assert.DoesNotContain(C, state.WritersWithChanges);
    }

    // ---- Versions ----------------------------------------------------------------------------

    [Fact]
    public void Versions_should_increment_on_each_change()
    {
        // Given a new node
        var state = WithMount(out var mount);
        var x = Assert.Single(Do(state, A, Insert(mount, N("x"))));
        long Version(NodeId id) => Assert.Single(state.Find(new Find("", id)).Nodes).Version;
        Assert.Equal(1, Version(x));
        var root = Version(mount);

        // When its properties change, it gains and loses children
        Do(state, A, Set(x, ("p", V(1))));
        Assert.Equal(2, Version(x));
        Do(state, A, Set(x, ("p", V(1)), ("q", V(2))));
        Assert.Equal(3, Version(x));
        Do(state, A, Remove(x, "q"));
        Assert.Equal(4, Version(x));
        var child = Assert.Single(Do(state, A, Insert(x, N("c"))));
        Assert.Equal(5, Version(x));
        Do(state, A, Delete(child));
        Assert.Equal(6, Version(x));

        // Then its parent changed only when its own children did
        Assert.Equal(root, Version(mount));
        Do(state, A, Insert(mount, N("y")));
        Assert.Equal(root + 1, Version(mount));

        // And changes that change nothing leave versions alone
        Do(state, A, Remove(x, "absent"), Set(x), DeleteChildren(x, name: "none"));
        Assert.Equal(6, Version(x));

        // And a revert is a change too
        Do(state, B, Set(x, ("b", V(1))));
        Revert(state, null, cascade: false, B);
        Assert.Equal(8, Version(x));
    }

    // ---- Immutability ------------------------------------------------------------------------

    [Fact]
    public void Copies_should_not_change_when_the_tree_changes_afterwards()
    {
        // Given copies of a node and a subtree
        var state = Disks();
        var node = Single(state, Mount + "/disks/sda");
        var subtree = Assert.Single(Find(state, Mount + "/disks", shape: QueryShape.Subtree));
        var values = Values(state, Mount + "//[@Disk].size");
        string Text(DocNode n) => $"{n.Id} {n.Name} v{n.Version} {Format(n.Properties)} {n.ChildCount} [{string.Join(" ", n.Children.Select(Text))}]";
        var (nodeText, subtreeText) = (Text(node), Text(subtree));

        // When the tree changes in every way
        Do(state, A, Set(node.Id, ("size", V(1)), ("new", V(2))));
        Do(state, A, Insert(node.Id, N("p3")), Insert(Mount + "/disks", N("sdc")));
        Do(state, A, Delete(Mount + "/disks/sda/p1"), Remove(Mount + "/disks/sdb", "size"));
        Do(state, A, Delete(Mount + "/disks"));
        Revert(state, null, cascade: false, A);
        Do(state, A, Delete(Mount));

        // Then the copies are as they were
        Assert.Equal(nodeText, Text(node));
        Assert.Equal(subtreeText, Text(subtree));
        Assert.Equal([Size100, Size200], values);
    }
}
