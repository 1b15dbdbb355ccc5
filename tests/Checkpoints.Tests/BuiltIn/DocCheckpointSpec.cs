using Caiman.Checkpoints.BuiltIn;
using Caiman.Checkpoints.Testing;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;

namespace Caiman.Checkpoints.Tests.BuiltIn;

/// <summary>The <c>doc</c> checkpoint inserts nodes and sets properties from the pipeline file.</summary>
public sealed class DocCheckpointSpec : IAsyncLifetime
{
    private readonly CheckpointTestKit _kit = new("doc-run");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Fact]
    public async Task Doc_checkpoint_should_insert_a_node_with_its_kind_properties_and_children_at_any_depth()
    {
        var result = await _kit.RunAsync("doc", _kit.Args("""
            { "insert": [ { "parent": "/persistent", "name": "build", "kind": "Build",
                            "properties": { "dir": "out", "arch": "x86" },
                            "children": [ { "name": "x86", "properties": { "cc": "gcc" },
                                            "children": [ { "name": "flags" } ] } ] } ] }
            """));

        result.EnsureCompleted();
        var build = await _kit.Doc.GetAsync("/persistent/build", QueryShape.Subtree);
        Assert.Equal(("Build", DocValue.From("out"), DocValue.From("x86")), (build.Kind, build["dir"], build["arch"]));
        var x86 = Assert.Single(build.Children);
        Assert.Equal(("x86", DocNames.DefaultKind, DocValue.From("gcc")), (x86.Name, x86.Kind, x86["cc"]));
        Assert.Equal("flags", Assert.Single(x86.Children).Name);
        Assert.Equal(["/persistent/build", "/persistent/build/x86", "/persistent/build/x86/flags"], result.ChangedPaths);
    }

    [Fact]
    public async Task Doc_checkpoint_should_keep_property_values_as_strings_even_when_they_look_like_numbers()
    {
        // HOCON `version = 1.10` and `jobs = 4` arrive as text, and stay text.
        var result = await _kit.RunAsync("doc", _kit.Args(new
        {
            insert = new[] { new { parent = "/volatile", name = "tool", properties = new { version = 1.10m, jobs = 4, debug = false } } },
        }));

        result.EnsureCompleted();
        var tool = await _kit.GetAsync("/volatile/tool");
        Assert.Equal((DocValue.From("1.10"), DocValue.From("4"), DocValue.From("false")), (tool["version"], tool["jobs"], tool["debug"]));
    }

    [Fact]
    public async Task Doc_checkpoint_should_read_values_under_json_as_typed_json()
    {
        var result = await _kit.RunAsync("doc", _kit.Args("""
            { "insert": { "parent": "/volatile", "name": "tool",
                          "json": { "jobs": "4", "ratio": "0.5", "debug": "false", "name": "\"1.10\"",
                                    "tags": "[\"a\", \"b\"]", "limits": { "cpu": "2", "note": "null" } } } }
            """));

        result.EnsureCompleted();
        var tool = await _kit.GetAsync("/volatile/tool");
        Assert.Equal(DocValue.From(4), tool["jobs"]);
        Assert.Equal(new DocValue.Number(0.5), tool["ratio"]);
        Assert.Equal(DocValue.From(false), tool["debug"]);
        Assert.Equal(DocValue.From("1.10"), tool["name"]);
        Assert.Equal(new DocValue.Array([DocValue.From("a"), DocValue.From("b")]), tool["tags"]);
        Assert.Equal(new DocValue.Object(PropertyMap.Of(("cpu", DocValue.From(2)), ("note", DocValue.Null.Instance))), tool["limits"]);
    }

    [Fact]
    public async Task Doc_checkpoint_should_apply_inserts_before_sets_and_fill_references_from_the_doc()
    {
        // Given sets listed before the inserts they depend on, and a DOC value they refer to
        await _kit.Doc.InsertAsync("/volatile", new NewNode("cfg", properties: PropertyMap.Of(("target", DocValue.From("image")))));

        // When the checkpoint runs
        var result = await _kit.RunAsync("doc", _kit.Args("""
            { "set": [ { "path": "/persistent/%{/volatile/cfg.target}", "properties": { "stamp": "%{/persistent/image.arch}-1" },
                         "json": { "count": "%{/persistent/image.n}" } } ],
              "insert": [ { "parent": "/persistent", "name": "%{/volatile/cfg.target}", "properties": { "arch": "x86", "n": "41", "raw": "100%%{x}" } } ] }
            """));

        // Then the insert ran first and every reference was filled, typed where json asked
        result.EnsureCompleted();
        var image = await _kit.GetAsync("/persistent/image");
        Assert.Equal(DocValue.From("x86-1"), image["stamp"]);
        Assert.Equal(DocValue.From(41), image["count"]);
        Assert.Equal(DocValue.From("100%{x}"), image["raw"]);
    }

    [Fact]
    public async Task Doc_checkpoint_should_apply_entries_in_file_order_each_as_its_own_batch()
    {
        // When the second of three inserts is refused by the DOC
        var result = await _kit.RunAsync("doc", _kit.Args("""
            { "insert": [ { "parent": "/volatile", "name": "first" },
                          { "parent": "/volatile/missing", "name": "second" },
                          { "parent": "/volatile", "name": "third" } ] }
            """));

        // Then the first stands, the third never ran, and the failure names the entry
        Assert.Equal(CheckpointOutcome.Failed, result.Outcome);
        var failure = Assert.IsType<DocCheckpointException>(result.Exception);
        Assert.Equal("insert[1]", failure.Entry);
        Assert.IsType<DocException>(failure.InnerException);
        Assert.Equal(["/volatile/first"], result.ChangedPaths);
        Assert.Null(await _kit.TryGetAsync("/volatile/third"));
        Assert.Equal([33.0], result.Progress.Select(p => Math.Round(p.Percent)));
    }

    [Fact]
    public async Task Doc_checkpoint_should_fail_naming_the_entry_when_json_filled_from_the_doc_is_not_json()
    {
        await _kit.Doc.InsertAsync("/volatile", new NewNode("cfg", properties: PropertyMap.Of(("word", DocValue.From("abc")))));

        var result = await _kit.RunAsync("doc", _kit.Args("""{ "set": { "path": "/volatile/cfg", "json": { "n": "%{/volatile/cfg.word}" } } }"""));

        Assert.Equal(CheckpointOutcome.Failed, result.Outcome);
        Assert.Equal("set[0].json.n", Assert.IsType<DocCheckpointException>(result.Exception).Entry);
        Assert.Empty(result.Changes);
    }

    [Fact]
    public async Task Doc_checkpoint_should_still_write_the_doc_in_a_dry_run()
    {
        var result = await _kit.RunAsync("doc", _kit.Args("""{ "insert": { "parent": "/persistent", "name": "seed" } }"""), dryRun: true);

        result.EnsureCompleted();
        Assert.Equal(["/persistent/seed"], result.ChangedPaths);
    }

    [Fact]
    public async Task Doc_checkpoint_should_report_progress_and_log_each_entry()
    {
        await _kit.Doc.InsertAsync("/volatile", new NewNode("a"));

        var result = await _kit.RunAsync("doc", _kit.Args("""
            { "insert": { "parent": "/volatile", "name": "b" }, "set": { "path": "/volatile/a", "properties": { "k": "v" } } }
            """));

        result.EnsureCompleted();
        Assert.Equal([50.0, 100.0], result.Progress.Select(p => Math.Round(p.Percent)));
        Assert.Collection(result.Log,
            line => Assert.Contains("insert[0]: inserted b", line.Message),
            line => Assert.Contains("set[0]: set k on /volatile/a", line.Message));
    }

    [Fact]
    public void Doc_checkpoint_should_estimate_one_second()
    {
        var checkpoint = new DocCheckpointType().Create(CheckpointArgs.FromJson("""{ "set": { "path": "/volatile/a", "properties": { "k": "v" } } }"""));

        Assert.Equal(TimeSpan.FromSeconds(1), checkpoint.Estimate);
    }
}

/// <summary>Validation of a <c>doc</c> checkpoint names every bad entry by key and index.</summary>
public sealed class DocCheckpointValidationSpec
{
    private static IReadOnlyList<string> Validate(string json) => new DocCheckpointType().Validate(CheckpointArgs.FromJson(json));

    [Fact]
    public void Validate_should_accept_good_args()
    {
        Assert.Empty(Validate("""
            { "insert": [ { "parent": "/persistent", "name": "build", "kind": "Build", "properties": { "dir": "out" },
                            "json": { "n": "4" }, "children": [ { "name": "c", "kind": "C" } ] } ],
              "set": [ { "path": "/persistent/build", "properties": { "stamp": "%{/persistent/build.dir}-1" } } ] }
            """));
    }

    [Fact]
    public void Validate_should_name_each_missing_key_with_its_entry_index()
    {
        var problems = Validate("""
            { "insert": [ { "parent": "/persistent", "name": "ok" }, { "name": "orphan" }, { "parent": "/volatile", "children": [ { "kind": "K" } ] } ],
              "set": [ { "properties": { "a": "b" } }, { "path": "/volatile/x" } ] }
            """);

        Assert.Equal(
        [
            "insert[1].parent is required",
            "insert[2].name is required",
            "insert[2].children[0].name is required",
            "set[0].path is required",
            "set[1] needs properties or json (the values to set)",
        ], problems);
    }

    [Fact]
    public void Validate_should_refuse_values_and_names_of_the_wrong_shape()
    {
        var problems = Validate("""
            { "insert": [ { "parent": "persistent", "name": "a", "kind": "9bad", "properties": { "list": ["x"] }, "json": { "n": "{oops" } },
                          { "parent": "/volatile", "name": "b", "properties": { "p": "%{/unclosed" }, "colour": "red" },
                          "not an object" ],
              "set": { "path": "/volatile/b.prop", "properties": "text" } }
            """);

        Assert.Collection(problems,
            p => Assert.Equal("insert[2] must be an object { ... }, not 'not an object'", p),
            p => Assert.Equal("insert[0].parent must be an absolute DOC path (starting with /), not 'persistent'", p),
            p => Assert.StartsWith("insert[0].kind: kind '9bad' must start with a letter", p),
            p => Assert.Equal("insert[0].properties.list must be a single value, not a list (use json for typed values)", p),
            p => Assert.StartsWith("insert[0].json.n is not JSON text", p),
            p => Assert.StartsWith("insert[1].colour is not a key of a doc checkpoint entry", p),
            p => Assert.StartsWith("insert[1].properties.p: invalid path", p),
            p => Assert.Equal("set[0].path must name a node, not a property ('.prop')", p),
            p => Assert.Equal("set[0].properties must be an object of name = value pairs, not 'text'", p));
    }

    [Theory]
    [InlineData("""{ "insert": { "parent": "/elsewhere", "name": "a" } }""",
        "insert[0].parent '/elsewhere' is not under /persistent or /volatile, the only children of the DOC root, so it can never match a node")]
    [InlineData("""{ "insert": { "parent": "/target/disks", "name": "a" } }""",
        "insert[0].parent '/target/disks' is not under /persistent or /volatile, the only children of the DOC root, so it can never match a node")]
    [InlineData("""{ "insert": { "parent": "/[@Disk]/x", "name": "a" } }""",
        "insert[0].parent '/[@Disk]/x' can never match a node: the first step is a child of the DOC root, whose children /persistent and /volatile are of kind DocRoot, not Disk")]
    [InlineData("""{ "insert": { "parent": "/", "name": "a" } }""",
        "insert[0].parent '/' always matches both /persistent and /volatile, never one node: name the node (or add #1)")]
    [InlineData("""{ "insert": { "parent": "//", "name": "a" } }""",
        "insert[0].parent '//' always matches both /persistent and /volatile, never one node: name the node (or add #1)")]
    [InlineData("""{ "set": { "path": "/volatile", "properties": { "a": "b" } } }""",
        "set[0].path '/volatile' names /persistent or /volatile, which have no properties: name a node under them")]
    [InlineData("""{ "insert": { "parent": "persistent/%{/volatile/x.name}", "name": "a" } }""",
        "insert[0].parent 'persistent/%{/volatile/x.name}' must be an absolute DOC path: it must start with /")]
    [InlineData("""{ "insert": { "parent": "/scratch/%{/volatile/x.name}", "name": "a" } }""",
        "insert[0].parent '/scratch/%{/volatile/x.name}' is not under /persistent or /volatile, the only children of the DOC root, so it can never match a node")]
    [InlineData("""{ "set": { "path": "/volatile/a", "json": { "n": "1e999" } } }""",
        "set[0].json.n is not JSON text: the number 1e999 is too large for the DOC, which holds numbers up to about 1.8e308")]
    [InlineData("""{ "set": { "path": "/volatile/a", "json": { "n": "[1, {\"x\": -1e400}]" } } }""",
        "set[0].json.n is not JSON text: the number -1e400 is too large for the DOC, which holds numbers up to about 1.8e308")]
    [InlineData("""{ "set": { "path": "/volatile/a", "json": { "n": "NaN" } } }""",
        "set[0].json.n is not JSON text: 'N' is an invalid start of a value. LineNumber: 0 | BytePositionInLine: 0.")]
    [InlineData("""{ "set": { "path": "/volatile/a", "json": { "n": 1e999 } } }""",
        "set[0].json.n: the number 1e999 is too large for the DOC, which holds numbers up to about 1.8e308")]
    public void Validate_should_refuse_what_the_doc_would_refuse_at_run_time(string json, string problem) =>
        Assert.Equal([problem], Validate(json));

    [Theory]
    [InlineData("/persistent/%{/volatile/x.name}")]
    [InlineData("%{/volatile/where}")]
    [InlineData("/%{/volatile/root}/x")]
    [InlineData("//[@Disk#1]")]
    [InlineData("/[#1]")]
    [InlineData("/volatile/")]
    [InlineData("/%70ersistent/x")]
    public void Validate_should_accept_paths_that_can_name_one_node(string parent) =>
        Assert.Empty(Validate($$"""{ "insert": { "parent": "{{parent}}", "name": "a" }, "set": { "path": "{{parent}}/a", "properties": { "p": "v" } } }"""));

    [Fact]
    public void Validate_should_refuse_args_that_do_nothing_or_have_unknown_keys()
    {
        Assert.Equal(["a doc checkpoint needs insert or set (or both)"], Validate("{}"));
        Assert.Equal(
            ["inserts is not a key of a doc checkpoint (known: insert, set)", "a doc checkpoint needs insert or set (or both)"],
            Validate("""{ "inserts": [] }"""));
    }

    [Fact]
    public void Validate_should_refuse_a_property_given_both_as_text_and_as_json()
    {
        var problems = Validate("""{ "set": { "path": "/volatile/a", "properties": { "n": "1" }, "json": { "n": "1" } } }""");

        Assert.Equal(["set[0].json.n is given twice (in properties and in json)"], problems);
    }

    [Fact]
    public async Task Kit_should_refuse_to_run_a_doc_checkpoint_with_invalid_args()
    {
        await using var kit = new CheckpointTestKit();

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => kit.RunAsync("doc", kit.Args("""{ "insert": [ {} ] }""")));

        Assert.Contains("insert[0].parent is required", refused.Message);
        Assert.Contains("insert[0].name is required", refused.Message);
    }
}
