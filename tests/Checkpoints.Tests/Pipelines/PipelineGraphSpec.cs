using Caiman.Checkpoints.Pipelines;

namespace Caiman.Checkpoints.Tests.Pipelines;

/// <summary>The dependency graph answers who runs after whom, directly or not, and how long the longest chain takes.</summary>
public sealed class PipelineGraphSpec
{
    // prepare -> build-x86 -> package -> publish
    //         -> build-arm ->
    // docs (alone)
    private static PipelineGraph Diamond() => new(
    [
        ("prepare", []),
        ("build-x86", ["prepare"]),
        ("build-arm", ["prepare"]),
        ("docs", []),
        ("package", ["build-arm", "build-x86"]),
        ("publish", ["package"]),
    ]);

    [Fact]
    public void Graph_should_list_names_and_direct_neighbours_in_file_order()
    {
        // Given the diamond
        var graph = Diamond();

        // Then names, dependencies and dependents come in file order
        Assert.Equal(["prepare", "build-x86", "build-arm", "docs", "package", "publish"], graph.Names);
        Assert.Equal(["build-x86", "build-arm"], graph.DependenciesOf("package"));
        Assert.Equal(["build-x86", "build-arm"], graph.DependentsOf("prepare"));
        Assert.Empty(graph.DependenciesOf("prepare"));
        Assert.Empty(graph.DependentsOf("publish"));
    }

    [Fact]
    public void Graph_should_give_transitive_closures_without_the_checkpoint_itself()
    {
        var graph = Diamond();

        Assert.Equal(["build-x86", "build-arm", "package", "publish"], graph.TransitiveDependents("prepare"));
        Assert.Equal(["publish"], graph.TransitiveDependents("package"));
        Assert.Empty(graph.TransitiveDependents("docs"));
        Assert.Equal(["prepare", "build-x86", "build-arm", "package"], graph.TransitiveDependencies("publish"));
        Assert.Equal(["prepare"], graph.TransitiveDependencies("build-arm"));
    }

    [Fact]
    public void Graph_should_tell_whether_two_checkpoints_are_ordered()
    {
        var graph = Diamond();

        Assert.True(graph.AreOrdered("prepare", "publish"));
        Assert.True(graph.AreOrdered("publish", "prepare"));
        Assert.True(graph.AreOrdered("build-arm", "package"));
        Assert.True(graph.AreOrdered("docs", "docs"));
        Assert.False(graph.AreOrdered("build-x86", "build-arm"));
        Assert.False(graph.AreOrdered("docs", "package"));
    }

    [Fact]
    public void Graph_should_order_dependencies_first_and_otherwise_keep_file_order()
    {
        // Given a file where an entry names a later one in its after
        var graph = new PipelineGraph([("late", ["early"]), ("other", []), ("early", [])]);

        // Then dependencies come first, ties in file order
        Assert.Equal(["other", "early", "late"], graph.TopologicalOrder);
        Assert.Equal(["prepare", "build-x86", "build-arm", "docs", "package", "publish"], Diamond().TopologicalOrder);
    }

    [Fact]
    public void Graph_should_find_the_critical_path()
    {
        // Given weights where the arm build is the slow branch
        var weights = new Dictionary<string, TimeSpan>
        {
            ["prepare"] = TimeSpan.FromSeconds(2),
            ["build-x86"] = TimeSpan.FromSeconds(10),
            ["build-arm"] = TimeSpan.FromSeconds(30),
            ["docs"] = TimeSpan.FromSeconds(20),
            ["package"] = TimeSpan.FromSeconds(5),
            ["publish"] = TimeSpan.FromSeconds(1),
        };

        // When the critical path is asked for
        var (length, path) = Diamond().CriticalPath(name => weights[name]);

        // Then it is the longest chain by total weight
        Assert.Equal(TimeSpan.FromSeconds(38), length);
        Assert.Equal(["prepare", "build-arm", "package", "publish"], path);
    }

    [Fact]
    public void Graph_should_give_an_empty_critical_path_for_an_empty_graph()
    {
        var (length, path) = new PipelineGraph([]).CriticalPath(_ => TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.Zero, length);
        Assert.Empty(path);
    }

    [Fact]
    public void Graph_should_refuse_unknown_names_naming_them()
    {
        var graph = Diamond();

        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() => graph.DependentsOf("nope")).Message);
        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() => graph.AreOrdered("prepare", "nope")).Message);
        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() => graph.TransitiveDependencies("nope")).Message);
        var unknownDependency = Assert.Throws<ArgumentException>(() => new PipelineGraph([("a", ["ghost"])]));
        Assert.Contains("'ghost'", unknownDependency.Message);
        Assert.Contains("'a'", Assert.Throws<ArgumentException>(() => new PipelineGraph([("a", []), ("a", [])])).Message);
    }

    [Fact]
    public void Graph_should_find_each_cycle_once_starting_at_its_first_checkpoint()
    {
        // Given two cycles and a self-dependency
        var graph = new PipelineGraph(
        [
            ("a", ["c"]),
            ("b", ["a"]),
            ("c", ["b"]),
            ("d", []),
            ("e", ["f"]),
            ("f", ["e"]),
            ("g", ["g"]),
        ]);

        // When cycles are looked for
        var cycles = graph.FindCycles();

        // Then each is named once, in the order the checkpoints run
        Assert.Equal(3, cycles.Count);
        Assert.Equal(["a", "b", "c"], cycles[0]);
        Assert.Equal(["e", "f"], cycles[1]);
        Assert.Equal(["g"], cycles[2]);
        Assert.True(graph.HasCycle);
        Assert.Contains("a -> b -> c -> a", Assert.Throws<InvalidOperationException>(() => graph.TopologicalOrder).Message);
        Assert.Throws<InvalidOperationException>(() => graph.AreOrdered("a", "d"));
        Assert.Equal(["b", "c"], graph.TransitiveDependents("a"));
    }

    [Fact]
    public void Graph_should_build_from_a_pipeline_definition()
    {
        // Given a definition
        var args = CheckpointArgs.Empty;
        var pipeline = new PipelineDefinition("p", null, true, null,
        [
            new CheckpointDefinition("a", "fake", args, []),
            new CheckpointDefinition("b", "fake", args, ["a"]),
        ]);

        // When its graph is built
        var graph = new PipelineGraph(pipeline);

        // Then it has its checkpoints and dependencies
        Assert.Equal(["a", "b"], graph.Names);
        Assert.Equal(["b"], graph.DependentsOf("a"));
        Assert.False(graph.HasCycle);
        Assert.Empty(graph.FindCycles());
    }

    [Fact]
    public void Graph_should_handle_a_chain_of_5000_checkpoints()
    {
        // Given a chain: each checkpoint after the one before
        const int count = 5_000;
        var names = Enumerable.Range(0, count).Select(i => $"c{i}").ToArray();
        var graph = new PipelineGraph(names.Select((name, i) => (name, (IEnumerable<string>)(i == 0 ? [] : [names[i - 1]]))));

        // When every question is asked
        var first = names[0];
        var last = names[^1];

        // Then the answers are those of a chain (and none of them recurses 5,000 deep)
        Assert.True(graph.AreOrdered(first, last));
        Assert.True(graph.AreOrdered(names[1234], names[4321]));
        Assert.Equal(count - 1, graph.TransitiveDependents(first).Count);
        Assert.Equal(count - 1, graph.TransitiveDependencies(last).Count);
        Assert.Equal(names, graph.TopologicalOrder);
        Assert.Empty(graph.FindCycles());
        var (length, path) = graph.CriticalPath(_ => TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(count), length);
        Assert.Equal(count, path.Count);
        var ordered = 0;
        for (var i = 0; i < count; i += 7)
            if (graph.AreOrdered(names[i], names[(i * 31) % count]))
                ordered++;
        Assert.Equal((count + 6) / 7, ordered);
    }

    [Fact]
    public void Graph_should_handle_5000_checkpoints_side_by_side()
    {
        // Given a root, 5,000 checkpoints after it and a sink after all of them
        const int width = 5_000;
        var middle = Enumerable.Range(0, width).Select(i => $"m{i}").ToArray();
        var nodes = new List<(string, IEnumerable<string>)> { ("root", []) };
        nodes.AddRange(middle.Select(m => (m, (IEnumerable<string>)["root"])));
        nodes.Add(("sink", middle));
        var graph = new PipelineGraph(nodes);

        // When every question is asked
        // Then no two middle checkpoints are ordered, and everything is ordered with root and sink
        Assert.False(graph.AreOrdered(middle[0], middle[^1]));
        Assert.True(graph.AreOrdered("root", "sink"));
        var unordered = 0;
        for (var i = 0; i < width; i++)
        {
            if (!graph.AreOrdered(middle[i], middle[(i + 1) % width]))
                unordered++;
            Assert.True(graph.AreOrdered(middle[i], "sink"));
        }
        Assert.Equal(width, unordered);
        Assert.Equal(width + 1, graph.TransitiveDependents("root").Count);
        Assert.Equal(width + 1, graph.TransitiveDependencies("sink").Count);
        Assert.Equal(width, graph.DependentsOf("root").Count);
        Assert.Empty(graph.FindCycles());
        Assert.Equal(3, graph.CriticalPath(_ => TimeSpan.FromSeconds(1)).Path.Count);
        Assert.Equal(["root", .. middle, "sink"], graph.TopologicalOrder);
    }

    [Fact]
    public void Loader_graph_should_agree_with_the_loaded_pipeline()
    {
        // Given a loaded pipeline with the default after rule
        const string text = """
            pipeline {
              checkpoints = [
                { name = a, type = fake, command = x }
                { name = b, type = fake, command = x }
                { name = c, type = fake, command = x, after = [a] }
              ]
            }
            """;
        var pipeline = TestPipelines.Parse(text).Pipeline!;

        // When its graph is built
        var graph = new PipelineGraph(pipeline);

        // Then b and c both follow a and not each other
        Assert.False(graph.AreOrdered("b", "c"));
        Assert.Equal(["b", "c"], graph.TransitiveDependents("a"));
    }
}
