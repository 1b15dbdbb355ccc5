using System.Text;
using Caiman.Checkpoints.Processes;
using Caiman.Checkpoints.Tests.Pipelines;
using CsCheck;

namespace Caiman.Checkpoints.Tests.Processes;

/// <summary>
/// Hostile <c>::caiman</c> lines: random bytes, huge lines, lone surrogates, NULs, deep JSON and
/// path injections. Each is parsed or refused with a <see cref="FormatException"/> whose message
/// says what is wrong; no other exception, no hang, no memory out of proportion to the line.
/// </summary>
public sealed class ProcessRequestHostileSpec
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static long MaxBytes(string line) => 4L * 1024 * 1024 + 100L * line.Length;

    /// <summary>The request, or null when the line was refused as it should be.</summary>
    internal static ProcessRequest? AssertParsedOrRefused(string line)
    {
        var (request, refused) = HostileInput.Run<(ProcessRequest?, FormatException?)>(line, () =>
        {
            try
            {
                return (ProcessRequest.Parse(line), null);
            }
            catch (FormatException e)
            {
                return (null, e);
            }
        }, Bound, MaxBytes(line));
        if (refused is not null)
        {
            // A message that says what is wrong is short and about the line, not an echo of it.
            Assert.True(refused.GetType() == typeof(FormatException), $"{refused.GetType().Name} for {HostileInput.Show(line)}");
            Assert.True(refused.Message.Length is > 10 and < 500 && !refused.Message.StartsWith("Exception of type", StringComparison.Ordinal),
                $"message '{refused.Message}' for {HostileInput.Show(line)}");
        }
        return request;
    }

    private static readonly string[] Words =
    [
        "progress", "doc", "set", "insert", "error", "warning", "log", "info", "debug", "trace", "critical", "50", "-1", "1e999",
        "NaN", "Infinity", "100%", "/persistent/x", "/volatile", "../../etc/passwd", "/persistent/../x", "//[@Disk#2].name",
        "%{/persistent/x}", "/persistent/%2E%2E", "\"/persistent/a b\"", "kind=Disk", "kind=\"9\"", "kind=[1]", "a=1", "a=", "=1",
        "a=\"x\"", "a=[1,2]", "a={\"b\": [true]}", "a=[", "a={", "a=\"", "\"k\"=1", "\"\"=1", "a=1.2.3", "a=-0", "a=01",
        "a=\"\\ud800\"", "a=\"\\udc00\\ud800\"", "a=\"\\ud83d\\ude00\"", "a=\"\\u0000\"", "\"\\u0000\"=1", "a=\"\\q\"",
        "a=[\"\\ud800\"]", "a={\"\\udc00\": 1}", "\t", "  ", "\0", "\ud800", "\udc00", "\ud83d\ude00", "\uFFFD", "\u202E",
    ];

    // Lines made of the grammar's words and of broken pieces of it.
    private static readonly Gen<string> Lines = Gen.Select(
        Gen.Frequency((6, Gen.Const("::caiman ")), (1, Gen.Const("::caiman\t")), (1, Gen.Const("::caiman"))),
        Gen.Frequency((5, Gen.OneOf(Words)), (1, Gen.String[0, 8]), (1, Gen.Char.Array[1, 4].Select(c => new string(c)))).Array[0, 8],
        Gen.OneOf(" ", "  ", "\t", ""),
        (prefix, words, space) => prefix + string.Join(space, words));

    [Fact]
    public void Lines_of_the_grammars_words_should_be_parsed_or_refused_saying_why() =>
        Lines.Sample(line => { AssertParsedOrRefused(line); }, iter: 5_000, print: HostileInput.Show);

    // Bytes a process could print, read as the runner reads them (UTF-8, bad sequences replaced).
    private static readonly Gen<string> ByteLines = Gen.Byte.Array[0, 200]
        .Select(bytes => "::caiman " + Encoding.UTF8.GetString(bytes));

    [Fact]
    public void Random_bytes_after_the_prefix_should_be_parsed_or_refused_saying_why() =>
        ByteLines.Sample(line => { AssertParsedOrRefused(line); }, iter: 5_000, print: HostileInput.Show);

    private static readonly Dictionary<string, Func<string>> Huge = new()
    {
        ["a megabyte word"] = () => "::caiman " + new string('x', 1 << 20),
        ["a megabyte message"] = () => "::caiman log info " + new string('y', 1 << 20),
        ["50,000 assignments"] = () => "::caiman doc set /persistent/x " + string.Join(' ', Enumerable.Range(0, 50_000).Select(i => $"k{i}=1")),
        ["100,000 repeats of one key"] = () => "::caiman doc set /persistent/x " + string.Join(' ', Enumerable.Repeat("k=1", 100_000)),
        ["JSON nested a million deep"] = () => "::caiman doc set /persistent/x a=" + new string('[', 1_000_000) + new string(']', 1_000_000),
        ["JSON opened a million deep"] = () => "::caiman doc set /persistent/x a=" + new string('{', 1_000_000),
        ["200,000 lone surrogate escapes"] = () => "::caiman doc set /persistent/x a=\"" + string.Concat(Enumerable.Repeat("\\ud800", 200_000)) + "\"",
        ["a megabyte quoted path"] = () => "::caiman doc set \"/persistent/" + new string('p', 1 << 20) + "\" a=1",
        ["a megabyte of NULs"] = () => "::caiman doc insert /persistent " + new string('\0', 1 << 20),
        ["a megabyte of spaces"] = () => "::caiman progress" + new string(' ', 1 << 20) + "5",
        ["alternating lone surrogates"] = () => "::caiman log info " + string.Concat(Enumerable.Repeat("\udc00\ud800", 100_000)),
    };

    public static TheoryData<string> HugeLines() => [.. Huge.Keys];

    [Theory]
    [MemberData(nameof(HugeLines))]
    public void Huge_lines_should_be_parsed_or_refused_quickly_saying_why(string what) => AssertParsedOrRefused(Huge[what]());

    [Theory]
    [InlineData("::caiman doc set /persistent/x a=\"\\u0000\"")]
    [InlineData("::caiman doc insert /persistent/x \"n\\u0000\"")]
    [InlineData("::caiman doc set \"/persistent/x\\u0000\" a=1")]
    [InlineData("::caiman doc set ../../etc/passwd a=1")]
    [InlineData("::caiman doc insert /persistent/x ../../../etc")]
    [InlineData("::caiman doc set /persistent/x%2F..%2F.. a=1")]
    public void Nuls_and_path_injections_should_be_refused_or_left_to_the_doc_as_plain_text(string line)
    {
        // The DOC addresses nodes by path and name, never files: a path is text it parses itself,
        // and a NUL in a value is just a character of a JSON string.
        var request = AssertParsedOrRefused(line);

        Assert.True(request is null or ProcessRequest.DocSet or ProcessRequest.DocInsert);
    }
}
