using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Paths;
using Caiman.Doc.Protocol;
using Caiman.Doc.Serialization;
using Caiman.Doc.Tree;
using CsCheck;
using Xunit;

namespace Caiman.Doc.Tests.Paths;

/// <summary>
/// Random and mutated path strings, templates, JSON texts and values: whatever comes in, the DOC
/// answers with one of its documented errors (a <see cref="DocPathException"/> or
/// <see cref="DocException"/> that says where), never anything else, never slowly, and a refused
/// request leaves the DOC exactly as it was.
/// </summary>
public sealed class PathAndValueFuzzSpec
{
    private const string Mount = "/persistent/target";
    private static readonly Writer Writer = new("run-1", "fuzz", 1);

    // Every character the path language gives a meaning to, and some it refuses.
    private static readonly Gen<char> PathChar = Gen.Frequency(
        (8, Gen.Char["/[]@#?.%{}"]),
        (6, Gen.Char["abcDisk019"]),
        (1, Gen.Char["-_~ \t\u0000\u00e9\u65e5"]),
        (1, Gen.Char));

    private static readonly string[] ValidPaths =
    [
        "/", "//", "/persistent", "/persistent/target", "/persistent/target/", "/persistent/target/disk",
        "//[@Disk#2].name", "/persistent/target//[@Disk?2][#1]", "/persistent/target/disk.size",
        "/persistent/target/a%2Fb", "//disk[?0].size", "/volatile//[?1]",
    ];

    private static readonly Gen<string> MutatedPath = Mutated(Gen.OneOf(ValidPaths), PathChar, 40);

    /// <summary>A text with a few characters inserted, deleted or replaced.</summary>
    private static Gen<string> Mutated(Gen<string> valid, Gen<char> chars, int span) =>
        Gen.Select(valid, Gen.Select(Gen.Int[0, 2], Gen.Int[0, span], chars).Array[0, 4], (original, edits) =>
        {
            var text = new StringBuilder(original);
            foreach (var (kind, at, c) in edits)
            {
                var i = Math.Min(at, text.Length);
                if (kind == 0) text.Insert(i, c);
                else if (i < text.Length && kind == 1) text.Remove(i, 1);
                else if (i < text.Length) text[i] = c;
            }
            return text.ToString();
        });

    private static readonly Gen<string> AnyPath = Gen.Frequency(
        (3, MutatedPath),
        (2, Gen.String[PathChar, 0, 24]),
        (1, Gen.String[PathChar, 0, 6].Select(s => "/" + s)));

    /// <summary>Runs <paramref name="action"/> and fails if it takes long: a parser that loops would hang the suite otherwise.</summary>
    private static void Quickly(string input, Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"'{input}' took {clock.Elapsed}");
    }

    [Fact]
    public void Parser_should_accept_or_refuse_any_text_with_a_position_inside_it()
    {
        AnyPath.Sample(text => Quickly(text, () =>
        {
            if (DocPathParser.TryParse(text, out var path, out var error))
            {
                Assert.Equal(text, path.Text);
                return;
            }
            Assert.Equal(text, error.Path);
            Assert.InRange(error.Position, 0, text.Length);
            Assert.False(string.IsNullOrWhiteSpace(error.Reason));
            var thrown = Assert.Throws<DocPathException>(() => DocPathParser.Parse(text));
            Assert.Equal(error, thrown.Error);
        }), iter: 20_000);
    }

    [Fact]
    public void Template_should_parse_and_render_any_text_or_refuse_it_with_a_documented_error()
    {
        var template = Gen.Select(Gen.String[Gen.Char["ab %{}?"], 0, 6], AnyPath, Gen.OneOf("", "?"), Gen.String[Gen.Char["}% x"], 0, 4],
            (before, path, optional, after) => before + "%{" + optional + path + "}" + after);
        Gen.Select(Gen.Frequency((3, template), (1, Gen.String[PathChar, 0, 20])), Gen.Bool).Sample((text, hasValues) => Quickly(text, () =>
        {
            if (!DocTemplate.TryParse(text, out var parsed, out var error))
            {
                Assert.InRange(error.Position, 0, text.Length);
                Assert.Throws<DocPathException>(() => DocTemplate.Parse(text));
                return;
            }
            var render = parsed.RenderAsync(_ => ValueTask.FromResult<IReadOnlyList<string>>(hasValues ? ["v"] : []));
            if (hasValues || !parsed.Parts.OfType<TemplatePart.Reference>().Any(r => !r.Optional))
            {
                Assert.NotNull(render.AsTask().Result);
                return;
            }
            var refused = Assert.Throws<AggregateException>(() => render.AsTask().Result).InnerException;
            var empty = Assert.IsType<DocError.TemplatePathEmpty>(Assert.IsType<DocException>(refused).Error);
            Assert.Equal(text, empty.Template);
            Assert.InRange(empty.Position, 0, text.Length - 1);
        }), iter: 10_000);
    }

    // ---- Against a subtree: refused requests change nothing --------------------------------------

    private static SubtreeState Target()
    {
        var state = new SubtreeState("persistent", "target");
        var error = state.Decide(new Mutate(Writer, [new Mutation.InsertChildren(new NodeId("persistent", 0),
            [new NewNode("target", "Target").WithChildren(
                new NewNode("disk", "Disk", PropertyMap.Of(("size", DocValue.From(1)))),
                new NewNode("disk", "Disk"),
                new NewNode("a/b").WithChildren(new NewNode("c")))],
            InsertPosition.Append.Instance)]), [], []);
        Assert.Null(error);
        return state;
    }

    /// <summary>Everything the subtree holds, undo log and counters included.</summary>
    private static string Dump(SubtreeState state) =>
        Encoding.UTF8.GetString(new DocSerializer(null!).ToBinary(state.ToSnapshot()));

    private static readonly Gen<string> Text = Gen.Frequency(
        (4, Gen.String[Gen.Char.AlphaNumeric, 0, 5]),
        (1, Gen.String[Gen.Char, 0, 5]),
        (1, Gen.OneOf("\ud800", "a\u0001", "", new string('x', 300), "%2F", "🐊")));

    private static readonly Gen<DocValue> Value = Gen.Recursive<DocValue>((depth, self) => Gen.Frequency(
        (3, Gen.Long.Select(DocValue.From)),
        (3, Text.Select(DocValue.From)),
        (1, Gen.Double.Select(d => (DocValue)new DocValue.Number(d))),
        (1, Gen.OneOf<DocValue>(new DocValue.Number(double.NaN), new DocValue.Number(double.PositiveInfinity), new DocValue.String(null!), DocValue.Null.Instance)),
        (depth >= 3 ? 0 : 1, self.Array[0, 3].Select(items => (DocValue)new DocValue.Array([.. items]))),
        (depth >= 3 ? 0 : 1, Gen.Select(Text, self).Array[0, 3].Select(p => (DocValue)new DocValue.Object(PropertyMap.Of(p))))));

    private static readonly Gen<Mutation> AnyMutation = Gen.Frequency(
        (3, Gen.Select(AnyPath, Text, Text, Gen.Select(Text, Value).Array[0, 2],
            (path, name, kind, values) => (Mutation)new Mutation.InsertChildren(path, [new NewNode(name, kind, PropertyMap.Of(values))], InsertPosition.Append.Instance))),
        (3, Gen.Select(AnyPath, Gen.Select(Text, Value).Array[0, 3], (path, values) => (Mutation)new Mutation.SetProperties(path, PropertyMap.Of(values)))),
        (1, AnyPath.Select(path => (Mutation)new Mutation.DeleteNode(path))),
        (1, Gen.Select(AnyPath, Text.Array[0, 2], (path, names) => (Mutation)new Mutation.RemoveProperties(path, [.. names]))),
        (1, Gen.Select(AnyPath, Gen.Bool, (path, errorIfNone) => (Mutation)new Mutation.DeleteChildren(path, "disk", null, errorIfNone))),
        (1, Gen.Select(AnyPath, Text, (path, sibling) => (Mutation)new Mutation.InsertChildren(path, [new NewNode("n")], new InsertPosition.Before(sibling)))));

    [Fact]
    public void Subtree_should_answer_any_path_and_value_with_a_result_or_a_documented_error_and_change_nothing_when_refused()
    {
        Gen.Select(AnyMutation.Array[1, 3], AnyPath).Sample((batch, query) =>
        {
            var state = Target();
            var before = Dump(state);
            Quickly(query, () =>
            {
                var found = state.Find(new Find(query));
                if (found.Error is DocError.InvalidPath invalid) Assert.InRange(invalid.Position, 0, query.Length);
                Assert.Equal(before, Dump(state));
            });

            var events = new List<IDocEvent>();
            DocError? error = null;
            Quickly(string.Join(" ; ", batch), () => error = state.Decide(new Mutate(Writer, [.. batch]), events, []));
            if (error is null) return;
            Assert.Empty(events);
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
            if (error is DocError.InvalidPath invalid) Assert.InRange(invalid.Position, -1, batch.Max(m => m.Target.ToString()!.Length));
            Assert.Equal(before, Dump(state));
        }, iter: 3_000);
    }

    [Theory]
    [InlineData("/persistent/target", true)]
    [InlineData("/persistent/%74arget", false)]
    [InlineData("/persistent/target/disk", true)]
    [InlineData("/persistent/target/%64isk", false)]
    [InlineData("/persistent/target/", false)]
    [InlineData("/persistent/target/disk[#1]", false)]
    [InlineData("/persistent//disk", false)]
    [InlineData("/persistent/target/a%2Fb/c", false)]
    [InlineData("/persistent/target/a%2Fb", false)]
    public void Found_nodes_should_carry_their_canonical_path_however_the_query_was_written(string query, bool canonical)
    {
        var state = Target();

        var found = state.Find(new Find(query));

        Assert.Equal(canonical, DocPathParser.Parse(query).IsCanonical);
        Assert.NotEmpty(found.Nodes);
        var fresh = Target(); // same serials, no path built yet
        Assert.All(found.Nodes, n => Assert.Equal(fresh.PathOf(fresh.TryGetNode(n.Id.Serial, out var node) ? node : null!), n.Path));
        Assert.All(found.Nodes, n => Assert.Equal(n.Path, state.Find(new Find(n.Path)).Nodes.Single(m => m.Id == n.Id).Path));
    }

    // ---- JSON texts: values and imported nodes ------------------------------------------------------

    private static readonly string[] ValidJson =
    [
        """{"name":"disk","kind":"Disk","properties":{"size":1,"ratio":1.5,"tags":["a",null,{"x":true}]},"children":[{"name":"p1"}]}""",
        """{"name":"a%2Fb","properties":{"deep":[[[[1]]]],"s":"\u00e9\ud83d\udc0a"}}""",
    ];

    private static readonly Gen<string> MutatedJson = Mutated(Gen.OneOf(ValidJson), Gen.Char["{}[]\",:0-9.eE-tnul \\x\u0000"], 120);

    [Fact]
    public void Json_values_and_nodes_should_be_read_or_refused_with_their_location()
    {
        MutatedJson.Sample(json => Quickly(json, () =>
        {
            try
            {
                DocJson.ParseValue(json);
            }
            catch (JsonException e)
            {
                // The reader says where (in bytes) it gave up; our own checks say what was wrong.
                Assert.True(e.BytePositionInLine is not null || e.Message.Length > 0, e.Message);
            }

            JsonNode? node;
            try
            {
                node = JsonNode.Parse(json);
            }
            catch (JsonException)
            {
                return; // not JSON at all: System.Text.Json's error, before the DOC sees anything
            }
            NewNode parsed;
            try
            {
                parsed = DocClient.ParseNode(node, "$");
            }
            catch (DocException e)
            {
                var invalid = Assert.IsType<DocError.InvalidDocument>(e.Error);
                Assert.StartsWith("$", invalid.Location, StringComparison.Ordinal);
                return;
            }
            var state = Target();
            var before = Dump(state);
            var error = state.Decide(new Mutate(Writer, [new Mutation.InsertChildren(Mount, [parsed], InsertPosition.Append.Instance)]), [], []);
            if (error is not null) Assert.Equal(before, Dump(state));
        }), iter: 5_000);
    }
}
