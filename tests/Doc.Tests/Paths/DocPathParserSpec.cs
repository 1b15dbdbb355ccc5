using Caiman.Doc.Paths;
using CsCheck;
using Xunit;

namespace Caiman.Doc.Tests.Paths;

public sealed class DocPathParserSpec
{
    private static DocPath Parsed(string text)
    {
        Assert.True(DocPathParser.TryParse(text, out var path, out var error), error?.ToString());
        Assert.Equal(text, path.Text);
        return path;
    }

    private static PathSyntaxError Rejected(string text)
    {
        Assert.False(DocPathParser.TryParse(text, out var path, out var error), $"'{text}' parsed as {path}");
        Assert.Equal(text, error.Path);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason));
        return error;
    }

    private static void AssertSegment(PathSegment segment, PathAxis axis, string? name, int position,
        string? kind = null, int? count = null, int? depth = null)
    {
        Assert.Equal(new PathSegment(axis, name, kind, count, depth, position), segment);
    }

    [Fact]
    public void Parser_should_read_a_single_slash_as_all_children_of_the_root()
    {
        var path = Parsed("/");
        AssertSegment(Assert.Single(path.Segments), PathAxis.Child, null, 0);
        Assert.Null(path.Property);
    }

    [Fact]
    public void Parser_should_read_a_double_slash_as_all_descendants()
    {
        var path = Parsed("//");
        AssertSegment(Assert.Single(path.Segments), PathAxis.Descendant, null, 0);
        Assert.Null(path.Property);
    }

    [Fact]
    public void Parser_should_read_a_named_child()
    {
        var path = Parsed("/persistent");
        AssertSegment(Assert.Single(path.Segments), PathAxis.Child, "persistent", 0);
        Assert.Null(path.Property);
    }

    [Fact]
    public void Parser_should_read_descendant_steps_with_constraints_and_a_property()
    {
        var path = Parsed("/persistent/target//[@Disk#2].name");
        Assert.Equal(3, path.Segments.Length);
        AssertSegment(path.Segments[0], PathAxis.Child, "persistent", 0);
        AssertSegment(path.Segments[1], PathAxis.Child, "target", 11);
        AssertSegment(path.Segments[2], PathAxis.Descendant, null, 18, kind: "Disk", count: 2);
        Assert.Equal("name", path.Property);
    }

    [Fact]
    public void Parser_should_decode_an_escaped_slash_in_a_name()
    {
        var path = Parsed("/a%2Fb");
        AssertSegment(Assert.Single(path.Segments), PathAxis.Child, "a/b", 0);
    }

    [Fact]
    public void Parser_should_read_a_max_count()
    {
        var path = Parsed("/name[#1]");
        AssertSegment(Assert.Single(path.Segments), PathAxis.Child, "name", 0, count: 1);
    }

    [Fact]
    public void Parser_should_read_a_kind_and_max_depth_on_a_descendant_step()
    {
        var path = Parsed("//[@Thing?2]");
        AssertSegment(Assert.Single(path.Segments), PathAxis.Descendant, null, 0, kind: "Thing", depth: 2);
    }

    [Fact]
    public void Parser_should_read_a_trailing_property()
    {
        var path = Parsed("/persistent/build.dir");
        Assert.Equal(2, path.Segments.Length);
        AssertSegment(path.Segments[0], PathAxis.Child, "persistent", 0);
        AssertSegment(path.Segments[1], PathAxis.Child, "build", 11);
        Assert.Equal("dir", path.Property);
    }

    [Fact]
    public void Parser_should_ignore_a_trailing_slash_after_a_step_as_the_original_did()
    {
        // The 2010 DOC's find_path read '/child_1/' as '/child_1'; '/' alone is still the root's children.
        var path = Parsed("/a/");
        AssertSegment(Assert.Single(path.Segments), PathAxis.Child, "a", 0);
        AssertSegment(Assert.Single(Parsed("/").Segments), PathAxis.Child, null, 0);
        Assert.Equal(2, Parsed("/a//").Segments.Length);
    }

    [Theory]
    [InlineData("/a/b-c_d~", true)]
    [InlineData("/", false)]
    [InlineData("/a/", false)]
    [InlineData("/a.p", false)]
    [InlineData("/a[@K]", false)]
    [InlineData("//a", false)]
    [InlineData("/a%2Fb", false)]
    public void Parser_should_say_when_the_text_is_the_canonical_path_of_what_it_names(string text, bool canonical)
    {
        Assert.Equal(canonical, Parsed(text).IsCanonical);
    }

    [Fact]
    public void Parser_should_read_max_depth_zero_as_unlimited()
    {
        AssertSegment(Assert.Single(Parsed("//a[?0]").Segments), PathAxis.Descendant, "a", 0);
        Assert.Equal("duplicate '?' (max depth) constraint", Rejected("//a[?0?1]").Reason);
    }

    [Fact]
    public void Parser_should_gather_constraints_split_over_brackets()
    {
        var path = Parsed("//a[@K][#1][?2].p");
        AssertSegment(Assert.Single(path.Segments), PathAxis.Descendant, "a", 0, kind: "K", count: 1, depth: 2);
        Assert.Equal("p", path.Property);
        var duplicate = Rejected("/a[#1][#2]");
        Assert.Equal((7, "duplicate '#' (max count) constraint"), (duplicate.Position, duplicate.Reason));
    }

    [Fact]
    public void Parser_should_mix_child_and_descendant_steps()
    {
        var path = Parsed("/a//b/c");
        Assert.Equal(3, path.Segments.Length);
        AssertSegment(path.Segments[0], PathAxis.Child, "a", 0);
        AssertSegment(path.Segments[1], PathAxis.Descendant, "b", 2);
        AssertSegment(path.Segments[2], PathAxis.Child, "c", 5);
    }

    [Fact]
    public void Parser_should_allow_a_property_on_the_children_of_the_root()
    {
        var path = Parsed("/.name");
        AssertSegment(Assert.Single(path.Segments), PathAxis.Child, null, 0);
        Assert.Equal("name", path.Property);
    }

    [Fact]
    public void Parser_should_allow_a_property_after_constraints()
    {
        var path = Parsed("//[@Disk].name");
        AssertSegment(Assert.Single(path.Segments), PathAxis.Descendant, null, 0, kind: "Disk");
        Assert.Equal("name", path.Property);
    }

    [Theory]
    [InlineData("/a[@Disk#2]")]
    [InlineData("/a[#2@Disk]")]
    public void Parser_should_accept_constraints_in_any_order(string text)
    {
        AssertSegment(Assert.Single(Parsed(text).Segments), PathAxis.Child, "a", 0, kind: "Disk", count: 2);
    }

    [Fact]
    public void Parser_should_accept_all_three_constraints_on_a_descendant_step()
    {
        var path = Parsed("/x//d[?3#4@solaris_install.target.Disk]");
        AssertSegment(path.Segments[1], PathAxis.Descendant, "d", 2, kind: "solaris_install.target.Disk", count: 4, depth: 3);
    }

    [Fact]
    public void Parser_should_decode_escapes_in_names_and_properties()
    {
        var path = Parsed("/rpool%2Edata/%5Bx%5D%40y.a%2Eb");
        Assert.Equal(new[] { "rpool.data", "[x]@y" }, path.Segments.Select(s => s.Name));
        Assert.Equal("a.b", path.Property);
    }

    [Fact]
    public void Parser_should_decode_utf8_escapes_and_keep_literal_unicode_and_spaces()
    {
        var path = Parsed("/caf%C3%A9/na\u00efve name/%F0%9F%92%BE");
        Assert.Equal(new[] { "caf\u00e9", "na\u00efve name", "\U0001F4BE" }, path.Segments.Select(s => s.Name));
    }

    [Fact]
    public void Parser_should_accept_large_counts_up_to_int_max()
    {
        Assert.Equal(int.MaxValue, Assert.Single(Parsed("/a[#2147483647]").Segments).MaxCount);
    }

    [Fact]
    public void Parse_should_return_the_same_path_as_try_parse()
    {
        var path = DocPathParser.Parse("/persistent/target//[@Disk#2].name");
        Assert.Equal(Parsed("/persistent/target//[@Disk#2].name"), path);
        Assert.Equal("/persistent/target//[@Disk#2].name", path.ToString());
    }

    [Theory]
    [InlineData("persistent", 0)]
    [InlineData("", 0)]
    [InlineData("a/b", 0)]
    [InlineData("/a[#0]", 4)]
    [InlineData("/a[?2]", 3)]
    [InlineData("/a[@]", 4)]
    [InlineData("/a[@1bad]", 4)]
    [InlineData("/a[#2", 2)]
    [InlineData("/a[", 2)]
    [InlineData("/a[@Disk", 2)]
    [InlineData("/a.", 3)]
    [InlineData("/a./x", 3)]
    [InlineData("/a.b/c", 4)]
    [InlineData("/a.b[#1]", 4)]
    [InlineData("/a.b.c", 4)]
    [InlineData("/a%zz", 2)]
    [InlineData("/a%G1", 2)]
    [InlineData("/a%4", 2)]
    [InlineData("/a%4/b", 2)]
    [InlineData("/a.b%2", 4)]
    [InlineData("/a[x]", 3)]
    [InlineData("/a[#1#2]", 5)]
    [InlineData("/a[@A@B]", 5)]
    [InlineData("//a[?1?2]", 6)]
    [InlineData("/a[ #1]", 3)]
    [InlineData("/a[#1 ]", 5)]
    [InlineData("/a[@Di sk]", 6)]
    [InlineData("///a", 2)]
    [InlineData("/a///b", 4)]
    [InlineData("/a[]", 3)]
    [InlineData("/a[#]", 4)]
    [InlineData("/a[#-1]", 4)]
    [InlineData("/a[?]", 3)]
    [InlineData("//a[?-1]", 5)]
    [InlineData("/a[#99999999999]", 4)]
    [InlineData("/a[#1][]", 7)]
    [InlineData("/a[#1]b", 6)]
    [InlineData("/a]", 2)]
    [InlineData("/a/b%C3", 4)]
    [InlineData("/a/%C3%28", 3)]
    [InlineData("/a\tb", 1)]
    public void Parser_should_reject_malformed_paths_at_the_offending_position(string text, int position)
    {
        Assert.Equal(position, Rejected(text).Position);
    }

    [Fact]
    public void Parser_should_require_a_leading_slash()
    {
        Assert.Equal("a path must start with '/'", Rejected("persistent").Reason);
    }

    [Fact]
    public void Parser_should_reject_max_depth_on_child_step()
    {
        var error = Rejected("/a[?2]");
        Assert.Equal(3, error.Position);
        Assert.Equal("'?' (max depth) is only allowed on a '//' step", error.Reason);
    }

    [Fact]
    public void Parser_should_say_a_number_is_expected_after_hash()
    {
        Assert.Equal("expected a number after '#'", Rejected("/a[#]").Reason);
    }

    [Fact]
    public void Parser_should_report_an_unterminated_bracket()
    {
        Assert.Equal("unterminated '[' (missing ']')", Rejected("/a[#2").Reason);
    }

    [Fact]
    public void Parser_should_reject_an_invalid_kind_with_the_kind_rule()
    {
        Assert.Contains("must start with a letter", Rejected("/a[@1bad]").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parser_should_reject_a_name_that_is_too_long()
    {
        var error = Rejected("/ok/" + new string('n', 300));
        Assert.Equal(4, error.Position);
    }

    [Fact]
    public void Parse_should_throw_a_format_exception_carrying_the_error()
    {
        var ex = Assert.Throws<DocPathException>(() => DocPathParser.Parse("/a[?2]"));
        Assert.IsAssignableFrom<FormatException>(ex);
        Assert.Equal(3, ex.Error.Position);
        Assert.Equal(ex.Error.ToString(), ex.Message);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("a.b", "a%2Eb")]
    [InlineData("[x]", "%5Bx%5D")]
    [InlineData("50%", "50%25")]
    [InlineData("a b", "a%20b")]
    [InlineData("@#?", "%40%23%3F")]
    [InlineData("caf\u00e9", "caf%C3%A9")]
    [InlineData("Disk-1_x~", "Disk-1_x~")]
    public void EncodeName_should_percent_encode_everything_but_unreserved_characters(string name, string encoded)
    {
        Assert.Equal(encoded, DocPathParser.EncodeName(name));
        Assert.Equal(name, DocPathParser.DecodeName(encoded));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("rpool.data")]
    [InlineData("[weird]")]
    [InlineData("100%")]
    [InlineData("with spaces ")]
    [InlineData("\u00fcnic\u00f8de \u65e5\u672c \U0001F4BE")]
    [InlineData("%2F")]
    [InlineData("a.b/c[d]%e f")]
    public void EncodeName_should_round_trip_through_decode_and_the_parser(string name)
    {
        var encoded = DocPathParser.EncodeName(name);
        Assert.Equal(name, DocPathParser.DecodeName(encoded));
        var path = Parsed("/" + encoded + "." + encoded);
        Assert.Equal(name, Assert.Single(path.Segments).Name);
        Assert.Equal(name, path.Property);
    }

    [Fact]
    public void EncodeName_should_round_trip_any_valid_string()
    {
        Gen.String.Where(s => !HasLoneSurrogate(s)).Sample(name =>
            DocPathParser.DecodeName(DocPathParser.EncodeName(name)) == name);
    }

    [Fact]
    public void EncodeName_should_reject_a_lone_surrogate()
    {
        Assert.Throws<ArgumentException>(() => DocPathParser.EncodeName("a\ud800b"));
    }

    [Fact]
    public void DecodeName_should_keep_literal_characters_and_lowercase_hex()
    {
        Assert.Equal("a b/c", DocPathParser.DecodeName("a b%2fc"));
    }

    [Theory]
    [InlineData("%", 0)]
    [InlineData("ab%4", 2)]
    [InlineData("x%G1", 1)]
    [InlineData("%FF", 0)]
    public void DecodeName_should_reject_malformed_escapes_at_their_position(string encoded, int position)
    {
        var ex = Assert.Throws<DocPathException>(() => DocPathParser.DecodeName(encoded));
        Assert.Equal(position, ex.Error.Position);
    }

    [Theory]
    [InlineData("", "persistent", "/persistent")]
    [InlineData("/", "persistent", "/persistent")]
    [InlineData("/persistent", "target", "/persistent/target")]
    [InlineData("/persistent", "a/b.c", "/persistent/a%2Fb%2Ec")]
    public void ChildPath_should_append_the_encoded_name(string parent, string child, string expected)
    {
        Assert.Equal(expected, DocPathParser.ChildPath(parent, child));
    }

    [Fact]
    public void ChildPath_should_build_paths_that_parse_back_to_the_names()
    {
        var path = DocPathParser.ChildPath(DocPathParser.ChildPath("", "disk.0"), "slice/1 [a]");
        Assert.Equal(new[] { "disk.0", "slice/1 [a]" }, Parsed(path).Segments.Select(s => s.Name));
    }

    [Fact]
    public void ChildPath_should_reject_an_invalid_name_or_parent()
    {
        Assert.Throws<ArgumentException>(() => DocPathParser.ChildPath("/a", ""));
        Assert.Throws<ArgumentException>(() => DocPathParser.ChildPath("a", "b"));
    }

    private static bool HasLoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i])) return true;
        }
        return false;
    }
}
