using System.Text;
using System.Text.RegularExpressions;

namespace Caiman.Checkpoints.Pipelines;

/// <summary>
/// A structural scan of HOCON text, run before Akka's parser. Akka's parser gives no positions
/// for values, accepts some broken files silently (an unclosed string or brace, <c>[1] {a=1}</c>),
/// misreads others (<c>"""a""""</c> runs on to a later quote; <c>k { a = 1 }, k = [1]</c> keeps the
/// object), refuses some without a position (<c>"\d"</c>, a triple-quoted key), hangs on others
/// (<c>a = [1, }</c>, <c>en. { }</c>, <c>${"a}</c>, <c>${?x}</c> in a list), takes seconds on tens
/// of thousands of values, and overflows the stack on a self-referencing substitution
/// (<c>a = ${a}</c>) or a key a hundred thousand parts deep, which no catch can stop. This scanner
/// refuses those first, with their lines, and keeps the line of every field so the loader can
/// point at the entry or key at fault.
/// </summary>
internal sealed partial class HoconSource
{
    private static readonly string ForbiddenUnquoted = "`^?!@*&\\$";

    // Far more than a pipeline file of 20,000 values needs (see Parser.MaxValues), and little enough to scan quickly.
    private const int MaxTokens = 200_000;

    private readonly int[] _lineStarts;
    private readonly int[] _insertions;

    private HoconSource(string text, SourceObject root, IReadOnlyList<HoconSyntaxError> errors, int[] insertions)
    {
        Text = text;
        Errors = errors;
        _insertions = insertions;
        _lineStarts = LineStarts(text);
        PreparedText = Prepare(text, insertions);
        Fields = [];
        if (errors.Count == 0)
        {
            var fields = new List<SourceField>();
            var substitutions = new List<(SourceSubstitution, string)>();
            Flatten(root, [], fields, (part, path) => CollectSubstitutions(part, string.Join('.', path), substitutions));
            Fields = fields;
            Errors = CheckSubstitutions(fields, substitutions);
            if (Errors.Count == 0 && CheckRedefinitions([root]) is { } redefined)
                Errors = [redefined];
        }
    }

    /// <summary>The text as given.</summary>
    public string Text { get; }

    /// <summary>
    /// The text to give Akka's parser: the same, except that <c>key {</c> becomes <c>key ={</c>,
    /// because Akka's parser rejects <c>key { ... }, other = 1</c> (a comma after an object
    /// written without a separator), which is valid HOCON and the documented pipeline layout.
    /// </summary>
    public string PreparedText { get; }

    /// <summary>Syntax errors; when there are any, the text must not be given to Akka's parser.</summary>
    public IReadOnlyList<HoconSyntaxError> Errors { get; }

    /// <summary>Every field outside lists, with its full path, in file order.</summary>
    public IReadOnlyList<SourceField> Fields { get; }

    /// <summary>Scans the text.</summary>
    public static HoconSource Scan(string text)
    {
        var errors = new List<HoconSyntaxError>();
        var tokens = Tokenize(text, errors);
        if (errors.Count > 0)
            return new HoconSource(text, new SourceObject(1, []), errors, []);
        var parser = new Parser(tokens);
        var root = parser.ParseRoot();
        if (parser.Error is { } error)
            return new HoconSource(text, new SourceObject(1, []), [error], []);
        return new HoconSource(text, root, [], [.. parser.Insertions.Order()]);
    }

    /// <summary>The 1-based line of an offset in <see cref="Text"/>.</summary>
    public int LineOf(int offset)
    {
        var index = Array.BinarySearch(_lineStarts, Math.Clamp(offset, 0, Text.Length));
        return index >= 0 ? index + 1 : ~index;
    }

    /// <summary>The 1-based line of an offset in <see cref="PreparedText"/>.</summary>
    public int LineOfPrepared(int offset)
    {
        var shift = 0;
        foreach (var insertion in _insertions)
            if (offset > insertion + shift)
                shift++;
        return LineOf(offset - shift);
    }

    private static int[] LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
            if (text[i] == '\n')
                starts.Add(i + 1);
        return [.. starts];
    }

    private static string Prepare(string text, int[] insertions)
    {
        if (insertions.Length == 0)
            return text;
        var builder = new StringBuilder(text.Length + insertions.Length);
        var from = 0;
        foreach (var at in insertions)
        {
            builder.Append(text, from, at - from).Append('=');
            from = at;
        }
        return builder.Append(text, from, text.Length - from).ToString();
    }

    // ---- fields and substitutions ----

    // The fields of an object and of the objects in it, with paths relative to it; every other
    // part of a value (text, a list, a substitution) is handed to `other` with its field's path.
    private static void Flatten(SourceObject obj, IReadOnlyList<string> prefix, List<SourceField> fields, Action<SourceNode, string[]> other)
    {
        foreach (var field in obj.Fields)
        {
            var path = prefix.Concat(field.Path).ToArray();
            fields.Add(field with { Path = path });
            foreach (var part in field.Value.Parts)
            {
                if (part is SourceObject nested)
                    Flatten(nested, path, fields, other);
                else
                    other(part, path);
            }
        }
    }

    // Inside lists nothing is addressable, so a substitution there belongs to the field holding the list.
    private static void CollectSubstitutions(SourceNode node, string owner, List<(SourceSubstitution, string)> substitutions)
    {
        switch (node)
        {
            case SourceSubstitution substitution:
                substitutions.Add((substitution, owner));
                break;
            case SourceArray array:
                foreach (var part in array.Elements.SelectMany(e => e.Parts))
                    CollectSubstitutions(part, owner, substitutions);
                break;
            case SourceObject obj:
                foreach (var part in obj.Fields.SelectMany(f => f.Value.Parts))
                    CollectSubstitutions(part, owner, substitutions);
                break;
        }
    }

    private static List<HoconSyntaxError> CheckSubstitutions(List<SourceField> fields, List<(SourceSubstitution Substitution, string Owner)> substitutions)
    {
        var errors = new List<HoconSyntaxError>();
        if (substitutions.Count == 0)
            return errors;
        var fieldPaths = fields.Select(f => string.Join('.', f.Path)).ToHashSet(StringComparer.Ordinal);
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in fields)
            for (var length = 1; length <= field.Path.Count; length++)
                defined.Add(string.Join('.', field.Path.Take(length)));

        foreach (var (substitution, _) in substitutions)
        {
            // Akka's parser reads ${?x} wrongly (as the whole root for `x = ${?d}`, and loops on one inside a list).
            if (substitution.Optional)
            {
                errors.Add(new(substitution.Line, $"optional substitution {substitution.Display} is not supported in pipeline files; use ${{{substitution.Path}}}"));
                continue;
            }
            var resolvable = defined.Contains(substitution.Path)
                || Prefixes(substitution.Path).Any(fieldPaths.Contains);
            if (!resolvable)
                errors.Add(new(substitution.Line, $"substitution {substitution.Display} refers to nothing defined in this file"));
        }
        if (errors.Count > 0)
            return errors;

        // A substitution depends on every substitution inside the value it refers to; a cycle makes Akka's parser overflow the stack.
        var count = substitutions.Count;
        var edges = new List<int>[count];
        for (var i = 0; i < count; i++)
        {
            edges[i] = [];
            for (var j = 0; j < count; j++)
                if (Overlaps(substitutions[i].Substitution.Path, substitutions[j].Owner))
                    edges[i].Add(j);
        }
        var state = new int[count]; // 0 new, 1 on the path, 2 done
        var path = new List<int>();
        for (var start = 0; start < count; start++)
        {
            if (state[start] != 0)
                continue;
            if (FindCycle(start, edges, state, path) is { } cycle)
            {
                var first = substitutions[cycle[0]].Substitution;
                errors.Add(cycle.Count == 1
                    ? new(first.Line, $"substitution {first.Display} refers to the value it is part of")
                    : new(first.Line, $"substitution cycle: {string.Join(" -> ", cycle.Append(cycle[0]).Select(i => substitutions[i].Owner))} (each refers to the next)"));
                return errors;
            }
        }
        return errors;
    }

    private static List<int>? FindCycle(int node, List<int>[] edges, int[] state, List<int> path)
    {
        state[node] = 1;
        path.Add(node);
        foreach (var next in edges[node])
        {
            if (state[next] == 1)
                return path.Skip(path.IndexOf(next)).ToList();
            if (state[next] == 0 && FindCycle(next, edges, state, path) is { } cycle)
                return cycle;
        }
        path.RemoveAt(path.Count - 1);
        state[node] = 2;
        return null;
    }

    private static IEnumerable<string> Prefixes(string path)
    {
        for (var i = path.IndexOf('.'); i > 0; i = path.IndexOf('.', i + 1))
            yield return path[..i];
    }

    private static bool Overlaps(string a, string b) =>
        a == b || b.StartsWith(a + ".", StringComparison.Ordinal) || a.StartsWith(b + ".", StringComparison.Ordinal);

    // ---- keys set again ----

    // Akka's parser keeps an object when the same key is then set to a list or a substitution
    // (`k { a = 1 }, k = [1]` reads as k = { a = 1 }), silently. HOCON says the new value
    // replaces the object; such a file is refused. Each object in a list is a scope of its own.
    private static HoconSyntaxError? CheckRedefinitions(IReadOnlyList<SourceObject> scope)
    {
        var fields = new List<SourceField>();
        var lists = new List<SourceArray>();
        foreach (var obj in scope)
            Flatten(obj, [], fields, (part, _) =>
            {
                if (part is SourceArray list)
                    lists.Add(list);
            });

        var objectAt = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            for (var length = 1; length < field.Path.Count; length++)
                objectAt.TryAdd(ScopeKey(field.Path.Take(length)), field.Line);
            var key = ScopeKey(field.Path);
            var parts = field.Value.Parts;
            if (parts.All(p => p is SourceObject))
            {
                objectAt.TryAdd(key, field.Line);
                continue;
            }
            if (objectAt.TryGetValue(key, out var line) && parts.Any(p => p is SourceArray or SourceSubstitution))
            {
                var what = parts.Any(p => p is SourceSubstitution) ? "a substitution" : "a list";
                return new(field.Line, $"key '{string.Join('.', field.Path)}' is set to {what} after it was made an object at line {line}; Akka's parser would keep the object and drop the new value: set the key once");
            }
            // Text replaces the object, and what was under it (recorded only where the key itself is).
            if (objectAt.ContainsKey(key))
                foreach (var under in objectAt.Keys.Where(k => k == key || k.StartsWith(key + ScopeSeparator, StringComparison.Ordinal)).ToList())
                    objectAt.Remove(under);
        }
        foreach (var list in lists)
            if (CheckList(list) is { } error)
                return error;
        return null;
    }

    private static HoconSyntaxError? CheckList(SourceArray list)
    {
        foreach (var element in list.Elements)
        {
            var objects = element.Parts.OfType<SourceObject>().ToList();
            if (objects.Count > 0 && CheckRedefinitions(objects) is { } error)
                return error;
            foreach (var nested in element.Parts.OfType<SourceArray>())
                if (CheckList(nested) is { } nestedError)
                    return nestedError;
        }
        return null;
    }

    private const string ScopeSeparator = "\u001f";

    private static string ScopeKey(IEnumerable<string> path) => string.Join(ScopeSeparator, path);

    [GeneratedRegex(@"^\??(?:[^\s.""{}\[\]$:=,#+`^?!@*&\\]+|""[^""\\\n]*"")(?:\.(?:[^\s.""{}\[\]$:=,#+`^?!@*&\\]+|""[^""\\\n]*""))*$")]
    private static partial Regex SubstitutionPattern();

    // ---- tokens ----

    private enum TokenKind { OpenBrace, CloseBrace, OpenBracket, CloseBracket, Separator, PlusEquals, Comma, Newline, Unquoted, Quoted, Substitution, End }

    private readonly record struct Token(TokenKind Kind, int Offset, int Line, string Value, bool Triple = false)
    {
        public string Describe() => Kind switch
        {
            TokenKind.End => "the end of the file",
            TokenKind.Newline => "the end of the line",
            TokenKind.Quoted => $"\"{Value}\"",
            TokenKind.Substitution => $"${{{Value}}}",
            _ => $"'{Value}'",
        };
    }

    private static List<Token> Tokenize(string text, List<HoconSyntaxError> errors)
    {
        var tokens = new List<Token>();
        // Text that is not valid UTF-16 cannot be written to the journal or a log as UTF-8.
        if (InputText.LoneSurrogate(text) is { } lone)
        {
            errors.Add(new(1 + text.AsSpan(0, lone).Count('\n'), $"character U+{(int)text[lone]:X4} is half of a UTF-16 surrogate pair: the text is not valid Unicode"));
            return tokens;
        }
        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            if (tokens.Count > MaxTokens)
            {
                errors.Add(new(line, $"the file holds more than {MaxTokens} words and symbols; a pipeline file may hold at most that many"));
                return tokens;
            }
            var c = text[i];
            var next = i + 1 < text.Length ? text[i + 1] : '\0';
            switch (c)
            {
                case '\n':
                    // Blank lines separate no more than one does.
                    if (tokens.Count == 0 || tokens[^1].Kind != TokenKind.Newline)
                        tokens.Add(new(TokenKind.Newline, i, line, "\n"));
                    line++;
                    i++;
                    continue;
                case '#':
                case '/' when next == '/':
                {
                    var end = text.IndexOf('\n', i);
                    i = end < 0 ? text.Length : end;
                    continue;
                }
                case '{': tokens.Add(new(TokenKind.OpenBrace, i, line, "{")); i++; continue;
                case '}': tokens.Add(new(TokenKind.CloseBrace, i, line, "}")); i++; continue;
                case '[': tokens.Add(new(TokenKind.OpenBracket, i, line, "[")); i++; continue;
                case ']': tokens.Add(new(TokenKind.CloseBracket, i, line, "]")); i++; continue;
                case ',': tokens.Add(new(TokenKind.Comma, i, line, ",")); i++; continue;
                case '=' or ':': tokens.Add(new(TokenKind.Separator, i, line, c.ToString())); i++; continue;
                case '+' when next == '=': tokens.Add(new(TokenKind.PlusEquals, i, line, "+=")); i += 2; continue;
                case '$' when next == '{':
                {
                    var close = text.IndexOfAny(['}', '\n'], i + 2);
                    if (close < 0 || text[close] != '}')
                    {
                        errors.Add(new(line, "unterminated substitution: '${' without a closing '}' on the same line"));
                        return tokens;
                    }
                    var inner = text[(i + 2)..close];
                    if (!SubstitutionPattern().IsMatch(inner))
                    {
                        // Akka's parser can hang on a malformed one, e.g. ${"a.b}
                        errors.Add(new(line, $"malformed substitution '${{{inner}}}': write ${{path.to.value}}"));
                        return tokens;
                    }
                    tokens.Add(new(TokenKind.Substitution, i, line, inner));
                    i = close + 1;
                    continue;
                }
                case '"' when string.CompareOrdinal(text, i, "\"\"\"", 0, 3) == 0:
                {
                    var close = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (close < 0)
                    {
                        errors.Add(new(line, "unterminated string: '\"\"\"' without a closing '\"\"\"'"));
                        return tokens;
                    }
                    // HOCON reads """a"""" as a", but Akka's parser takes the text on to a later quote, silently.
                    if (close + 3 < text.Length && text[close + 3] == '"')
                    {
                        errors.Add(new(line + text.AsSpan(i, close - i).Count('\n'), "a triple-quoted string ends with more than three quotes, which Akka's parser misreads; end the text with something else, or write it as \"...\\\"\""));
                        return tokens;
                    }
                    var value = text[(i + 3)..close];
                    tokens.Add(new(TokenKind.Quoted, i, line, value, Triple: true));
                    line += value.Count(ch => ch == '\n');
                    i = close + 3;
                    continue;
                }
                case '"':
                {
                    var value = new StringBuilder();
                    var j = i + 1;
                    while (j < text.Length && text[j] != '"' && text[j] != '\n')
                    {
                        // Plain text up to the next quote, escape or line end goes in one piece.
                        var plain = text.AsSpan(j).IndexOfAny("\"\\\n");
                        if (plain != 0)
                        {
                            var length = plain < 0 ? text.Length - j : plain;
                            value.Append(text, j, length);
                            j += length;
                            continue;
                        }
                        if (text[j] == '\\' && j + 1 < text.Length && text[j + 1] != '\n')
                        {
                            if (EscapeProblem(text, j) is { } escape)
                            {
                                errors.Add(new(line, escape));
                                return tokens;
                            }
                            value.Append(Unescape(text[j + 1]));
                            j += 2;
                            continue;
                        }
                        value.Append(text[j++]);
                    }
                    if (j >= text.Length || text[j] != '"')
                    {
                        errors.Add(new(line, "unterminated string: '\"' without a closing '\"' on the same line"));
                        return tokens;
                    }
                    tokens.Add(new(TokenKind.Quoted, i, line, value.ToString()));
                    i = j + 1;
                    continue;
                }
            }
            if (char.IsWhiteSpace(c) || c == '\uFEFF')
            {
                i++;
                continue;
            }
            if (ForbiddenUnquoted.Contains(c))
            {
                errors.Add(new(line, $"character '{c}' is not allowed outside quotes; put the value in double quotes"));
                i++;
                continue;
            }
            var start = i;
            while (i < text.Length && IsUnquoted(text, i))
                i++;
            tokens.Add(new(TokenKind.Unquoted, start, line, text[start..i]));
        }
        tokens.Add(new(TokenKind.End, text.Length, line, ""));
        return tokens;
    }

    // Akka's parser throws on an escape HOCON does not have, without saying where.
    private static string? EscapeProblem(string text, int at)
    {
        var code = text[at + 1];
        if (code == 'u')
            return InputText.UnicodeEscape(text, at) is null
                ? "escape '\\u' must be followed by four hex digits, e.g. \\u00e9"
                : SurrogateEscapeProblem(text, at);
        return "\"\\/bfnrt".Contains(code)
            ? null
            : $"unknown escape '\\{code}' in a quoted string (known: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX); write a backslash as \\\\";
    }

    // A \uXXXX escape at `at` that decodes to half a surrogate pair without its other half.
    private static string? SurrogateEscapeProblem(string text, int at) =>
        InputText.IsLoneSurrogateEscape(text, at)
            ? $"escape '\\u{(int)InputText.UnicodeEscape(text, at)!.Value:X4}' is half of a UTF-16 surrogate pair without its other half: the text would not be valid Unicode"
            : null;

    private static bool IsUnquoted(string text, int i)
    {
        var c = text[i];
        var next = i + 1 < text.Length ? text[i + 1] : '\0';
        return !char.IsWhiteSpace(c) && c != '\uFEFF'
            && "\"{}[],=:#".IndexOf(c) < 0
            && !ForbiddenUnquoted.Contains(c)
            && !(c == '/' && next == '/')
            && !(c == '+' && next == '=');
    }

    private static char Unescape(char c) => c switch
    {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'b' => '\b',
        'f' => '\f',
        _ => c, // \" \\ \/ and (approximately) \uXXXX: only keys use the decoded text
    };

    // ---- structure ----

    private sealed class Parser(List<Token> tokens)
    {
        // Deeper nesting is refused: this parser and Akka's recurse, and a stack overflow cannot be caught.
        // A dotted key nests as deep as its parts: a.b.c = 1 is a { b { c = 1 } }.
        private const int MaxDepth = 100;

        // Akka's parser takes seconds for tens of thousands of values, merges repeated keys and
        // joined values in quadratic time, and resolves substitutions recursively; real pipelines
        // hold a few hundred values, so these bounds keep every file quick without limiting any.
        private const int MaxValues = 20_000;
        private const int MaxParts = 1_000;
        private const int MaxSubstitutions = 1_000;

        private int _position;
        private int _depth;
        private int _keyDepth;
        private int _values;
        private int _substitutions;

        public HoconSyntaxError? Error { get; private set; }

        // Offsets of '{' that directly follow a key; '=' is inserted there for Akka's parser.
        public List<int> Insertions { get; } = [];

        private Token Current => tokens[_position];

        public SourceObject ParseRoot()
        {
            SkipNewlines();
            if (Current.Kind == TokenKind.OpenBrace)
            {
                // A root wrapped in braces: { pipeline { ... } }
                var obj = ParseObject();
                if (Error is null)
                {
                    SkipNewlines();
                    if (Current.Kind != TokenKind.End)
                        Fail(Current.Line, $"unexpected {Current.Describe()} after the closing '}}' of the file's root object");
                }
                return obj;
            }
            return new SourceObject(Current.Line, ParseFields(null));
        }

        private SourceObject ParseObject()
        {
            var open = Current;
            _position++;
            if (!Enter(open))
                return new SourceObject(open.Line, []);
            var fields = ParseFields(open);
            _depth--;
            return new SourceObject(open.Line, fields);
        }

        private bool Enter(Token open)
        {
            if (++_depth <= MaxDepth)
                return true;
            Fail(open.Line, $"'{open.Value}' nests more than {MaxDepth} levels deep");
            return false;
        }

        // Fields up to the '}' matching `open`, or to the end of the file for the root.
        private List<SourceField> ParseFields(Token? open)
        {
            var fields = new List<SourceField>();
            while (Error is null)
            {
                while (Current.Kind is TokenKind.Newline or TokenKind.Comma)
                    _position++;
                var token = Current;
                switch (token.Kind)
                {
                    case TokenKind.CloseBrace when open is not null:
                        _position++;
                        return fields;
                    case TokenKind.End when open is null:
                        return fields;
                    case TokenKind.End:
                        Fail(open!.Value.Line, "'{' is never closed");
                        return fields;
                    case TokenKind.CloseBrace or TokenKind.CloseBracket when open is null:
                        Fail(token.Line, $"'{token.Value}' closes nothing");
                        return fields;
                    case TokenKind.CloseBracket:
                        Fail(token.Line, $"']' does not match the '{{' opened at line {open!.Value.Line}");
                        return fields;
                }
                if (ParseField() is { } field)
                    fields.Add(field);
            }
            return fields;
        }

        private SourceField? ParseField()
        {
            var keyToken = Current;
            if (keyToken is { Kind: TokenKind.Unquoted, Value: "include" } && tokens[_position + 1].Kind is TokenKind.Quoted or TokenKind.Unquoted)
            {
                Fail(keyToken.Line, "'include' is not supported in pipeline files");
                return null;
            }
            var path = new List<string>();
            while (Current.Kind is TokenKind.Unquoted or TokenKind.Quoted)
            {
                if (Current.Triple)
                {
                    // Akka's parser refuses it without saying where.
                    Fail(Current.Line, "a key cannot be a triple-quoted string; write it in \"...\"");
                    return null;
                }
                if (Current.Kind == TokenKind.Quoted)
                    path.Add(Current.Value);
                else
                {
                    // In "a".b.c the dot after the quoted part joins, it does not start an empty part.
                    var text = Current.Value;
                    if (path.Count > 0 && text.StartsWith('.'))
                        text = text[1..];
                    if (tokens[_position + 1].Kind == TokenKind.Quoted && text.EndsWith('.'))
                        text = text[..^1];
                    var parts = text.Split('.');
                    if (parts.Any(p => p.Length == 0))
                    {
                        // Akka's parser loops on such a key.
                        Fail(Current.Line, $"key '{Current.Value}' has an empty part between dots; put a key that contains dots in double quotes");
                        return null;
                    }
                    path.AddRange(parts);
                }
                _position++;
            }
            if (path.Count == 0)
            {
                Fail(keyToken.Line, $"expected a key, found {keyToken.Describe()}");
                return null;
            }
            var key = string.Join('.', path);
            if (_depth + _keyDepth + path.Count - 1 > MaxDepth)
            {
                Fail(keyToken.Line, $"key '{InputText.Shown(key)}' nests more than {MaxDepth} levels deep (each part of a dotted key is a level)");
                return null;
            }
            if (!Count(keyToken.Line))
                return null;
            switch (Current.Kind)
            {
                case TokenKind.Separator:
                    _position++;
                    SkipNewlines(); // `key =` may be followed by the value on the next line
                    break;
                case TokenKind.OpenBrace:
                    Insertions.Add(Current.Offset);
                    break;
                case TokenKind.PlusEquals:
                    Fail(Current.Line, $"'+=' is not supported (key '{key}'); write the whole list");
                    return null;
                case TokenKind.Newline or TokenKind.End or TokenKind.Comma or TokenKind.CloseBrace:
                    Fail(keyToken.Line, $"key '{key}' has no value");
                    return null;
                default:
                    Fail(Current.Line, $"expected '=', ':' or '{{' after key '{key}', found {Current.Describe()}");
                    return null;
            }
            _keyDepth += path.Count - 1;
            var value = ParseValue(keyToken.Line, $"key '{InputText.Shown(key)}'");
            _keyDepth -= path.Count - 1;
            if (value is null)
                return null;
            // A ']' here is left to the caller, which names the '{' it fails to close.
            if (Current.Kind is not (TokenKind.Newline or TokenKind.Comma or TokenKind.CloseBrace or TokenKind.CloseBracket or TokenKind.End))
            {
                Fail(Current.Line, $"unexpected {Current.Describe()} after the value of key '{key}'");
                return null;
            }
            return new SourceField(path, keyToken.Line, value);
        }

        // A value: one or more parts on the same line (HOCON concatenation), e.g. `a b`, `${x} [1]`.
        private SourceValue? ParseValue(int line, string of)
        {
            var parts = new List<SourceNode>();
            while (Error is null)
            {
                if (parts.Count > MaxParts)
                {
                    Fail(parts[0].Line, $"{of} joins more than {MaxParts} parts in one value; quote text that has many words");
                    return null;
                }
                var token = Current;
                switch (token.Kind)
                {
                    case TokenKind.OpenBrace:
                        parts.Add(ParseObject());
                        continue;
                    case TokenKind.OpenBracket:
                        parts.Add(ParseArray());
                        continue;
                    case TokenKind.Unquoted or TokenKind.Quoted:
                        parts.Add(new SourceLeaf(token.Line, token.Value));
                        _position++;
                        continue;
                    case TokenKind.Substitution:
                        if (++_substitutions > MaxSubstitutions)
                        {
                            Fail(token.Line, $"the file holds more than {MaxSubstitutions} substitutions; a pipeline file may hold at most that many");
                            return null;
                        }
                        parts.Add(SourceSubstitution.From(token.Line, token.Value));
                        _position++;
                        continue;
                }
                break;
            }
            if (Error is not null)
                return null;
            if (parts.Count == 0)
            {
                Fail(Current.Kind == TokenKind.Newline ? line : Current.Line, $"{of} has no value (found {Current.Describe()})");
                return null;
            }
            // HOCON joins text with text, lists with lists and objects with objects; Akka's parser
            // silently drops the rest of a mixed value, so it is refused here.
            var kinds = parts.Where(p => p is not SourceSubstitution).Select(p => p is SourceLeaf ? "text" : p is SourceArray ? "a list" : "an object").Distinct().ToList();
            if (kinds.Count > 1)
            {
                Fail(parts[0].Line, $"{of} joins {string.Join(" and ", kinds)} in one value; put text in quotes or separate the values with a comma or a new line");
                return null;
            }
            // `${shared} { MORE = x }` should merge, but Akka's parser keeps only the new keys, silently.
            if (parts.Count > 1 && parts.Any(p => p is SourceSubstitution) && parts.Any(p => p is SourceObject or SourceArray))
            {
                Fail(parts[0].Line, $"{of} joins a substitution with {kinds[0]}, which Akka's parser merges wrongly (it keeps only part of it); write the whole value out");
                return null;
            }
            return new SourceValue(parts[0].Line, parts);
        }

        private SourceArray ParseArray()
        {
            var open = Current;
            _position++;
            var elements = new List<SourceValue>();
            if (!Enter(open))
                return new SourceArray(open.Line, elements);
            ParseElements(open, elements);
            _depth--;
            return new SourceArray(open.Line, elements);
        }

        // Elements up to the ']' matching `open`.
        private void ParseElements(Token open, List<SourceValue> elements)
        {
            while (Error is null)
            {
                while (Current.Kind is TokenKind.Newline or TokenKind.Comma)
                    _position++;
                var token = Current;
                switch (token.Kind)
                {
                    case TokenKind.CloseBracket:
                        _position++;
                        return;
                    case TokenKind.End:
                        Fail(open.Line, "'[' is never closed");
                        return;
                    case TokenKind.CloseBrace:
                        Fail(token.Line, $"'}}' does not match the '[' opened at line {open.Line}");
                        return;
                }
                if (!Count(token.Line))
                    return;
                var element = ParseValue(token.Line, $"element {elements.Count + 1} of the list opened at line {open.Line}");
                if (element is null)
                    return;
                elements.Add(element);
                if (Current.Kind is not (TokenKind.Newline or TokenKind.Comma or TokenKind.CloseBracket or TokenKind.End or TokenKind.CloseBrace))
                    Fail(Current.Line, $"unexpected {Current.Describe()} in the list opened at line {open.Line}");
            }
        }

        // Every key and every list element counts as a value.
        private bool Count(int line)
        {
            if (++_values <= MaxValues)
                return true;
            Fail(line, $"the file holds more than {MaxValues} values (keys and list elements); a pipeline file may hold at most that many");
            return false;
        }

        private void SkipNewlines()
        {
            while (Current.Kind == TokenKind.Newline)
                _position++;
        }

        private void Fail(int line, string message) => Error ??= new HoconSyntaxError(line, message);
    }
}

/// <summary>A syntax error at a line.</summary>
internal sealed record HoconSyntaxError(int Line, string Message);

/// <summary>A part of a value.</summary>
internal abstract record SourceNode(int Line);

/// <summary>A <c>{ ... }</c>; <see cref="SourceNode.Line"/> is that of the brace.</summary>
internal sealed record SourceObject(int Line, IReadOnlyList<SourceField> Fields) : SourceNode(Line);

/// <summary>A <c>[ ... ]</c>.</summary>
internal sealed record SourceArray(int Line, IReadOnlyList<SourceValue> Elements) : SourceNode(Line);

/// <summary>A quoted or unquoted string.</summary>
internal sealed record SourceLeaf(int Line, string Text) : SourceNode(Line);

/// <summary>A <c>${path}</c> or <c>${?path}</c>.</summary>
internal sealed record SourceSubstitution(int Line, string Path, bool Optional) : SourceNode(Line)
{
    public string Display => Optional ? $"${{?{Path}}}" : $"${{{Path}}}";

    public static SourceSubstitution From(int line, string inner)
    {
        var text = inner.Trim();
        var optional = text.StartsWith('?');
        if (optional)
            text = text[1..].Trim();
        return new SourceSubstitution(line, text.Replace("\"", "", StringComparison.Ordinal), optional);
    }
}

/// <summary>A value: its parts, concatenated.</summary>
internal sealed record SourceValue(int Line, IReadOnlyList<SourceNode> Parts);

/// <summary>A field: its key path (full path once flattened), the line of its key, its value.</summary>
internal sealed record SourceField(IReadOnlyList<string> Path, int Line, SourceValue Value);
