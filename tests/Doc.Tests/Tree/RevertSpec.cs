using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;
using Xunit;
using static Caiman.Doc.Tests.Tree.TreeAssert;

namespace Caiman.Doc.Tests.Tree;

/// <summary>
/// Reverting writers: exactly their changes are undone, the tree is then the tree where they
/// never ran, conflicts with later writers are reported or cascaded, and reverts replay from the journal.
/// </summary>
public sealed class RevertSpec
{
    /// <summary>The base tree every scenario starts from, written by <see cref="TreeAssert.User"/>.</summary>
    private static SubtreeState Base(List<IDocEvent>? journal = null)
    {
        var state = WithMount(out _, journal);
        Do(state, journal, User, Insert(Mount,
            N("disks").WithChildren(
                N("sda", "Disk", ("size", V(100))).WithChildren(N("p1", "Partition"), N("p2", "Partition")),
                N("sdb", "Disk", ("size", V(200))).WithChildren(N("p1", "Partition")),
                N("cd", "Optical")),
            N("dup"),
            N("dup", "Disk"),
            N("tail")));
        return state;
    }

    private static NodeId IdOf(SubtreeState state, string path) => Single(state, path).Id;

    // ---- What a revert undoes ----------------------------------------------------------------

    [Fact]
    public void Revert_should_remove_exactly_the_writers_inserts()
    {
        // Given A and B both inserted nodes, and a twin where only B did
        var state = Base();
        var twin = Base();
        var count = state.NodeCount;
        Do(state, A, Insert(Mount + "/disks", N("sdc", "Disk").WithChildren(N("p1"), N("p2"))));
        Do(state, B, Insert(Mount + "/disks", N("sdd", "Disk")));
        Do(twin, B, Insert(Mount + "/disks", N("sdd", "Disk")));
        Do(state, A, Insert(Mount + "/disks/sda", N("p3", "Partition")), InsertBefore(Mount, "dup", N("first")));

        // When A is reverted
        var reverted = Revert(state, null, cascade: false, A);

        // Then only A's nodes are gone
        Assert.Equal([A], reverted);
        Assert.Equal(Content(twin), Content(state));
        Assert.Equal(count + 1, state.NodeCount);
        Assert.DoesNotContain(A, state.WritersWithChanges);
    }

    [Fact]
    public void Revert_should_restore_deleted_nodes_at_their_positions_with_their_ids()
    {
        // Given A deleted a first child with its subtree, a middle child, and an only child
        var state = Base();
        var before = WithIds(state);
        Do(state, A, Delete(Mount + "/disks/sda"));
        Do(state, A, Delete(Find(state, Mount + "/dup")[0].Id));
        Do(state, A, Delete(Mount + "/disks/sdb/p1"));
        Do(state, A, DeleteChildren(Mount, name: "tail"));

        // When A is reverted
        Revert(state, null, cascade: false, A);

        // Then every node is back where it was, with its id
        Assert.Equal(before, WithIds(state));
    }

    [Fact]
    public void Revert_should_restore_nodes_deleted_together_in_their_order()
    {
        // Given children x(2), m(3), x(4), x(5), and A deleted all the x at once
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("x", "One"), N("m"), N("x", "Two"), N("x", "Three")));
        var before = WithIds(state);
        Do(state, A, DeleteChildren(mount, name: "x"));
        Assert.Equal(["m"], Names(state, Mount + "//[?1]"));

        // When A is reverted
        Revert(state, null, cascade: false, A);

        // Then they are back in their order
        Assert.Equal(before, WithIds(state));
    }

    [Fact]
    public void Revert_should_restore_property_values()
    {
        // Given A overwrote, added and removed properties, several times
        var state = Base();
        var before = Content(state);
        Do(state, A, Set(Mount + "/disks/sda", ("size", V(1)), ("label", V("a"))));
        Do(state, A, Set(Mount + "/disks/sda", ("size", V(2))), Remove(Mount + "/disks/sdb", "size"));
        Do(state, A, Remove(Mount + "/disks/sda", "label", "size"), Set(Mount + "/disks/sdb", ("size", V(3))));
        Do(state, A, Set(Mount + "/disks/cd", ("size", DocValue.Null.Instance)));

        // When A is reverted
        Revert(state, null, cascade: false, A);

        // Then every property is as before
        Assert.Equal(before, Content(state));
        Assert.Equal([V(100), V(200)], Values(state, Mount + "/disks/[@Disk].size"));
    }

    [Fact]
    public void Revert_should_give_the_tree_where_the_writer_never_ran()
    {
        // Given A's and B's changes interleave without touching each other's work, and a twin where A never ran
        var state = Base();
        var twin = Base();
        void Both(Writer writer, params Mutation[] mutations)
        {
            Do(state, writer, mutations);
            if (writer != A) Do(twin, writer, mutations);
        }
        Both(A, Insert(Mount + "/disks", N("sdc", "Disk", ("size", V(300)))));
        Both(B, Set(Mount + "/disks/sda", ("size", V(101))));
        Both(A, Delete(Mount + "/disks/sdb/p1"));
        Both(B, Insert(Mount + "/disks/sda", N("p3", "Partition")));
        Both(A, Set(Mount + "/disks/sda", ("label", V("boot"))), Remove(Mount + "/disks/sdb", "size"));
        Both(B, Set(Mount + "/disks/sdb", ("model", V("x"))));
        Both(A, Delete(Mount + "/disks/cd"));
        Both(B, Insert(Mount, N("added-by-b")));
        Both(A, Set(Mount + "/disks/sda/p3", ("boot", DocValue.Bool.True)));
        Both(A, Remove(Mount + "/disks/sda/p3", "boot"));

        // When A is reverted
        Assert.Equal([A], Revert(state, null, cascade: false, A));

        // Then the content equals the twin's
        Assert.Equal(Content(twin), Content(state));
    }

    [Fact]
    public void Revert_of_a_writer_without_changes_should_change_nothing()
    {
        var state = Base();
        var before = Dump(state);
        var error = state.Revert([C], cascade: false, dryRun: false, out var reverted, out var undone);
        Assert.Null(error);
        Assert.Equal([C], reverted.ToArray());
        Assert.Equal(0, undone);
        Assert.Equal(before, Dump(state));
    }

    [Fact]
    public void Revert_should_restore_a_deleted_subtree_root()
    {
        // Given A deleted the whole subtree
        var state = Base();
        var before = WithIds(state);
        Do(state, A, Delete(Mount));
        Assert.Null(state.Root);

        // When A is reverted
        Revert(state, null, cascade: false, A);

        // Then it is back
        Assert.Equal(before, WithIds(state));
    }

    // ---- Conflicts ---------------------------------------------------------------------------

    [Fact]
    public void Revert_should_report_a_conflict_when_another_writer_later_changed_the_same_property()
    {
        // Given A set sda.size, then B set it again
        var state = Base();
        Do(state, A, Set(Mount + "/disks/sda", ("size", V(1))));
        Do(state, B, Set(Mount + "/disks/sda", ("size", V(2))));

        // When A is reverted without cascade
        var conflict = RevertConflict(state, cascade: false, A);

        // Then the conflict names A, B and the property, and nothing changed (checked by RevertConflict)
        Assert.Equal(new DocError.RevertConflict(A, B, Mount + "/disks/sda.size"), conflict);
    }

    [Fact]
    public void Revert_with_cascade_should_revert_the_writer_that_changed_the_same_property_later()
    {
        // Given A set sda.size, then B set it again, and a twin where neither ran
        var state = Base();
        var before = Content(state);
        Do(state, A, Set(Mount + "/disks/sda", ("size", V(1))));
        Do(state, B, Set(Mount + "/disks/sda", ("size", V(2))), Insert(Mount, N("b-only")));

        // When A is reverted with cascade
        var reverted = Revert(state, null, cascade: true, A);

        // Then both are reverted
        Assert.Equal([A, B], reverted);
        Assert.Equal(before, Content(state));
        Assert.DoesNotContain(A, state.WritersWithChanges);
        Assert.DoesNotContain(B, state.WritersWithChanges);
    }

    [Fact]
    public void Revert_should_not_conflict_on_other_properties_of_the_same_node()
    {
        var state = Base();
        Do(state, A, Set(Mount + "/disks/sda", ("size", V(1))));
        Do(state, B, Set(Mount + "/disks/sda", ("label", V("b"))), Remove(Mount + "/disks/sda", "unknown"));
        Assert.Equal([A], Revert(state, null, cascade: false, A));
        Assert.Equal([V(100)], Values(state, Mount + "/disks/sda.size"));
        Assert.Equal([V("b")], Values(state, Mount + "/disks/sda.label"));
    }

    [Fact]
    public void Revert_should_report_a_conflict_when_another_writer_inserted_under_a_node_the_writer_inserted()
    {
        // Given A inserted x, then B inserted a child under x
        var state = Base();
        var x = Do(state, A, Insert(Mount, N("x").WithChildren(N("x1"))))[0];
        Do(state, B, Insert(Mount + "/x/x1", N("b-child")));

        // When A is reverted
        var conflict = RevertConflict(state, cascade: false, A);

        // Then B is named
        Assert.Equal(A, conflict.Reverted);
        Assert.Equal(B, conflict.ChangedBy);
        Assert.StartsWith(Mount + "/x", conflict.Path, StringComparison.Ordinal);

        // And with cascade both go
        Assert.Equal([A, B], Revert(state, null, cascade: true, A));
        Assert.Equal(Content(Base()), Content(state));
        Assert.IsType<DocError.PathNotFound>(state.Find(new Find("", x)).Error);
    }

    [Fact]
    public void Revert_should_report_a_conflict_when_another_writer_deleted_a_node_the_writer_inserted()
    {
        // Given A inserted x (with a child), then B deleted the child, and C deleted x
        var state = Base();
        Do(state, A, Insert(Mount, N("x").WithChildren(N("x1"), N("x2"))));
        Do(state, B, Delete(Mount + "/x/x1"));
        var afterB = Content(state);
        Do(state, C, Delete(Mount + "/x"));

        // When A is reverted
        // Then C is named (its change is the newest on top of A's)
        Assert.Equal(new DocError.RevertConflict(A, C, Mount + "/x"), RevertConflict(state, cascade: false, A));

        // And once C is reverted, B is named
        Revert(state, null, cascade: false, C);
        Assert.Equal(afterB, Content(state));
        Assert.Equal(B, RevertConflict(state, cascade: false, A).ChangedBy);

        // And with cascade all three go
        Do(state, C, Delete(Mount + "/x"));
        Assert.Equal([A, B, C], Revert(state, null, cascade: true, A));
        Assert.Equal(Content(Base()), Content(state));
    }

    [Fact]
    public void Revert_should_report_a_conflict_when_another_writer_changed_a_node_the_writer_inserted()
    {
        var state = Base();
        Do(state, A, Insert(Mount, N("x", "Node", ("p", V(1)))));
        Do(state, B, Remove(Mount + "/x", "p"));
        Assert.Equal(new DocError.RevertConflict(A, B, Mount + "/x.p"), RevertConflict(state, cascade: false, A));
    }

    [Fact]
    public void Revert_should_report_a_conflict_when_another_writer_deleted_the_parent_of_a_node_the_writer_deleted()
    {
        // Given A deleted sda/p1, then B deleted sda
        var state = Base();
        var before = Content(state);
        Do(state, A, Delete(Mount + "/disks/sda/p1"));
        Do(state, B, Delete(Mount + "/disks/sda"));

        // When A is reverted, B is named
        Assert.Equal(B, RevertConflict(state, cascade: false, A).ChangedBy);

        // And with cascade both go
        Assert.Equal([A, B], Revert(state, null, cascade: true, A));
        Assert.Equal(before, Content(state));
    }

    [Fact]
    public void Revert_should_report_a_conflict_when_another_writer_created_the_subtree_root_again()
    {
        // Given A deleted the subtree root and C created a new one
        var state = Base();
        var before = WithIds(state);
        Do(state, A, Delete(Mount));
        Do(state, C, InsertMount(), Insert(Mount, N("new")));

        // When A is reverted, C is named
        Assert.Equal(C, RevertConflict(state, cascade: false, A).ChangedBy);

        // And with cascade the old root is back
        Assert.Equal([A, C], Revert(state, null, cascade: true, A));
        Assert.Equal(before, WithIds(state));
    }

    [Fact]
    public void Revert_should_report_a_conflict_when_the_subtree_root_was_created_again_even_if_deleted_since()
    {
        // Given A deleted the subtree root, C created a new one, and B deleted that one too
        var state = Base();
        Do(state, A, Delete(Mount));
        Do(state, C, InsertMount());
        Do(state, B, Delete(Mount));

        // When A is reverted without cascade
        // Then C is in the way: without A's deletion C could not have created its root
        Assert.Equal(C, RevertConflict(state, cascade: false, A).ChangedBy);
    }

    [Fact]
    public void Revert_should_stay_possible_for_every_writer_after_the_subtree_root_was_deleted_and_created_again()
    {
        // Given A deleted the subtree root, C created a new one, B deleted that one too, and A was reverted
        var state = Base();
        Do(state, A, Delete(Mount));
        Do(state, C, InsertMount());
        Do(state, B, Delete(Mount));
        var error = state.Revert([A], cascade: false, dryRun: false, out _);

        // When B is reverted with cascade (after A's revert succeeded or not)
        var errorB = state.Revert([B], cascade: true, dryRun: false, out var reverted);

        // Then it succeeds: a revert with cascade always can
        Assert.True(errorB is null, $"after reverting A gave {error?.ToString() ?? "success"}, reverting B with cascade gave {errorB}");
        Assert.Contains(B, reverted);
    }

    [Fact]
    public void Revert_with_cascade_should_undo_interleaved_writes_to_the_same_property()
    {
        // Given U set p=0, then A p=1, B p=2, A p=3
        var journal = new List<IDocEvent>();
        var state = Base(journal);
        Do(state, journal, User, Set(Mount + "/disks/sda", ("p", V(0))));
        var before = Content(state);
        Do(state, journal, A, Set(Mount + "/disks/sda", ("p", V(1))));
        Do(state, journal, B, Set(Mount + "/disks/sda", ("p", V(2))));
        Do(state, journal, A, Set(Mount + "/disks/sda", ("p", V(3))));

        // When either is reverted alone, the other is in the way
        Assert.Equal(new DocError.RevertConflict(A, B, Mount + "/disks/sda.p"), RevertConflict(state, cascade: false, A));
        Assert.Equal(new DocError.RevertConflict(B, A, Mount + "/disks/sda.p"), RevertConflict(state, cascade: false, B));

        // When A is reverted with cascade
        Assert.Equal([A, B], Revert(state, journal, cascade: true, A));

        // Then p is 0 again
        Assert.Equal([V(0)], Values(state, Mount + "/disks/sda.p"));
        Assert.Equal(before, Content(state));
        Assert.Equal(Dump(Replay(journal)), Dump(state));
    }

    // ---- Dry runs ----------------------------------------------------------------------------

    [Fact]
    public void Revert_dry_run_should_change_nothing_but_report_the_set()
    {
        // Given B changed a property after A
        var state = Base();
        Do(state, A, Set(Mount + "/disks/sda", ("size", V(1))), Delete(Mount + "/disks/cd"), Insert(Mount + "/disks", N("sdc")));
        Do(state, B, Set(Mount + "/disks/sda", ("size", V(2))), Delete(Mount + "/disks/sdb/p1"), Insert(Mount + "/disks/sdc", N("p1")));
        var before = Dump(state);

        // When A is reverted with cascade as a dry run
        var error = state.Revert([A], cascade: true, dryRun: true, out var reverted, out var undone);

        // Then the set and the count are reported, and nothing changed (versions and undo log included)
        Assert.Null(error);
        Assert.Equal([A, B], reverted.OrderBy(w => w.ToString(), StringComparer.Ordinal));
        Assert.Equal(6, undone);
        Assert.Equal(before, Dump(state));

        // And a dry run without cascade reports the conflict and changes nothing
        var conflict = state.Revert([A], cascade: false, dryRun: true, out var none);
        Assert.IsType<DocError.RevertConflict>(conflict);
        Assert.Empty(none);
        Assert.Equal(before, Dump(state));

        // And the real revert reverts the same set
        Assert.Equal([A, B], Revert(state, null, cascade: true, A));
    }

    [Fact]
    public void Revert_dry_run_should_leave_the_record_of_who_deleted_children_as_it_was()
    {
        // Given U's node p whose children A, then B deleted, so reverting U names A first
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("p").WithChildren(N("c1"), N("c2"))));
        Do(state, A, Delete(Mount + "/p/c1"));
        Do(state, B, Delete(Mount + "/p/c2"));
        var before = Dump(state);
        var conflict = RevertConflict(state, cascade: false, User);
        Assert.Equal(A, conflict.ChangedBy);

        // When A is reverted as a dry run, and a revert that conflicts is tried
        Assert.Null(state.Revert([A], cascade: false, dryRun: true, out _));
        RevertConflict(state, cascade: false, B, User);

        // Then the state is exactly as before, and the same conflict is reported
        Assert.Equal(before, Dump(state));
        Assert.Equal(conflict, RevertConflict(state, cascade: false, User));
    }

    // ---- Persistence -------------------------------------------------------------------------

    [Fact]
    public void Revert_should_replay_from_the_journal()
    {
        // Given a journal of changes and reverts, cascades included
        var journal = new List<IDocEvent>();
        var state = Base(journal);
        Do(state, journal, A, Set(Mount + "/disks/sda", ("size", V(1))), Insert(Mount + "/disks", N("sdc").WithChildren(N("p1"))));
        Do(state, journal, B, Set(Mount + "/disks/sda", ("size", V(2))), Delete(Mount + "/disks/sdb"));
        Do(state, journal, C, Insert(Mount + "/disks/sdc", N("p2")), Delete(Mount + "/tail"));
        Do(state, journal, B, Set(Mount + "/dup[@Disk]", ("x", V(1))));
        Revert(state, journal, cascade: true, A);
        Do(state, journal, A, Insert(Mount, N("again")), Delete(Mount + "/disks/cd"));
        Do(state, journal, C, Set(Mount + "/again", ("x", V(1))));
        Revert(state, journal, cascade: false, C);

        // When the journal is replayed into a fresh state
        var replayed = Replay(journal);

        // Then it equals the original in every respect
        Assert.Equal(Exact(state), Exact(replayed));
        Assert.Equal(Dump(state), Dump(replayed));

        // And both revert the rest alike
        Revert(state, null, cascade: true, A);
        Revert(replayed, null, cascade: true, A);
        Assert.Equal(Dump(state), Dump(replayed));
    }

    [Fact]
    public void Revert_should_replay_from_the_journal_with_the_same_versions_after_a_batch_that_changed_and_deleted_a_node()
    {
        // Given C set a property, then in one batch removed it and deleted the node (the whole subtree)
        var journal = new List<IDocEvent>();
        var state = WithMount(out var mount, journal);
        Do(state, journal, C, Set(mount, ("p", DocValue.Null.Instance)));
        Do(state, journal, C, Remove(mount, "r", "p"), Delete(mount));

        // When C is reverted, and the journal replayed
        Revert(state, journal, cascade: true, C);
        var replayed = Replay(journal);

        // Then both have the same tree with the same versions, and the same undo state
        Assert.Equal(Exact(state), Exact(replayed));
        Assert.Equal(Dump(state), Dump(replayed));
    }

    [Fact]
    public void Revert_with_cascade_should_give_the_tree_its_replayed_event_gives()
    {
        // Given children a, x, b; A deleted x, then B deleted a; and A and B both changed sda.size (so A's revert cascades to B)
        var journal = new List<IDocEvent>();
        var state = WithMount(out var mount, journal);
        Do(state, journal, User, Insert(mount, N("a"), N("x"), N("b"), N("sda")));
        var before = WithIds(state);
        Do(state, journal, A, Set(Mount + "/sda", ("size", V(1))));
        Do(state, journal, B, Set(Mount + "/sda", ("size", V(2))));
        Do(state, journal, A, Delete(Mount + "/x"));
        Do(state, journal, B, Delete(Mount + "/a"));

        // When A is reverted with cascade, and the persisted event replayed
        Assert.Equal([A, B], Revert(state, journal, cascade: true, A));
        var replayed = Replay(journal);

        // Then both give the tree where neither ran
        Assert.Equal(before, WithIds(replayed));
        Assert.Equal(before, WithIds(state));
    }

    [Fact]
    public void Revert_should_keep_a_restored_node_between_its_neighbours_when_another_writer_deleted_a_sibling()
    {
        // Given children a, x, b; A deleted x, then B deleted a
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("a"), N("x"), N("b")));
        Do(state, A, Delete(Mount + "/x"));
        Do(state, B, Delete(Mount + "/a"));

        // When A is reverted
        Revert(state, null, cascade: false, A);

        // Then the tree is the one where A never ran: x before b
        Assert.Equal(["x", "b"], Names(state, Mount + "//[?1]"));
    }

    [Fact]
    public void Revert_should_keep_a_restored_node_in_place_when_another_writer_inserted_before_it()
    {
        // Given children a, x, b; A deleted x, then B inserted y before a
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("a"), N("x"), N("b")));
        Do(state, A, Delete(Mount + "/x"));
        Do(state, B, InsertBefore(mount, "a", N("y")));

        // When A is reverted
        Revert(state, null, cascade: false, A);

        // Then the tree is the one where A never ran: y, a, x, b
        Assert.Equal(["y", "a", "x", "b"], Names(state, Mount + "//[?1]"));
    }

    [Fact]
    public void Revert_should_restore_deleted_siblings_in_place_whatever_order_their_writers_are_reverted_in()
    {
        // Given children b, c, a; C deleted c, then B deleted a
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("b"), N("c"), N("a")));
        var before = WithIds(state);
        Do(state, C, Delete(Mount + "/c"));
        Do(state, B, Delete(Mount + "/a"));

        // When C is reverted, then B
        Revert(state, null, cascade: false, C);
        Revert(state, null, cascade: false, B);

        // Then the children are back in their order
        Assert.Equal(before, WithIds(state));
    }

    [Fact]
    public void Revert_should_put_a_restored_node_after_a_node_another_writer_inserted_after_the_same_neighbour()
    {
        // Given children w, x; B deleted x, then A inserted y after w
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("w"), N("x")));
        Do(state, B, Delete(Mount + "/x"));
        Do(state, A, InsertAfter(mount, "w", N("y")));

        // When B is reverted
        Revert(state, null, cascade: false, B);

        // Then the tree is the one where B never ran: y went right after w, before x
        Assert.Equal(["w", "y", "x"], Names(state, Mount + "//[?1]"));
    }

    [Fact]
    public void Revert_should_put_a_restored_node_before_a_node_another_writer_inserted_before_the_same_neighbour()
    {
        // Given children x, z; B deleted x, then A inserted y before z
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("x"), N("z")));
        Do(state, B, Delete(Mount + "/x"));
        Do(state, A, InsertBefore(mount, "z", N("y")));

        // When B is reverted
        Revert(state, null, cascade: false, B);

        // Then the tree is the one where B never ran: y went right before z, after x
        Assert.Equal(["x", "y", "z"], Names(state, Mount + "//[?1]"));
    }

    [Fact]
    public void Revert_should_succeed_after_the_later_writers_were_reverted_first()
    {
        // Given A inserted p, then B and C each inserted a child under p
        var state = Base();
        var before = Content(state);
        Do(state, A, Insert(Mount, N("p")));
        Do(state, B, Insert(Mount + "/p", N("b")));
        Do(state, C, Insert(Mount + "/p", N("c")));

        // When B, then C are reverted (each without conflict)
        Revert(state, null, cascade: false, B);
        Revert(state, null, cascade: false, C);

        // Then nothing of theirs is left on top of A's p, so A reverts without conflict
        var error = state.Revert([A], cascade: true, dryRun: false, out var reverted);
        Assert.Null(error);
        Assert.Equal([A], reverted.ToArray());
        Assert.Equal(before, Content(state));
    }

    [Fact]
    public void Revert_should_succeed_after_a_later_deletion_under_the_writers_node_was_reverted()
    {
        // Given A inserted p with child c; B deleted c; C inserted d under p; then B and C were reverted in turn
        var state = Base();
        var before = Content(state);
        Do(state, A, Insert(Mount, N("p").WithChildren(N("c"))));
        Do(state, B, Delete(Mount + "/p/c"));
        Do(state, C, Insert(Mount + "/p", N("d")));
        Revert(state, null, cascade: false, B);
        Revert(state, null, cascade: false, C);

        // When A is reverted
        var error = state.Revert([A], cascade: false, dryRun: false, out _);

        // Then it succeeds
        Assert.Null(error);
        Assert.Equal(before, Content(state));
    }

    // ---- Cost --------------------------------------------------------------------------------

    [Fact]
    public void Revert_should_only_touch_what_the_writer_changed_in_a_large_tree()
    {
        // Given a tree of 100,001 nodes (100 groups of 1,000 leaves) written by U
        var state = WithMount(out var mount);
        var groups = Enumerable.Range(0, 100).Select(g =>
            N($"g{g}").WithChildren([.. Enumerable.Range(0, 999).Select(i => N($"n{i}", "Leaf", ("i", V(i))))])).ToArray();
        Do(state, User, Insert(mount, groups));
        Assert.Equal(100_001, state.NodeCount);
        var leaf = IdOf(state, Mount + "/g57/n123");
        var before = Single(state, Mount + "/g57/n123");

        // When A changed one node and B inserted one, and each is reverted
        Do(state, A, Set(leaf, ("i", V(-1)), ("extra", V(1))));
        Do(state, B, Insert(Mount + "/g3", N("added")));
        var errorA = state.Revert([A], cascade: false, dryRun: false, out var revertedA, out var undoneA);
        var errorB = state.Revert([B], cascade: true, dryRun: false, out var revertedB, out var undoneB);

        // Then each undid exactly its one change, and the tree is as before
        Assert.Null(errorA);
        Assert.Null(errorB);
        Assert.Equal([A], revertedA.ToArray());
        Assert.Equal([B], revertedB.ToArray());
        Assert.Equal(1, undoneA);
        Assert.Equal(1, undoneB);
        Assert.Equal(100_001, state.NodeCount);
        var after = Single(state, Mount + "/g57/n123");
        Assert.Equal(before.Properties, after.Properties);
        Assert.Equal(before.Version + 2, after.Version);
        Assert.Equal(999, Single(state, Mount + "/g3").ChildCount);
    }
}
