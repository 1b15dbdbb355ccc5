using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Processes;

/// <summary>
/// A <c>::caiman</c> line a process wrote on its stdout: a request to the engine rather than a
/// log line. The grammar is documented in <c>docs/process-protocol.md</c>.
/// </summary>
internal abstract partial record ProcessRequest
{
    public const string Prefix = "::caiman";

    private ProcessRequest() { }

    /// <summary><c>progress &lt;percent&gt; [message...]</c></summary>
    public sealed record Progress(double Percent, string? Message) : ProcessRequest;

    /// <summary><c>doc set &lt;path&gt; &lt;key&gt;=&lt;value&gt;...</c></summary>
    public sealed record DocSet(string Path, PropertyMap Values) : ProcessRequest;

    /// <summary><c>doc insert &lt;parent-path&gt; &lt;name&gt; [kind=&lt;Kind&gt;] [&lt;key&gt;=&lt;value&gt;...]</c></summary>
    public sealed record DocInsert(string Parent, NewNode Node) : ProcessRequest;

    /// <summary><c>error &lt;message&gt;</c> and <c>warning &lt;message&gt;</c></summary>
    public sealed record Report(CheckpointErrorKind Kind, string Message) : ProcessRequest;

    /// <summary><c>log &lt;level&gt; &lt;message&gt;</c></summary>
    public sealed record Log(LogLevel Level, string Message) : ProcessRequest;

    /// <summary>Whether the line is meant as a request (it may still be malformed).</summary>
    public static bool IsRequest(string line) =>
        line.StartsWith(Prefix, StringComparison.Ordinal) && (line.Length == Prefix.Length || line[Prefix.Length] is ' ' or '\t');

    /// <summary>Parses a request line.</summary>
    /// <exception cref="FormatException">The line is malformed; the message says how.</exception>
    public static ProcessRequest Parse(string line)
    {
        if (!IsRequest(line)) throw new FormatException($"a request starts with '{Prefix} '");
        // Stdout is read as UTF-8, which cannot produce one; a caller handing text over can.
        if (InputText.LoneSurrogate(line) is { } lone)
            throw new FormatException($"character U+{(int)line[lone]:X4} at column {lone + 1} is half of a UTF-16 surrogate pair: the line is not valid Unicode");
        var cursor = new Cursor(line, Prefix.Length);
        var verb = cursor.Word() ?? throw new FormatException("a request needs a verb: progress, doc, error, warning or log");
        var request = verb switch
        {
            "progress" => ParseProgress(cursor),
            "doc" => ParseDoc(cursor),
            "error" => new Report(CheckpointErrorKind.Error, RestAsMessage(cursor, verb)),
            "warning" => new Report(CheckpointErrorKind.Warning, RestAsMessage(cursor, verb)),
            "log" => ParseLog(cursor),
            _ => throw new FormatException($"unknown request '{InputText.Shown(verb)}' (known: progress, doc, error, warning, log)"),
        };
        return request;
    }

    private static Progress ParseProgress(Cursor cursor)
    {
        var text = cursor.Word() ?? throw new FormatException("'progress' needs a percentage");
        var number = text.EndsWith('%') ? text[..^1] : text;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) || !double.IsFinite(percent))
            throw new FormatException($"'progress' needs a number from 0 to 100, not '{InputText.Shown(text)}'");
        var message = cursor.Rest();
        return new Progress(percent, message.Length == 0 ? null : message);
    }

    private static ProcessRequest ParseDoc(Cursor cursor)
    {
        var action = cursor.Word() ?? throw new FormatException("'doc' needs an action: set or insert");
        switch (action)
        {
            case "set":
            {
                var path = cursor.Word() ?? throw new FormatException("'doc set' needs a path");
                var values = Assignments(cursor);
                if (values.Count == 0) throw new FormatException("'doc set' needs at least one key=value");
                return new DocSet(path, Properties(values));
            }
            case "insert":
            {
                var parent = cursor.Word() ?? throw new FormatException("'doc insert' needs a parent path");
                var name = cursor.Word() ?? throw new FormatException("'doc insert' needs the new node's name");
                var values = Assignments(cursor);
                var kind = DocNames.DefaultKind;
                if (values.FindIndex(v => v.Key == "kind") is var at and >= 0)
                {
                    kind = values[at].Value is DocValue.String s ? s.Value : throw new FormatException("'kind' must be a name, not a JSON value");
                    if (DocNames.KindProblem(kind) is { } problem) throw new FormatException(problem);
                    values.RemoveAt(at);
                }
                return new DocInsert(parent, new NewNode(name, kind, Properties(values)));
            }
            default:
                throw new FormatException($"unknown doc action '{InputText.Shown(action)}' (known: set, insert)");
        }
    }

    private static Log ParseLog(Cursor cursor)
    {
        var name = cursor.Word() ?? throw new FormatException("'log' needs a level");
        var level = name.ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "info" or "information" => LogLevel.Information,
            "warn" or "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "critical" => LogLevel.Critical,
            _ => throw new FormatException($"unknown log level '{InputText.Shown(name)}' (known: trace, debug, info, warning, error, critical)"),
        };
        return new Log(level, RestAsMessage(cursor, "log " + name));
    }

    private static string RestAsMessage(Cursor cursor, string verb)
    {
        var message = cursor.Rest();
        return message.Length > 0 ? message : throw new FormatException($"'{verb}' needs a message");
    }

    // In key order: PropertyMap inserts each entry into a sorted array, so a line of unsorted keys costs the square of their number.
    private static PropertyMap Properties(List<KeyValuePair<string, DocValue>> values) =>
        PropertyMap.From(values.OrderBy(v => v.Key, StringComparer.Ordinal));

    private static List<KeyValuePair<string, DocValue>> Assignments(Cursor cursor)
    {
        var values = new List<KeyValuePair<string, DocValue>>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (cursor.Assignment() is { } assignment)
        {
            if (DocNames.PropertyProblem(assignment.Key) is { } problem) throw new FormatException(problem);
            if (!keys.Add(assignment.Key)) throw new FormatException($"'{InputText.Shown(assignment.Key)}' is given twice");
            values.Add(assignment);
        }
        return values;
    }

    /// <summary>
    /// The first <c>\uXXXX</c> escape in JSON text that decodes to half a surrogate pair without
    /// its other half, or null. System.Text.Json reads such a string only to fail later, outside
    /// any JsonException, so it is looked for first.
    /// </summary>
    private static string? LoneSurrogateEscape(string json)
    {
        for (var i = 0; i < json.Length; i++)
        {
            if (json[i] != '\\') continue;
            if (InputText.IsLoneSurrogateEscape(json, i)) return json.Substring(i, 6);
            i++; // the escaped character, so that \\u is no escape
        }
        return null;
    }

    private static void RefuseLoneSurrogateEscape(string json, string what)
    {
        if (LoneSurrogateEscape(json) is { } escape)
            throw new FormatException($"{what} has the escape {escape}, half of a UTF-16 surrogate pair without its other half: text must be valid Unicode");
    }

    /// <summary>A bare value that is a JSON literal: true, false, null or a number.</summary>
    [GeneratedRegex(@"^(true|false|null|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)$")]
    private static partial Regex JsonLiteral();

    /// <summary>Reads words, quoted strings and key=value pairs off a line, left to right.</summary>
    private sealed class Cursor(string text, int position)
    {
        private int _position = position;

        /// <summary>The rest of the line, trimmed: a free-text message.</summary>
        public string Rest()
        {
            var rest = text[_position..].Trim();
            _position = text.Length;
            return rest;
        }

        /// <summary>The next word: bare up to the next space, or a JSON string in double quotes. Null at the end.</summary>
        public string? Word()
        {
            SkipSpaces();
            if (_position >= text.Length) return null;
            if (text[_position] == '"') return QuotedString();
            var start = _position;
            while (_position < text.Length && !IsSpace(text[_position])) _position++;
            return text[start.._position];
        }

        /// <summary>The next <c>key=value</c>; null at the end of the line.</summary>
        public KeyValuePair<string, DocValue>? Assignment()
        {
            SkipSpaces();
            if (_position >= text.Length) return null;
            string key;
            if (text[_position] == '"')
            {
                key = JsonString(ScanString());
            }
            else
            {
                var start = _position;
                while (_position < text.Length && text[_position] != '=' && !IsSpace(text[_position])) _position++;
                key = text[start.._position];
            }
            if (_position >= text.Length || text[_position] != '=')
                throw new FormatException($"expected key=value, not '{InputText.Shown(key)}'");
            _position++;
            return new(key, Value(key));
        }

        private DocValue Value(string key)
        {
            if (_position >= text.Length || IsSpace(text[_position])) return DocValue.From("");
            string raw;
            switch (text[_position])
            {
                case '"':
                    raw = ScanString();
                    break;
                case '[' or '{':
                    raw = ScanBrackets(key);
                    break;
                default:
                    var start = _position;
                    while (_position < text.Length && !IsSpace(text[_position])) _position++;
                    raw = text[start.._position];
                    if (!JsonLiteral().IsMatch(raw)) return DocValue.From(raw);
                    break;
            }
            EndOfToken();
            RefuseLoneSurrogateEscape(raw, $"the value of '{InputText.Shown(key)}'");
            try
            {
                using var json = JsonDocument.Parse(raw);
                return DocValue.FromJson(json.RootElement);
            }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                throw new FormatException($"the value of '{InputText.Shown(key)}' is not valid JSON: {e.Message}");
            }
        }

        private string QuotedString()
        {
            var value = JsonString(ScanString());
            EndOfToken();
            return value;
        }

        /// <summary>The raw text of a JSON string starting at the cursor, quotes included.</summary>
        private string ScanString()
        {
            var start = _position++;
            while (_position < text.Length)
            {
                var c = text[_position++];
                if (c == '\\') _position++;
                else if (c == '"') return text[start.._position];
            }
            throw new FormatException($"unterminated quoted string starting at column {start + 1}");
        }

        /// <summary>The raw text of a JSON array or object starting at the cursor, up to its matching bracket.</summary>
        private string ScanBrackets(string key)
        {
            var start = _position;
            var depth = 0;
            while (_position < text.Length)
            {
                switch (text[_position])
                {
                    case '"':
                        ScanString();
                        continue;
                    case '[' or '{':
                        depth++;
                        break;
                    case ']' or '}':
                        depth--;
                        break;
                }
                _position++;
                if (depth == 0) return text[start.._position];
            }
            throw new FormatException($"the value of '{InputText.Shown(key)}' has an unclosed '{text[start]}'");
        }

        private static string JsonString(string raw)
        {
            RefuseLoneSurrogateEscape(raw, $"quoted string {InputText.Shown(raw)}");
            try
            {
                return JsonSerializer.Deserialize<string>(raw) ?? "";
            }
            catch (JsonException e)
            {
                throw new FormatException($"bad quoted string {InputText.Shown(raw)}: {e.Message}");
            }
        }

        private void EndOfToken()
        {
            if (_position < text.Length && !IsSpace(text[_position]))
                throw new FormatException($"expected a space after column {_position}, not '{text[_position]}'");
        }

        private void SkipSpaces()
        {
            while (_position < text.Length && IsSpace(text[_position])) _position++;
        }

        private static bool IsSpace(char c) => c is ' ' or '\t';
    }
}
