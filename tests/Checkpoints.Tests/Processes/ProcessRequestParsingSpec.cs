using Caiman.Checkpoints.Processes;
using Caiman.Doc.Model;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Tests.Processes;

/// <summary>The grammar of <c>::caiman</c> lines, without a process.</summary>
public sealed class ProcessRequestParsingSpec
{
    [Theory]
    [InlineData("::caiman progress 5", true)]
    [InlineData("::caiman\tlog info x", true)]
    [InlineData("::caiman", true)]
    [InlineData("::caimanx progress 5", false)]
    [InlineData(" ::caiman progress 5", false)]
    [InlineData("::CAIMAN progress 5", false)]
    public void Parser_should_take_only_lines_that_start_with_the_prefix_as_requests(string line, bool isRequest) =>
        Assert.Equal(isRequest, ProcessRequest.IsRequest(line));

    [Theory]
    [InlineData("n=10", "10")]
    [InlineData("n=-2.5e3", "-2500.0")]
    [InlineData("n=true", "true")]
    [InlineData("n=null", "null")]
    [InlineData("n=\"quoted \\\"text\\\"\"", "quoted \"text\"")]
    [InlineData("n=[1, \"a ] b\", {\"k\": [2]}]", "[1,\"a ] b\",{\"k\":[2]}]")]
    [InlineData("n=plain", "plain")]
    [InlineData("n=01", "01")]
    [InlineData("n=1.2.3", "1.2.3")]
    [InlineData("n=", "")]
    [InlineData("\"key with spaces\"=1", "1")]
    public void Parser_should_read_json_literals_as_json_and_anything_else_as_a_string(string assignment, string expected)
    {
        var request = Assert.IsType<ProcessRequest.DocSet>(ProcessRequest.Parse("::caiman doc set /persistent/x " + assignment));

        var value = Assert.Single(request.Values).Value;
        Assert.Equal(expected, value.ToText());
    }

    [Fact]
    public void Parser_should_keep_the_json_type_of_a_value()
    {
        var request = Assert.IsType<ProcessRequest.DocSet>(ProcessRequest.Parse("::caiman doc set \"/persistent/a b\" i=3 d=1.5 s=\"3\" b=false"));

        Assert.Equal("/persistent/a b", request.Path);
        Assert.Equal(PropertyMap.Of(("i", new DocValue.Integer(3)), ("d", new DocValue.Number(1.5)), ("s", DocValue.From("3")), ("b", DocValue.From(false))), request.Values);
    }

    [Fact]
    public void Parser_should_read_an_insert_with_its_kind_and_properties()
    {
        var request = Assert.IsType<ProcessRequest.DocInsert>(ProcessRequest.Parse("::caiman doc insert /persistent/target \"disk 2\" kind=Disk size=100"));

        Assert.Equal("/persistent/target", request.Parent);
        Assert.Equal("disk 2", request.Node.Name);
        Assert.Equal("Disk", request.Node.Kind);
        Assert.Equal(PropertyMap.Of(("size", DocValue.From(100))), request.Node.Properties);
    }

    [Fact]
    public void Parser_should_read_progress_log_and_reports()
    {
        Assert.Equal(new ProcessRequest.Progress(42.5, "copying files"), ProcessRequest.Parse("::caiman progress 42.5%  copying files "));
        Assert.Equal(new ProcessRequest.Log(LogLevel.Warning, "low memory"), ProcessRequest.Parse("::caiman log warn low memory"));
        Assert.Equal(new ProcessRequest.Report(CheckpointErrorKind.Warning, "slow"), ProcessRequest.Parse("::caiman warning slow"));
        Assert.Equal(new ProcessRequest.Report(CheckpointErrorKind.Error, "it \"broke\""), ProcessRequest.Parse("::caiman error it \"broke\""));
    }

    [Theory]
    [InlineData("::caiman", "needs a verb")]
    [InlineData("::caiman jump", "unknown request 'jump'")]
    [InlineData("::caiman progress", "needs a percentage")]
    [InlineData("::caiman progress half", "not 'half'")]
    [InlineData("::caiman progress NaN", "not 'NaN'")]
    [InlineData("::caiman error", "'error' needs a message")]
    [InlineData("::caiman log loud x", "unknown log level 'loud'")]
    [InlineData("::caiman log info", "needs a message")]
    [InlineData("::caiman doc", "needs an action")]
    [InlineData("::caiman doc delete /x", "unknown doc action 'delete'")]
    [InlineData("::caiman doc set", "needs a path")]
    [InlineData("::caiman doc set /persistent/x", "at least one key=value")]
    [InlineData("::caiman doc set /persistent/x size", "expected key=value, not 'size'")]
    [InlineData("::caiman doc set /persistent/x a=1 a=2", "'a' is given twice")]
    [InlineData("::caiman doc set /persistent/x a=\"open", "unterminated quoted string")]
    [InlineData("::caiman doc set /persistent/x a=\"bad \\q\"", "the value of 'a' is not valid JSON")]
    [InlineData("::caiman doc set \"/bad\\q\" a=1", "bad quoted string")]
    [InlineData("::caiman doc set /persistent/x a=[1, 2", "unclosed '['")]
    [InlineData("::caiman doc set /persistent/x a=[1,]", "not valid JSON")]
    [InlineData("::caiman doc set /persistent/x a=\"x\"y", "expected a space")]
    [InlineData("::caiman doc insert /persistent", "needs the new node's name")]
    [InlineData("::caiman doc insert /persistent n kind=\"9 lives\"", "kind '9 lives'")]
    [InlineData("::caiman doc set /persistent/x a=\"\\ud800\"", "the value of 'a' has the escape \\ud800, half of a UTF-16 surrogate pair")]
    [InlineData("::caiman doc set /persistent/x a={\"k\": [\"\\udc00x\"]}", "the value of 'a' has the escape \\udc00")]
    [InlineData("::caiman doc set \"/persistent/\\ud800\" a=1", "quoted string \"/persistent/\\ud800\" has the escape \\ud800")]
    public void Parser_should_say_what_is_wrong_with_a_malformed_request(string line, string problem)
    {
        var refused = Assert.Throws<FormatException>(() => ProcessRequest.Parse(line));

        Assert.Contains(problem, refused.Message);
    }

    [Fact]
    public void Parser_should_refuse_a_line_that_holds_half_a_surrogate_pair()
    {
        // Not from a process (its stdout is read as UTF-8), but from anything that hands a line over
        var refused = Assert.Throws<FormatException>(() => ProcessRequest.Parse("::caiman doc set /persistent/x a=" + '\ud800'));

        Assert.Equal("character U+D800 at column 34 is half of a UTF-16 surrogate pair: the line is not valid Unicode", refused.Message);
    }
}
