using Caiman.Doc.Paths;
using Xunit;

namespace Caiman.Doc.Tests.Paths;

public sealed class DocTemplateSpec
{
    private static readonly Dictionary<string, string[]> Values = new(StringComparer.Ordinal)
    {
        ["/disk.name"] = ["c0t0d0"],
        ["//[@Disk].name"] = ["c0t0d0", "c1t0d0"],
        ["/quotes.v"] = ["it's", "say \"hi\"", "back\\slash"],
        ["/none.v"] = [],
        ["/empty.v"] = [""],
    };

    private static ValueTask<IReadOnlyList<string>> Resolve(DocPath path) =>
        ValueTask.FromResult<IReadOnlyList<string>>(Values.TryGetValue(path.Text, out var values) ? values : []);

    private static ValueTask<string> Render(string text, TemplateOptions? options = null) =>
        DocTemplate.Parse(text).RenderAsync(Resolve, options);

    private static PathSyntaxError Rejected(string text)
    {
        Assert.False(DocTemplate.TryParse(text, out var template, out var error), $"'{text}' parsed as {template}");
        Assert.Equal(text, error.Path);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason));
        return error;
    }

    [Fact]
    public void Template_should_split_literals_and_references()
    {
        var template = DocTemplate.Parse("format %{/disk.name} now");
        Assert.True(template.HasReferences);
        Assert.Equal("format %{/disk.name} now", template.Text);
        Assert.Collection(template.Parts,
            p => Assert.Equal(new TemplatePart.Literal("format "), p),
            p =>
            {
                var reference = Assert.IsType<TemplatePart.Reference>(p);
                Assert.Equal(7, reference.Position);
                Assert.Equal("/disk.name", reference.Path.Text);
                Assert.Equal("name", reference.Path.Property);
            },
            p => Assert.Equal(new TemplatePart.Literal(" now"), p));
    }

    [Fact]
    public void Template_without_references_should_be_one_literal()
    {
        var template = DocTemplate.Parse("printf %s 100%");
        Assert.False(template.HasReferences);
        Assert.Equal(new TemplatePart.Literal("printf %s 100%"), Assert.Single(template.Parts));
    }

    [Fact]
    public void Template_should_have_no_parts_when_empty()
    {
        var template = DocTemplate.Parse("");
        Assert.Empty(template.Parts);
        Assert.False(template.HasReferences);
    }

    [Fact]
    public void Template_should_compare_by_content()
    {
        Assert.Equal(DocTemplate.Parse("a %{/b} c"), DocTemplate.Parse("a %{/b} c"));
        Assert.NotEqual(DocTemplate.Parse("a %{/b} c"), DocTemplate.Parse("a %{/b} d"));
    }

    [Fact]
    public async Task Template_should_render_values_joined_with_commas_by_default()
    {
        Assert.Equal("disks c0t0d0,c1t0d0!", await Render("disks %{//[@Disk].name}!"));
    }

    [Fact]
    public async Task Template_should_render_with_a_custom_separator()
    {
        Assert.Equal("c0t0d0 c1t0d0", await Render("%{//[@Disk].name}", new TemplateOptions(Separator: " ")));
    }

    [Fact]
    public async Task Template_should_render_adjacent_references()
    {
        Assert.Equal("c0t0d0c0t0d0", await Render("%{/disk.name}%{/disk.name}"));
    }

    [Fact]
    public async Task Template_should_refuse_a_reference_that_matches_nothing_naming_the_template_and_the_path()
    {
        // The 2010 DOC raised ObjectNotFoundError here; an empty value would turn 'rm -rf %{typo}/image' into 'rm -rf /image'.
        var refused = await Assert.ThrowsAsync<Caiman.Doc.Client.DocException>(async () => await Render("rm -rf %{/none.v}/image"));

        var empty = Assert.IsType<Caiman.Doc.Protocol.DocError.TemplatePathEmpty>(refused.Error);
        Assert.Equal(("rm -rf %{/none.v}/image", "/none.v", 7), (empty.Template, empty.Path, empty.Position));
        Assert.Equal("%{/none.v} at position 7 of 'rm -rf %{/none.v}/image' matches nothing in the DOC (write %{?/none.v} where an empty value is meant)", refused.Message);
    }

    [Fact]
    public async Task Template_should_render_an_optional_reference_without_values_as_empty()
    {
        Assert.Equal("[]", await Render("[%{?/none.v}]", new TemplateOptions(Quoting: TemplateQuoting.Shell)));
        Assert.Equal("c0t0d0", await Render("%{?/disk.name}"));
        var reference = Assert.IsType<TemplatePart.Reference>(DocTemplate.Parse("x %{?/disk.name}").Parts[1]);
        Assert.Equal((true, 2, "%{?/disk.name}"), (reference.Optional, reference.Position, reference.Text));
        Assert.Equal(5, Rejected("x %{?disk}").Position);
    }

    [Theory]
    [InlineData(TemplateQuoting.None, "it's|say \"hi\"|back\\slash")]
    [InlineData(TemplateQuoting.Double, "\"it's\"|\"say \\\"hi\\\"\"|\"back\\\\slash\"")]
    [InlineData(TemplateQuoting.Single, "'it''s'|'say \"hi\"'|'back\\slash'")]
    [InlineData(TemplateQuoting.Shell, "'it'\\''s'|'say \"hi\"'|'back\\slash'")]
    public async Task Template_should_quote_each_value(TemplateQuoting quoting, string expected)
    {
        Assert.Equal(expected, await Render("%{/quotes.v}", new TemplateOptions("|", quoting)));
    }

    [Theory]
    [InlineData(TemplateQuoting.None, "x=")]
    [InlineData(TemplateQuoting.Double, "x=\"\"")]
    [InlineData(TemplateQuoting.Single, "x=''")]
    [InlineData(TemplateQuoting.Shell, "x=''")]
    public async Task Template_should_quote_an_empty_value(TemplateQuoting quoting, string expected)
    {
        Assert.Equal(expected, await Render("x=%{/empty.v}", new TemplateOptions(Quoting: quoting)));
    }

    [Fact]
    public async Task Template_should_read_double_percent_brace_as_a_literal()
    {
        var template = DocTemplate.Parse("%%{/disk.name} is %{/disk.name}");
        Assert.Equal(new TemplatePart.Literal("%{/disk.name} is "), template.Parts[0]);
        Assert.Equal("%{/disk.name} is c0t0d0", await template.RenderAsync(Resolve));
    }

    [Fact]
    public async Task Template_should_keep_a_lone_percent()
    {
        Assert.Equal("printf '%s %d' c0t0d0 100%%", await Render("printf '%s %d' %{/disk.name} 100%%"));
    }

    [Fact]
    public async Task Template_should_read_escapes_left_to_right()
    {
        Assert.Equal("%%{/disk.name}", await Render("%%%{/disk.name}"));
    }

    [Fact]
    public async Task Template_should_keep_a_closing_brace_outside_references()
    {
        Assert.Equal("{c0t0d0}", await Render("{%{/disk.name}}"));
    }

    [Fact]
    public async Task Template_should_pass_the_parsed_path_to_the_resolver()
    {
        var seen = new List<DocPath>();
        var template = DocTemplate.Parse("%{/persistent/target//[@Disk#2].name}");
        var text = await template.RenderAsync(path =>
        {
            seen.Add(path);
            return ValueTask.FromResult<IReadOnlyList<string>>(["x"]);
        });
        Assert.Equal("x", text);
        var path = Assert.Single(seen);
        Assert.Equal(3, path.Segments.Length);
        Assert.Equal(2, path.Segments[2].MaxCount);
    }

    [Theory]
    [InlineData("run %{/a", 4)]
    [InlineData("%{", 0)]
    [InlineData("ok %{/a} then %{/b", 14)]
    [InlineData("%{}", 2)]
    [InlineData("x %{persistent}", 4)]
    [InlineData("cmd %{/a[?2]} end", 9)]
    [InlineData("cmd %{/a/b[#0]}", 12)]
    [InlineData("%%{ %{///a}", 8)]
    [InlineData("%{/a.b/c}", 6)]
    public void Template_should_report_errors_at_positions_in_the_whole_template(string text, int position)
    {
        Assert.Equal(position, Rejected(text).Position);
    }

    [Fact]
    public void Template_should_say_a_reference_is_unterminated()
    {
        Assert.Equal("unterminated '%{' (missing '}')", Rejected("run %{/a").Reason);
    }

    [Fact]
    public void Template_should_keep_the_path_reason_for_path_errors()
    {
        Assert.Equal("'?' (max depth) is only allowed on a '//' step", Rejected("cmd %{/a[?2]} end").Reason);
    }

    [Fact]
    public void Template_parse_should_throw_with_the_error()
    {
        var ex = Assert.Throws<DocPathException>(() => DocTemplate.Parse("cmd %{/a[?2]}"));
        Assert.Equal(9, ex.Error.Position);
        Assert.Equal("cmd %{/a[?2]}", ex.Error.Path);
    }
}
