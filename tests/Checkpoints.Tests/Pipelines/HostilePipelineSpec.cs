using System.Text;
using System.Text.RegularExpressions;
using Caiman.Checkpoints.Pipelines;
using CsCheck;

namespace Caiman.Checkpoints.Tests.Pipelines;

/// <summary>
/// Hostile pipeline files: the shipped pipeline and every pipeline text of these specs, mutated
/// byte by byte and token by token, and HOCON generated from its grammar. Each one is either a
/// valid pipeline or refused with problems that each name the file and a line of it; nothing
/// escapes the loader, nothing hangs (each case is bounded in time) and nothing grows without
/// bound (each case is bounded in what it allocates).
/// </summary>
public sealed partial class HostilePipelineSpec
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly CheckpointTypes Types = CheckpointTypes.BuiltIn();

    // Akka's parser and the scanner allocate 100 to 150 bytes per character of input; far past that is a leak.
    private static long MaxBytes(string text) => 16L * 1024 * 1024 + 500L * text.Length;

    /// <summary>The property every hostile file must keep.</summary>
    internal static void AssertValidOrRefusedWithWhere(string text)
    {
        var result = HostileInput.Run(text, () => PipelineLoader.Parse(text, TestPipelines.FileName, TestPipelines.BaseDirectory, Types), Bound, MaxBytes(text));
        if (result.IsValid)
            return;
        Assert.True(result.Pipeline is null, $"a pipeline with problems for {HostileInput.Show(text)}");
        Assert.True(result.Problems.Count > 0, $"refused without a problem: {HostileInput.Show(text)}");
        var lines = 1 + text.Count(c => c == '\n');
        foreach (var problem in result.Problems)
        {
            var wholeFile = problem.Line == 0 && problem.Message.StartsWith("no 'pipeline' block", StringComparison.Ordinal);
            Assert.True(problem.File == TestPipelines.FileName && (wholeFile || problem.Line >= 1 && problem.Line <= lines) && problem.Message.Trim().Length > 0,
                $"problem '{problem}' does not name the file and a line of its {lines}, for {HostileInput.Show(text)}");
        }
    }

    // ---- byte-wise mutants -----------------------------------------------------------------

    private static readonly byte[] Special = "{}[]\"$=:,.\n#\\+?/%@ \t\r"u8.ToArray().Concat(new byte[] { 0x00, 0xFF, 0xC3, 0xED, 0xEF, 0xBB, 0xBF }).ToArray();

    private sealed record ByteOp(int Kind, int At, byte Value);

    private static readonly Gen<ByteOp> AnyByteOp = Gen.Select(Gen.Int[0, 5], Gen.Int[0, int.MaxValue], Gen.Byte, (k, at, b) => new ByteOp(k, at, b));

    private static string MutateBytes(string seed, ByteOp[] ops)
    {
        var bytes = Encoding.UTF8.GetBytes(seed).ToList();
        foreach (var op in ops)
        {
            var at = bytes.Count == 0 ? 0 : op.At % bytes.Count;
            switch (op.Kind)
            {
                case 0 when bytes.Count > 0: bytes[at] = op.Value; break;
                case 1: bytes.Insert(at, op.Value); break;
                case 2 when bytes.Count > 0: bytes.RemoveAt(at); break;
                case 3: bytes.Insert(at, Special[op.Value % Special.Length]); break;
                case 4: bytes.InsertRange(at, bytes.Skip(at).Take(1 + op.Value % 64).ToList()); break;
                case 5: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        // As a file is read: invalid UTF-8 becomes U+FFFD.
        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static readonly Gen<string> ByteMutants =
        Gen.Select(Gen.Int[0, HostileInput.Seeds.Count - 1], AnyByteOp.Array[1, 8], (seed, ops) => MutateBytes(HostileInput.Seeds[seed], ops));

    [Fact]
    public void Byte_wise_mutants_of_real_pipelines_should_be_valid_or_refused_with_file_and_line() =>
        ByteMutants.Sample(AssertValidOrRefusedWithWhere, iter: 1_500, print: HostileInput.Show);

    // ---- token-wise mutants ----------------------------------------------------------------

    // Tokens as HOCON has them, roughly: enough to cut a file at the places its grammar turns on.
    [GeneratedRegex("\"\"\"[\\s\\S]*?\"\"\"|\"(?:[^\"\\\\\\n]|\\\\.)*\"|\\$\\{[^}\\n]*\\}|#[^\\n]*|//[^\\n]*|[{}\\[\\],=:\\n]|\\+=|[ \\t\\r]+|[^\\s{}\\[\\],=:\"#$]+|.")]
    private static partial Regex Token();

    private static readonly string[] Dictionary =
    [
        "{", "}", "[", "]", ",", "=", ":", "\n", "+=", "\"\"\"", "\"", ".", "..", "a.b", "\"a.b\"", "\"\"",
        "${pipeline.name}", "${pipeline}", "${pipeline.checkpoints}", "${a}", "${?a}", "${\"a}", "${}", "$", "include \"x.conf\"",
        "pipeline", "checkpoints", "name", "type", "after", "retries", "timeout", "estimate", "log-level", "stop-on-error",
        "parallelism", "command", "env", "workdir", "insert", "set", "parent", "path", "json", "properties", "children",
        "assembly", "class", "process", "doc", "dotnet", "fake", "true", "off", "null", "0", "-1", "1e999", "-1e400", "NaN",
        "99999999999999999999", "1.5s", "10m", "0s", "[]", "[ ]", "{}", "[[[[", "]]]]", "{{{{", "}}}}",
        "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\ud83d\\ude00\"", "\"/persistent\"", "\"/elsewhere\"", "\"//\"", "\"/\"",
        "\"%{/persistent/x}\"", "\"%{\"", "\"%{/persistent/[}\"", "\t", "\r", "\uFEFF", "@", "!", "`", "\\",
    ];

    private sealed record TokenOp(int Kind, int At, int Other);

    private static readonly Gen<TokenOp> AnyTokenOp = Gen.Select(Gen.Int[0, 4], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue], (k, at, o) => new TokenOp(k, at, o));

    private static string MutateTokens(string seed, TokenOp[] ops)
    {
        var tokens = Token().Matches(seed).Select(m => m.Value).ToList();
        foreach (var op in ops)
        {
            var at = tokens.Count == 0 ? 0 : op.At % tokens.Count;
            switch (op.Kind)
            {
                case 0 when tokens.Count > 0: tokens.RemoveAt(at); break;
                case 1 when tokens.Count > 0: tokens.Insert(at, tokens[at]); break;
                case 2 when tokens.Count > 0: (tokens[at], tokens[op.Other % tokens.Count]) = (tokens[op.Other % tokens.Count], tokens[at]); break;
                case 3 when tokens.Count > 0: tokens[at] = Dictionary[op.Other % Dictionary.Length]; break;
                case 4: tokens.Insert(at, Dictionary[op.Other % Dictionary.Length]); break;
            }
        }
        return string.Concat(tokens);
    }

    private static readonly Gen<string> TokenMutants =
        Gen.Select(Gen.Int[0, HostileInput.Seeds.Count - 1], AnyTokenOp.Array[1, 6], (seed, ops) => MutateTokens(HostileInput.Seeds[seed], ops));

    [Fact]
    public void Token_wise_mutants_of_real_pipelines_should_be_valid_or_refused_with_file_and_line() =>
        TokenMutants.Sample(AssertValidOrRefusedWithWhere, iter: 1_500, print: HostileInput.Show);

    // ---- generated HOCON ---------------------------------------------------------------------

    private static readonly Gen<string> Key = Gen.OneOf(
        "name", "type", "after", "command", "checkpoints", "pipeline", "env", "a", "b", "a.b", "\"a.b\"", "retries", "count",
        "backoff", "factor", "timeout", "insert", "set", "parent", "path", "json", "properties", "children", "workdir",
        "estimate", "log-level", "stop-on-error", "parallelism", "description", "success-exit-codes", "include", "\"\"", "x-y");

    private static readonly Gen<string> Word = Gen.OneOf(
        "a", "b", "c", "process", "doc", "dotnet", "true", "no", "1", "0", "-1", "1e999", "2s", "10m", "info", "null",
        "/persistent", "a.b", "x-y", "1.5");

    // Text with anything in it, control characters and surrogates included, as a quoted HOCON string.
    private static readonly Gen<string> Quoted = Gen.Frequency(
        (3, Gen.OneOf("/persistent", "/volatile/x", "//", "/", "/elsewhere", "%{/persistent/x}", "%{", "true", "sh -c 'exit 3'", "", "1e999", "[1, 2]").Select(Quote)),
        (2, Gen.String[0, 12].Select(Quote)),
        (1, Gen.Char.Array[0, 6].Select(chars => Quote(new string(chars)))));

    private static string Quote(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
            builder.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", _ when c < ' ' || char.IsSurrogate(c) => $"\\u{(int)c:x4}", _ => c.ToString() });
        return builder.Append('"').ToString();
    }

    private static readonly Gen<string> Substitution = Gen.OneOf("${a}", "${b}", "${a.b}", "${pipeline.name}", "${pipeline}", "${shared}", "${?a}");

    private static Gen<string> Value(int depth) => depth == 0
        ? Gen.Frequency((4, Word), (3, Quoted), (1, Substitution))
        : Gen.Frequency(
            (4, Word), (3, Quoted), (1, Substitution),
            (2, Fields(depth - 1).Select(f => "{ " + f + " }")),
            (2, Value(depth - 1).Array[0, 4].Select(items => "[" + string.Join(", ", items) + "]")),
            (1, Gen.Select(Value(depth - 1), Gen.OneOf(" ", ""), Value(depth - 1), (a, space, b) => a + space + b)));

    private static Gen<string> Fields(int depth) =>
        Gen.Select(Key, Gen.Frequency((4, " = "), (2, ":"), (1, "="), (1, " ")), Value(depth), (k, sep, v) => k + sep + v)
            .Array[0, 5]
            .Select(Gen.OneOf(", ", "\n", " ", ",\n"), (fields, separator) => string.Join(separator, fields));

    private static readonly Gen<string> Entry = Gen.Select(Word, Gen.OneOf("process", "doc", "dotnet", "fake"), Fields(2),
        (name, type, more) => $"{{ name = {name}, type = {type}\n  {more} }}");

    private static readonly Gen<string> Documents = Gen.Frequency(
        (3, Gen.Select(Fields(2), Entry.Array[0, 4], Fields(1),
            (top, entries, block) => $"{top}\npipeline {{\n  {block}\n  checkpoints = [\n    {string.Join("\n    ", entries)}\n  ]\n}}\n")),
        (1, Fields(3)));

    [Fact]
    public void Generated_hocon_should_be_valid_or_refused_with_file_and_line() =>
        Documents.Sample(AssertValidOrRefusedWithWhere, iter: 1_500, print: HostileInput.Show);

    // Most hostile files stop at the scanner; these reach Akka's parser and the loader's checks.
    private static readonly Gen<string> PastTheScanner =
        Gen.OneOf(ByteMutants, TokenMutants, Documents).Where(text => HoconSource.Scan(text).Errors.Count == 0);

    [Fact]
    public void Hostile_files_that_pass_the_scanner_should_be_valid_or_refused_with_file_and_line() =>
        PastTheScanner.Sample(AssertValidOrRefusedWithWhere, iter: 1_500, print: HostileInput.Show);

    // ---- nothing dropped ------------------------------------------------------------------------

    /// <summary>A type that takes any args, so that a generated entry is valid whatever keys it has.</summary>
    private sealed class AnyArgsType : ICheckpointType
    {
        public string Name => "any";

        public IReadOnlyList<string> Validate(CheckpointArgs args) => [];

        public ICheckpoint Create(CheckpointArgs args) => throw new NotSupportedException("only used to validate");
    }

    private static readonly CheckpointTypes Permissive = CheckpointTypes.BuiltIn().Add(new AnyArgsType());

    private static readonly Gen<string> ArgKey = Gen.OneOf("k1", "k2", "a", "b", "x-y", "\"q.r\"", "env", "list", "obj", "deep.er", "\"\"", "k1.k2", "\"with space\"", "\"é\"", "a1_b");

    private static readonly Gen<string> ArgWord = Gen.OneOf("a", "1", "-1", "1.5", "1e3", "0x10", "true", "off", "x//y", "a/b", "/persistent/x", "a.b.c", "-", "_", "é", "10m");

    private static Gen<string> ArgValue(int depth) => depth == 0
        ? Gen.Frequency((4, ArgWord), (3, Gen.OneOf("\"x\"", "\"a b\"", "\"\"\"three\nlines\"\"\"", "\"\"\"a\"b\"\"\"", "\"\"\"\"x\"\"\"\"", "\"\"", "\"%{/persistent/x}\"", "\"a#b\"", "\"a//b\"", "\"tab\\there\"")), (1, Gen.OneOf("${sub}", "${list}", "${shared}")))
        : Gen.Frequency(
            (4, ArgValue(0)),
            (2, ArgFields(depth - 1).Select(f => "{ " + f + " }")),
            (1, Gen.Select(ArgFields(depth - 1), ArgFields(depth - 1), (x, y) => "{ " + x + " } { " + y + " }")),
            (2, ArgValue(depth - 1).Array[0, 3].Select(items => "[" + string.Join(", ", items) + "]")),
            (1, Gen.Select(ArgWord, ArgWord, (x, y) => x + " " + y)),
            (1, Gen.Const("${sub} \"tail\"")));

    private static Gen<string> ArgFields(int depth) =>
        Gen.Frequency(
                (6, Gen.Select(ArgKey, Gen.Frequency((4, " = "), (2, ": "), (1, "="), (1, " =\n      ")), ArgValue(depth), (k, sep, v) => k + sep + v)),
                (1, Gen.Select(ArgKey, ArgFields0(depth), (k, f) => k + " { " + f + " }")))
            .Array[0, 4]
            .Select(Gen.OneOf(", ", "\n    ", ",\n    ", "\r\n    ", " # note\n    ", " // note\n    ", "\t,\t"), (fields, separator) => string.Join(separator, fields));

    private static Gen<string> ArgFields0(int depth) => depth == 0 ? Gen.Const("z = 1") : ArgFields(depth - 1);

    private static readonly Gen<string> PermissiveDocuments = Gen.Select(ArgFields(2).Array[1, 5], Gen.OneOf(", ", "\n    "),
        (entries, separator) => "sub = \"text\"\nlist = [1, 2]\nshared { A = 1 }\npipeline {\n  checkpoints = [\n    "
            + string.Join("\n    ", entries.Select((fields, i) => $"{{ name = n{i}, type = any{separator}{fields} }}")) + "\n  ]\n}\n");

    private static readonly HashSet<string> EngineKeys = ["name", "type", "after", "estimate", "retries", "timeout", "stop-on-error", "description", "role", "log-level"];

    /// <summary>A valid pipeline holds every entry and every key the scanner saw in the text: Akka's parser dropped none.</summary>
    internal static void AssertNothingDropped(string text)
    {
        var result = HostileInput.Run(text, () => PipelineLoader.Parse(text, TestPipelines.FileName, TestPipelines.BaseDirectory, Permissive), Bound, MaxBytes(text));
        if (!result.IsValid)
        {
            AssertValidOrRefusedWithWhere(text);
            return;
        }
        var source = HoconSource.Scan(text);
        var checkpoints = source.Fields.Last(f => f.Path is ["pipeline", "checkpoints"]);
        var entries = checkpoints.Value.Parts.Cast<SourceArray>().SelectMany(a => a.Elements).ToList();
        Assert.True(entries.Count == result.Pipeline!.Checkpoints.Length, $"{entries.Count} entries in the text, {result.Pipeline.Checkpoints.Length} in the pipeline, for {HostileInput.Show(text)}");
        for (var i = 0; i < entries.Count; i++)
        {
            var written = entries[i].Parts.OfType<SourceObject>().SelectMany(o => o.Fields).Select(f => f.Path[0]).Where(k => !EngineKeys.Contains(k)).ToHashSet();
            var read = result.Pipeline.Checkpoints[i].Args.Keys.ToHashSet();
            // An empty value (`k = ""`, `k = []`, `k {}`) is no arg at all.
            var missing = written.Except(read).Where(k => !EmptyIn(entries[i], k)).ToList();
            Assert.True(missing.Count == 0 && read.IsSubsetOf(written),
                $"entry {i + 1}: keys written [{string.Join(", ", written)}], keys read [{string.Join(", ", read)}], for {HostileInput.Show(text)}");
            // A key set last to one plain word or string reads as that text.
            var last = entries[i].Parts.OfType<SourceObject>().SelectMany(o => o.Fields).Where(f => f.Path.Count == 1).GroupBy(f => f.Path[0]).Select(g => g.Last());
            foreach (var field in last)
            {
                if (EngineKeys.Contains(field.Path[0]) || field.Value.Parts is not [SourceLeaf { Text: var leaf }] || leaf is "" or "null" || leaf.Contains('\\')
                    || entries[i].Parts.OfType<SourceObject>().SelectMany(o => o.Fields).Any(f => f.Path.Count > 1 && f.Path[0] == field.Path[0] && f.Line >= field.Line))
                    continue;
                var value = result.Pipeline.Checkpoints[i].Args.GetString(field.Path[0]);
                Assert.True(value == leaf, $"entry {i + 1}: '{field.Path[0]}' written as '{leaf}', read as '{value}', for {HostileInput.Show(text)}");
            }
        }
    }

    // As HOCON merges repeated keys: an object merges into an object before it, anything else replaces.
    private static bool EmptyIn(SourceValue entry, string key)
    {
        var (isObject, empty) = (false, true);
        foreach (var field in entry.Parts.OfType<SourceObject>().SelectMany(o => o.Fields).Where(f => f.Path[0] == key))
        {
            var fieldIsObject = field.Path.Count > 1 || field.Value.Parts.All(p => p is SourceObject);
            var fieldEmpty = field.Path.Count == 1 && field.Value.Parts.All(p => p is SourceLeaf { Text: "" } or SourceArray { Elements.Count: 0 } or SourceObject { Fields.Count: 0 });
            (isObject, empty) = fieldIsObject && isObject ? (true, empty && fieldEmpty) : (fieldIsObject, fieldEmpty);
        }
        return empty;
    }

    [Fact]
    public void Valid_pipelines_should_keep_every_entry_and_key_the_file_has() =>
        PermissiveDocuments.Sample(AssertNothingDropped, iter: 1_500, print: HostileInput.Show);

    [Fact]
    public void Seeds_should_hold_the_shipped_pipeline_and_the_pipelines_of_the_specs()
    {
        Assert.Contains(HostileInput.Seeds, s => s.Contains("name = image-build", StringComparison.Ordinal));
        Assert.True(HostileInput.Seeds.Count > 50, $"only {HostileInput.Seeds.Count} seeds");
        Assert.All(HostileInput.Seeds, AssertValidOrRefusedWithWhere);
    }
}
