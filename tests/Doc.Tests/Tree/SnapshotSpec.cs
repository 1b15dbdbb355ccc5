using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Caiman.Doc.Tree;
using Xunit;
using static Caiman.Doc.Tests.Tree.TreeAssert;

namespace Caiman.Doc.Tests.Tree;

/// <summary>Snapshots keep the whole subtree state: the tree with ids and versions, and the undo log so reverts still work.</summary>
public sealed class SnapshotSpec
{
    /// <summary>A tree with changes by U, A and B, deletions (nested too) and a revert behind it.</summary>
    private static SubtreeState Worked()
    {
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount,
            N("disks").WithChildren(
                N("sda", "Disk", ("size", V(100))).WithChildren(N("p1", "Partition"), N("p2", "Partition").WithChildren(N("fs"))),
                N("sdb", "Disk", ("size", V(200)), ("tags", new DocValue.Array([V("a"), DocValue.Null.Instance])))),
            N("net", "Net", ("cfg", new DocValue.Object(PropertyMap.Of(("dhcp", DocValue.Bool.True), ("mtu", new DocValue.Number(1500.5)))))),
            N("tail")));
        Do(state, A, Set(Mount + "/disks/sda", ("size", V(1)), ("label", V("boot"))), Insert(Mount + "/disks", N("sdc", "Disk")));
        Do(state, A, Delete(Mount + "/disks/sda/p2/fs"), Delete(Mount + "/disks/sda/p2"));
        Do(state, B, Set(Mount + "/disks/sdb", ("size", V(2))), Remove(Mount + "/net", "cfg"), Insert(Mount + "/disks/sdc", N("p1")));
        Do(state, C, Insert(Mount, N("c-only")), Delete(Mount + "/tail"));
        Revert(state, null, cascade: false, C);
        Do(state, B, DeleteChildren(Mount + "/disks", kind: "Disk", name: "sdb"));
        return state;
    }

    [Fact]
    public void Snapshot_should_round_trip_the_tree_with_ids_and_versions()
    {
        // Given a worked-on subtree
        var state = Worked();

        // When it is restored from its snapshot
        var restored = Restored(state);

        // Then the tree is equal with ids and versions, and so is everything else the snapshot holds
        Assert.Equal(Exact(state), Exact(restored));
        Assert.Equal(Dump(state), Dump(restored));
        Assert.Equal(state.NodeCount, restored.NodeCount);
        Assert.Equal(state.Sequence, restored.Sequence);
        Assert.Equal(
            Find(state, "//", shape: QueryShape.Subtree),
            Find(restored, "//", shape: QueryShape.Subtree));
        Assert.Equal(state.WritersWithChanges.ToHashSet(), restored.WritersWithChanges.ToHashSet());
    }

    [Fact]
    public void Snapshot_should_round_trip_an_empty_subtree_and_a_deleted_one()
    {
        // Given a subtree never created
        var empty = Restored(NewState());

        // Then it is empty and its first node gets serial 1
        Assert.Null(empty.Root);
        Assert.Equal([Id(1)], Do(empty, User, InsertMount()));

        // Given a subtree whose root A deleted
        var state = Worked();
        Do(state, A, Delete(Mount));
        var restored = Restored(state);
        Assert.Null(restored.Root);
        Assert.Equal(Dump(state), Dump(restored));

        // When A is reverted (with B, who built on A's work) after the restore
        var reverted = Revert(restored, null, cascade: true, A);

        // Then the root is back, as on the original
        Assert.Equal(reverted, Revert(state, null, cascade: true, A));
        Assert.NotNull(restored.Root);
        Assert.Equal(Dump(state), Dump(restored));
    }

    [Fact]
    public void Snapshot_should_continue_serials_where_the_original_left_off()
    {
        // Given a subtree whose newest nodes were deleted and reverted away
        var state = Worked();
        Do(state, A, Insert(Mount, N("x"), N("y")));
        Do(state, A, Delete(Mount + "/y"));
        var restored = Restored(state);

        // When both insert a node
        var next = Do(state, B, Insert(Mount, N("z")));

        // Then the restored one gives the same, never used, serial
        Assert.Equal(next, Do(restored, B, Insert(Mount, N("z"))));
        Assert.Equal(Dump(state), Dump(restored));
    }

    [Fact]
    public void Snapshot_should_keep_the_undo_log_so_revert_still_works()
    {
        // Given a worked-on subtree and its restored copy
        var state = Worked();
        var restored = Restored(state);

        // When A is reverted in both, with cascade
        var reverted = Revert(state, null, cascade: true, A);

        // Then the restored one reverts the same set to the same state
        Assert.Equal(reverted, Revert(restored, null, cascade: true, A));
        Assert.Equal(Dump(state), Dump(restored));
        Assert.Equal(Exact(state), Exact(restored));
    }

    [Fact]
    public void Snapshot_should_keep_deletions_revertable()
    {
        // Given A deleted sda/p2/fs and then sda/p2, and the state was restored
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("sda", "Disk").WithChildren(N("p1"), N("p2", "Partition", ("size", V(5))).WithChildren(N("fs")), N("p3"))));
        var before = WithIds(state);
        Do(state, A, Delete(Mount + "/sda/p2/fs"));
        Do(state, A, Delete(Mount + "/sda/p2"));
        var restored = Restored(state);

        // When A is reverted on the restored state
        Revert(restored, null, cascade: false, A);

        // Then both nodes are back where they were, with their ids and properties
        Assert.Equal(before, WithIds(restored));
    }

    [Fact]
    public void Snapshot_should_keep_property_stamps_and_conflicts()
    {
        // Given A then B set the same property, and the state was restored
        var state = Worked();
        Do(state, A, Set(Mount + "/net", ("mode", V("a"))));
        Do(state, B, Set(Mount + "/net", ("mode", V("b"))));
        var restored = Restored(state);

        // When A is reverted without cascade
        // Then B is in the way, as on the original
        var conflict = RevertConflict(restored, cascade: false, A);
        Assert.Equal(new DocError.RevertConflict(A, B, Mount + "/net.mode"), conflict);
        Assert.Equal(conflict, RevertConflict(state, cascade: false, A));

        // And reverting B alone restores A's value after the restore
        Revert(restored, null, cascade: false, B);
        Assert.Equal([V("a")], Values(restored, Mount + "/net.mode"));
    }

    [Fact]
    public void Snapshot_should_keep_conflicts_with_deletions()
    {
        // Given A inserted x and deleted sda/p1; B then deleted x and sda
        var state = WithMount(out var mount);
        Do(state, User, Insert(mount, N("sda").WithChildren(N("p1"), N("p2"))));
        var before = WithIds(state);
        Do(state, A, Insert(mount, N("x").WithChildren(N("x1"))), Delete(Mount + "/sda/p1"));
        Do(state, B, Delete(Mount + "/x/x1"));
        Do(state, B, Delete(Mount + "/x"), Delete(Mount + "/sda"));
        var restored = Restored(state);

        // When A is reverted after the restore, B is named as on the original
        var conflict = RevertConflict(restored, cascade: false, A);
        Assert.Equal(B, conflict.ChangedBy);
        Assert.Equal(conflict, RevertConflict(state, cascade: false, A));

        // And with cascade the tree is back as before either
        Assert.Equal([A, B], Revert(restored, null, cascade: true, A));
        Assert.Equal(before, WithIds(restored));
    }

    [Fact]
    public void Snapshot_should_keep_the_version_of_persistent()
    {
        // Given a subtree whose root was deleted and created again, so /persistent changed twice
        var state = Worked();
        Do(state, A, Delete(Mount));
        Do(state, A, InsertMount());
        var persistent = Assert.Single(Find(state, "", FixedRootId));

        // When it is restored from its snapshot
        var restored = Restored(state);

        // Then /persistent, as the subtree sees it, has the same version
        Assert.Equal(persistent, Assert.Single(Find(restored, "", FixedRootId)));

        // And the next change to it is recorded alike
        Do(state, B, Delete(Mount));
        Do(restored, B, Delete(Mount));
        Assert.Equal(Dump(state), Dump(restored));
    }

    [Fact]
    public void Snapshot_of_a_restored_state_should_equal_the_original_snapshot()
    {
        var state = Worked();
        var once = Restored(state);
        var twice = Restored(once);
        Assert.Equal(Dump(state.ToSnapshot()), Dump(twice.ToSnapshot()));
        Do(state, C, Set(Mount + "/net", ("x", V(1))));
        Do(twice, C, Set(Mount + "/net", ("x", V(1))));
        Assert.Equal(Dump(state), Dump(twice));
    }
}
