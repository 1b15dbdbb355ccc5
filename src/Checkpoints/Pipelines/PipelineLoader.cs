using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Pipelines;

/// <summary>
/// Reads a pipeline file (HOCON, see the pipeline format reference) into a validated
/// <see cref="PipelineDefinition"/>, or into every problem found, each with file, line and checkpoint.
/// </summary>
public static partial class PipelineLoader
{
    /// <summary>
    /// The largest pipeline file read, in bytes (4 MiB): far more than any real pipeline needs, and
    /// little enough that validating one stays quick and small. Longer text is refused unread.
    /// </summary>
    internal const int MaxFileBytes = 4 * 1024 * 1024;

    private const int MaxNameLength = 256;
    private const int MaxSuggestions = 100;
    private const int MaxArgsDepth = 64;

    private static readonly string[] PipelineKeys = ["name", "description", "stop-on-error", "parallelism", "isolation", "checkpoints"];

    private static readonly HashSet<string> EngineKeys = new(StringComparer.Ordinal)
    {
        "name", "type", "after", "estimate", "retries", "timeout", "stop-on-error", "description", "role", "log-level", "isolation",
    };

    private static readonly string[] RetryKeys = ["count", "backoff", "factor"];

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Reads and validates the file at <paramref name="path"/>. A missing or unreadable file, one
    /// that is not a regular file (a directory, a FIFO, a device) and one of more than 4 MiB are a
    /// problem (line 0), not an exception; a FIFO or a device is refused without being read. The pipeline's <see cref="PipelineDefinition.SourceFile"/>
    /// is the path as given and its <see cref="PipelineDefinition.BaseDirectory"/> the file's directory.
    /// </summary>
    public static PipelineLoadResult Load(string path, CheckpointTypes types)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(types);
        if (!PipelineFile.TryRead(path, MaxFileBytes, out var text, out var reason))
            return Failed(path, $"cannot read pipeline file '{path.Replace("\0", "\\u0000", StringComparison.Ordinal)}': {reason}");
        return Parse(text, path, Path.GetDirectoryName(Path.GetFullPath(path)) ?? "", types);
    }

    /// <summary>
    /// Validates pipeline text. <paramref name="fileName"/> names the file in problems and gives
    /// the pipeline's default name; <paramref name="baseDirectory"/> becomes the pipeline's
    /// <see cref="PipelineDefinition.BaseDirectory"/>.
    /// </summary>
    public static PipelineLoadResult Parse(string text, string fileName, string baseDirectory, CheckpointTypes types)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        ArgumentNullException.ThrowIfNull(types);
        var problems = new Problems(fileName);
        if (text.Length > MaxFileBytes)
        {
            problems.Add(0, null, $"the pipeline text is {text.Length} characters long; a pipeline file may be at most {MaxFileBytes / (1024 * 1024)} MiB ({MaxFileBytes} bytes)");
            return problems.Result();
        }

        var source = HoconSource.Scan(text);
        foreach (var error in source.Errors)
            problems.Add(error.Line, null, $"malformed HOCON: {error.Message}");
        if (problems.Any)
            return problems.Result();

        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(source.PreparedText);
        }
        catch (Exception e)
        {
            var (line, message) = DescribeParserError(e, source);
            problems.Add(line, null, $"malformed HOCON: {message}");
            return problems.Result();
        }

        var map = PipelineSourceMap.From(source);
        var pipeline = config.Root is { } root && root.IsObject() && root.GetObject().Items.TryGetValue("pipeline", out var block) && !block.IsEmpty
            ? block
            : null;
        if (pipeline is null)
        {
            problems.Add(0, null, "no 'pipeline' block: the file must define pipeline { name = ..., checkpoints = [ ... ] }");
            return problems.Result();
        }
        if (!pipeline.IsObject())
        {
            problems.Add(map.PipelineLine, null, "'pipeline' must be a block: pipeline { name = ..., checkpoints = [ ... ] }");
            return problems.Result();
        }

        var items = pipeline.GetObject().Items;
        foreach (var key in items.Keys.Where(k => !PipelineKeys.Contains(k)))
            problems.Add(map.PipelineKeyLine(key), null, $"unknown key '{InputText.Shown(key)}' in the pipeline block; known keys: {string.Join(", ", PipelineKeys)}");

        var pipelineKey = new KeyReader(problems, null, map.PipelineKeyLine);
        var name = items.TryGetValue("name", out var nameValue) ? pipelineKey.Leaf("name", nameValue) : DefaultName(fileName);
        var description = items.TryGetValue("description", out var descriptionValue) ? pipelineKey.Leaf("description", descriptionValue) : null;
        var stopOnError = items.TryGetValue("stop-on-error", out var stopValue) ? pipelineKey.Boolean("stop-on-error", stopValue) : true;
        int? parallelism = items.TryGetValue("parallelism", out var parallelismValue) ? pipelineKey.Integer("parallelism", parallelismValue, minimum: 1) : null;
        var isolation = items.TryGetValue("isolation", out var isolationValue) ? pipelineKey.Isolation(isolationValue) : null;
        if (name is { Length: 0 })
            problems.Add(map.PipelineKeyLine("name"), null, "'name' of the pipeline is empty");

        var entries = ReadEntries(items, map, problems);
        CheckNames(entries, problems);
        ResolveDependencies(entries, problems);
        CheckTypesAndArgs(entries, types, baseDirectory, problems);

        if (problems.Any)
            return problems.Result();
        var checkpoints = entries.Select(e => e.ToDefinition()).ToImmutableArray();
        var definition = new PipelineDefinition(name!, description, stopOnError ?? true, parallelism, checkpoints)
        {
            SourceFile = fileName,
            BaseDirectory = baseDirectory,
            Isolation = isolation,
        };
        return new PipelineLoadResult(definition, []);
    }

    private static PipelineLoadResult Failed(string path, string message) =>
        new(null, [new PipelineProblem(path, 0, null, message)]);

    private static string DefaultName(string fileName)
    {
        var name = Path.GetFileNameWithoutExtension(fileName);
        return string.IsNullOrEmpty(name) ? "pipeline" : name;
    }

    // Akka's parser says "Unknown token at position 712: <snippet>" (an offset into its input) or
    // "Unresolved substitution: x.y" (no position): map both back to a line of the file.
    internal static (int Line, string Message) DescribeParserError(Exception e, HoconSource source)
    {
        var first = e.Message.Split('\n', 2)[0].Trim().TrimEnd(':');
        if (PositionPattern().Match(first) is { Success: true } position)
        {
            var line = source.LineOfPrepared(int.Parse(position.Groups[1].Value, CultureInfo.InvariantCulture));
            return (line, PositionPattern().Replace(first, "").Trim());
        }
        if (UnresolvedPattern().Match(first) is { Success: true } unresolved)
        {
            var path = unresolved.Groups[1].Value.Trim();
            var index = source.Text.IndexOf("${" + path, StringComparison.Ordinal);
            if (index < 0)
                index = source.Text.IndexOf("${?" + path, StringComparison.Ordinal);
            return (index < 0 ? 0 : source.LineOf(index), $"substitution ${{{path}}} cannot be resolved");
        }
        return (0, first.Length > 0 ? first : e.GetType().Name);
    }

    [GeneratedRegex(@"\s*at position (\d+)")]
    private static partial Regex PositionPattern();

    [GeneratedRegex(@"^Unresolved substitution:\s*(.+)$")]
    private static partial Regex UnresolvedPattern();

    [GeneratedRegex(@"'([^']+)'")]
    private static partial Regex QuotedKeyPattern();

    // ---- entries ----

    private static List<Entry> ReadEntries(Dictionary<string, HoconValue> items, PipelineSourceMap map, Problems problems)
    {
        var entries = new List<Entry>();
        if (!items.TryGetValue("checkpoints", out var checkpoints) || checkpoints.IsEmpty)
        {
            problems.Add(map.PipelineLine, null, "the pipeline has no 'checkpoints': add checkpoints = [ { name = ..., type = ... } ]");
            return entries;
        }
        if (!IsList(checkpoints))
        {
            problems.Add(map.CheckpointsLine, null, "'checkpoints' must be a list of entries: checkpoints = [ { name = ..., type = ... } ]");
            return entries;
        }
        var elements = Elements(checkpoints).ToList();
        if (elements.Count == 0)
        {
            problems.Add(map.CheckpointsLine, null, "'checkpoints' is empty: a pipeline needs at least one checkpoint");
            return entries;
        }
        for (var index = 0; index < elements.Count; index++)
        {
            var source = map.Entry(index);
            if (!elements[index].IsObject())
            {
                problems.Add(source.Line, null, $"entry {index + 1} of 'checkpoints' must be an object: {{ name = ..., type = ... }}");
                continue;
            }
            entries.Add(ReadEntry(index, elements[index].GetObject().Items, source, problems));
        }
        return entries;
    }

    private static Entry ReadEntry(int index, Dictionary<string, HoconValue> items, EntrySource source, Problems problems)
    {
        var unnamed = new KeyReader(problems, null, source.LineOf);
        var name = items.TryGetValue("name", out var nameValue) ? unnamed.Leaf("name", nameValue) : null;
        var entry = new Entry(source, name);
        var key = new KeyReader(problems, name, source.LineOf);
        if (name is null && !items.ContainsKey("name"))
            problems.Add(source.Line, null, $"entry {index + 1} of 'checkpoints' has no 'name'");

        if (items.TryGetValue("type", out var typeValue))
            entry.Type = key.Leaf("type", typeValue);
        else
            entry.MissingType = true;
        if (items.TryGetValue("after", out var afterValue))
            entry.After = key.Names("after", afterValue);
        if (items.TryGetValue("estimate", out var estimateValue))
            entry.Estimate = key.Duration("estimate", estimateValue, allowZero: true);
        if (items.TryGetValue("timeout", out var timeoutValue))
            entry.Timeout = key.Duration("timeout", timeoutValue, allowZero: false);
        if (items.TryGetValue("retries", out var retriesValue))
            entry.Retries = key.Retries(retriesValue);
        if (items.TryGetValue("stop-on-error", out var stopValue))
            entry.StopOnError = key.Boolean("stop-on-error", stopValue);
        if (items.TryGetValue("description", out var descriptionValue))
            entry.Description = key.Leaf("description", descriptionValue);
        if (items.TryGetValue("role", out var roleValue))
            entry.Role = key.Leaf("role", roleValue);
        if (items.TryGetValue("log-level", out var levelValue))
            entry.LogLevel = key.LogLevel(levelValue);
        if (items.TryGetValue("isolation", out var isolationValue))
            entry.Isolation = key.Isolation(isolationValue);

        try
        {
            entry.Args = CheckpointArgs.FromJson(ToJson(items.Where(kv => !EngineKeys.Contains(kv.Key))));
        }
        catch (ArgsTooDeepException e)
        {
            problems.Add(source.LineOf(e.Key), name, $"'{e.Key}' is nested more than {MaxArgsDepth} levels deep");
        }
        return entry;
    }

    private static void CheckNames(List<Entry> entries, Problems problems)
    {
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Name is not { } name)
                continue;
            var line = entry.Source.LineOf("name");
            if (NameProblem(name) is { } problem)
                problems.Add(line, name, problem);
            if (firstLine.TryGetValue(name, out var first))
                problems.Add(line, name, $"duplicate name '{InputText.Shown(name)}': defined at lines {first} and {line}");
            else
                firstLine[name] = line;
        }
    }

    /// <summary>Why <paramref name="name"/> is not a valid checkpoint name, or null when it is.</summary>
    internal static string? NameProblem(string name)
    {
        if (name.Length == 0)
            return "invalid name: it is empty";
        if (name.Length > MaxNameLength)
            return $"invalid name: it is {name.Length} characters long; at most {MaxNameLength} are allowed";
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
                continue;
            var shown = char.IsControl(c) || char.IsWhiteSpace(c) && c != ' ' ? $"U+{(int)c:X4}" : $"'{c}'";
            return $"invalid name '{InputText.Shown(name)}': character {shown} at position {i + 1} is not allowed; use letters, digits, '.', '_' and '-'";
        }
        return null;
    }

    private static void ResolveDependencies(List<Entry> entries, Problems problems)
    {
        var names = entries.Where(e => e.Name is not null).Select(e => e.Name!).Distinct().ToList();
        var known = names.ToHashSet(StringComparer.Ordinal);
        var suggestions = 0;
        Entry? previous = null;
        foreach (var entry in entries)
        {
            // Without `after` an entry follows the one before it, so a plain list stays sequential.
            entry.Dependencies = entry.After ?? (previous?.Name is { } before ? [before] : []);
            previous = entry;
            if (entry.Name is not { } name || entry.After is null)
                continue;
            var line = entry.Source.LineOf("after");
            foreach (var dependency in entry.After)
            {
                if (dependency == name)
                    problems.Add(line, name, "'after' names the checkpoint itself");
                else if (!known.Contains(dependency))
                {
                    // A suggestion costs a comparison with every name: only the first few unknown names get one.
                    var suggestion = ++suggestions <= MaxSuggestions ? ClosestName(dependency, names) : null;
                    problems.Add(line, name, $"'after' names unknown checkpoint '{InputText.Shown(dependency)}'{(suggestion is null ? "" : $"; did you mean '{suggestion}'?")}");
                }
            }
        }

        // Cycles among the entries whose names and dependencies are otherwise fine.
        var firstOfName = entries.Where(e => e.Name is not null).DistinctBy(e => e.Name).ToList();
        var graph = new PipelineGraph(firstOfName.Select(e =>
            (e.Name!, (IEnumerable<string>)e.Dependencies.Where(d => d != e.Name && known.Contains(d)).ToList())));
        foreach (var cycle in graph.FindCycles())
        {
            var entry = firstOfName.First(e => e.Name == cycle[0]);
            var line = entry.After is null ? entry.Source.Line : entry.Source.LineOf("after");
            problems.Add(line, cycle[0], $"dependency cycle: {string.Join(" -> ", cycle.Append(cycle[0]))} (each runs after the one before it)");
        }
    }

    private static void CheckTypesAndArgs(List<Entry> entries, CheckpointTypes types, string baseDirectory, Problems problems)
    {
        var known = string.Join(", ", types.Names);
        foreach (var entry in entries)
        {
            if (entry.MissingType)
            {
                problems.Add(entry.Source.Line, entry.Name, $"no 'type'; known types: {known}");
                continue;
            }
            if (entry.Type is not { } typeName)
                continue;
            if (!types.TryGet(typeName, out var type))
            {
                problems.Add(entry.Source.LineOf("type"), entry.Name, $"unknown type '{InputText.Shown(typeName)}'; known types: {known}");
                continue;
            }
            if (entry.Args is not { } args)
                continue;
            try
            {
                var messages = type is IBaseDirectoryValidation relative ? relative.Validate(args, baseDirectory) : type.Validate(args);
                foreach (var message in messages)
                    problems.Add(LineOfMessage(entry.Source, message, null), entry.Name, message);
            }
            catch (CheckpointArgsException e)
            {
                problems.Add(LineOfMessage(entry.Source, e.Message, e.Key), entry.Name, e.Message);
            }
            catch (Exception e)
            {
                // A type that throws while validating must not take the loader down with it.
                problems.Add(entry.Source.Line, entry.Name, $"type '{InputText.Shown(typeName)}' failed while checking the args: {e.Message}");
            }
        }
    }

    // The line of the key a message names (`'command' is required`), else the entry's.
    private static int LineOfMessage(EntrySource source, string message, string? key)
    {
        var candidates = key is null ? QuotedKeyPattern().Matches(message).Select(m => m.Groups[1].Value) : [key];
        foreach (var candidate in candidates)
        {
            var root = candidate.Split('[', '.')[0];
            if (source.Keys.TryGetValue(root, out var line))
                return line;
        }
        return source.Line;
    }

    /// <summary>The known name closest to <paramref name="name"/> when one is close enough to be a typo.</summary>
    internal static string? ClosestName(string name, IEnumerable<string> names)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        // Names longer than a name may be are no typo of one, and comparing them costs their lengths' product.
        if (name.Length > MaxNameLength)
            return null;
        foreach (var candidate in names.Where(n => n.Length <= MaxNameLength))
        {
            var distance = string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase) ? 0 : EditDistance(name, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best is not null && bestDistance <= Math.Max(1, Math.Min(name.Length, best.Length) / 3) ? best : null;
    }

    // Edits (insert, delete, replace, swap two neighbours) between two names: "biuld" is one from "build".
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    // ---- values ----

    /// <summary>
    /// A HOCON duration: a number and a unit (ms, s, m, h, d, or their long names), a bare number
    /// being seconds. Null when the text is not one.
    /// </summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        var match = DurationPattern().Match(text);
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            return null;
        var milliseconds = match.Groups[2].Value switch
        {
            "ms" or "milli" or "millis" or "millisecond" or "milliseconds" => 1.0,
            "" or "s" or "second" or "seconds" => 1_000.0,
            "m" or "minute" or "minutes" => 60_000.0,
            "h" or "hour" or "hours" => 3_600_000.0,
            "d" or "day" or "days" => 86_400_000.0,
            _ => double.NaN,
        } * amount;
        return double.IsFinite(milliseconds) && milliseconds < TimeSpan.MaxValue.TotalMilliseconds ? TimeSpan.FromMilliseconds(milliseconds) : null;
    }

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")]
    private static partial Regex DurationPattern();

    private static string ToJson(IEnumerable<KeyValuePair<string, HoconValue>> items)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, JsonOptions))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in items)
            {
                if (value.IsEmpty)
                    continue;
                writer.WritePropertyName(key);
                try
                {
                    WriteJson(writer, value, 1);
                }
                catch (ArgsTooDeepException)
                {
                    throw new ArgsTooDeepException(key);
                }
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    // Objects stay objects, lists arrays, and every leaf a string: HOCON does not say whether 5 is text or a number.
    private static void WriteJson(Utf8JsonWriter writer, HoconValue value, int depth)
    {
        if (depth > MaxArgsDepth)
            throw new ArgsTooDeepException("");
        if (value.IsObject())
        {
            writer.WriteStartObject();
            foreach (var (key, item) in value.GetObject().Items)
            {
                if (item.IsEmpty)
                    continue;
                writer.WritePropertyName(key);
                WriteJson(writer, item, depth + 1);
            }
            writer.WriteEndObject();
        }
        else if (IsList(value))
        {
            writer.WriteStartArray();
            foreach (var item in Elements(value))
                WriteJson(writer, item, depth + 1);
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteStringValue(value.GetString() ?? "");
        }
    }

    // Akka's parser reads `[ ]` as a list holding one empty value, and `[]` as a value that is
    // neither list nor text: both are taken here as the empty list.
    private static bool IsList(HoconValue value) => value.IsArray() || value.Values.Any(e => e is HoconArray);

    private static IEnumerable<HoconValue> Elements(HoconValue value) =>
        value.IsArray() ? value.GetArray().Where(e => !e.IsEmpty) : [];

    private sealed class ArgsTooDeepException(string key) : Exception($"'{key}' is nested too deeply")
    {
        public string Key { get; } = key;
    }

    /// <summary>Reads engine keys, adding a problem (at the key's line) for each bad value.</summary>
    private sealed class KeyReader(Problems problems, string? checkpoint, Func<string, int> lineOf)
    {
        public string? Leaf(string key, HoconValue value)
        {
            if (value.IsObject() || IsList(value))
            {
                problems.Add(lineOf(key), checkpoint, $"'{key}' must be a single value, not {(value.IsObject() ? "an object" : "a list")}");
                return null;
            }
            return value.GetString() ?? "";
        }

        public bool? Boolean(string key, HoconValue value)
        {
            var text = Leaf(key, value);
            switch (text?.Trim().ToLowerInvariant())
            {
                case null:
                    return null;
                case "true" or "yes" or "on":
                    return true;
                case "false" or "no" or "off":
                    return false;
                default:
                    problems.Add(lineOf(key), checkpoint, $"'{key}' must be true or false, not '{InputText.Shown(text)}'");
                    return null;
            }
        }

        public int? Integer(string key, HoconValue value, int minimum) => Integer(key, Leaf(key, value), minimum, key);

        private int? Integer(string key, string? text, int minimum, string lineKey)
        {
            if (text is null)
                return null;
            if (int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= minimum)
                return number;
            problems.Add(lineOf(lineKey), checkpoint, $"'{key}' must be a whole number of at least {minimum}, not '{InputText.Shown(text)}'");
            return null;
        }

        public TimeSpan? Duration(string key, HoconValue value, bool allowZero) => Duration(key, Leaf(key, value), allowZero, key);

        private TimeSpan? Duration(string key, string? text, bool allowZero, string lineKey)
        {
            if (text is null)
                return null;
            var duration = ParseDuration(text);
            if (duration is null)
                problems.Add(lineOf(lineKey), checkpoint, $"'{key}' must be a duration such as 500ms, 2s, 10m, 1h or 1d (a bare number is seconds), not '{InputText.Shown(text)}'");
            else if (duration == TimeSpan.Zero && !allowZero)
                problems.Add(lineOf(lineKey), checkpoint, $"'{key}' must be longer than zero");
            else
                return duration;
            return null;
        }

        public ImmutableArray<string>? Names(string key, HoconValue value)
        {
            if (value.IsObject())
            {
                problems.Add(lineOf(key), checkpoint, $"'{key}' must be a checkpoint name or a list of them, not an object");
                return null;
            }
            if (!IsList(value))
                return [Leaf(key, value)!];
            var names = new List<string>();
            foreach (var item in Elements(value))
            {
                if (item.IsObject() || IsList(item))
                {
                    problems.Add(lineOf(key), checkpoint, $"'{key}' must list checkpoint names, not {(item.IsObject() ? "objects" : "lists")}");
                    return null;
                }
                names.Add(item.GetString() ?? "");
            }
            return [.. names.Distinct()];
        }

        public RetryPolicy? Retries(HoconValue value)
        {
            if (IsList(value))
            {
                problems.Add(lineOf("retries"), checkpoint, "'retries' must be a count or an object { count = 3, backoff = 2s, factor = 2 }, not a list");
                return null;
            }
            if (!value.IsObject())
                return Integer("retries", value, minimum: 0) is { } count ? Policy(count, TimeSpan.FromSeconds(1), 2) : null;

            var items = value.GetObject().Items;
            var ok = true;
            foreach (var unknown in items.Keys.Where(k => !RetryKeys.Contains(k)))
            {
                problems.Add(lineOf("retries"), checkpoint, $"unknown key '{InputText.Shown(unknown)}' in 'retries'; known keys: {string.Join(", ", RetryKeys)}");
                ok = false;
            }
            int? retryCount = null;
            if (items.TryGetValue("count", out var countValue))
                ok &= (retryCount = Integer("retries.count", Leaf("retries.count", countValue), 0, "retries")) is not null;
            else
            {
                problems.Add(lineOf("retries"), checkpoint, "'retries' needs a 'count'");
                ok = false;
            }
            var backoff = TimeSpan.FromSeconds(1);
            if (items.TryGetValue("backoff", out var backoffValue))
            {
                var parsed = Duration("retries.backoff", Leaf("retries.backoff", backoffValue), allowZero: true, "retries");
                ok &= parsed is not null;
                backoff = parsed ?? backoff;
            }
            var factor = 2.0;
            if (items.TryGetValue("factor", out var factorValue) && Leaf("retries.factor", factorValue) is { } factorText)
            {
                if (double.TryParse(factorText.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed) && parsed >= 1)
                    factor = parsed;
                else
                {
                    problems.Add(lineOf("retries"), checkpoint, $"'retries.factor' must be a number of at least 1, not '{InputText.Shown(factorText)}'");
                    ok = false;
                }
            }
            return ok && retryCount is { } n ? Policy(n, backoff, factor) : null;
        }

        private static RetryPolicy Policy(int count, TimeSpan backoff, double factor) =>
            count == 0 ? RetryPolicy.None : new RetryPolicy(count, backoff, factor);

        public CheckpointIsolation? Isolation(HoconValue value)
        {
            var text = Leaf("isolation", value);
            if (text is null) return null;
            if (CheckpointIsolations.TryParse(text, out var isolation)) return isolation;
            problems.Add(lineOf("isolation"), checkpoint, $"'isolation' must be {CheckpointIsolations.Names}; not '{text}'");
            return null;
        }

        public LogLevel? LogLevel(HoconValue value)
        {
            var text = Leaf("log-level", value);
            switch (text?.Trim().ToLowerInvariant())
            {
                case null: return null;
                case "trace": return Microsoft.Extensions.Logging.LogLevel.Trace;
                case "debug": return Microsoft.Extensions.Logging.LogLevel.Debug;
                case "information" or "info": return Microsoft.Extensions.Logging.LogLevel.Information;
                case "warning" or "warn": return Microsoft.Extensions.Logging.LogLevel.Warning;
                case "error": return Microsoft.Extensions.Logging.LogLevel.Error;
                case "critical": return Microsoft.Extensions.Logging.LogLevel.Critical;
                case "none": return Microsoft.Extensions.Logging.LogLevel.None;
                default:
                    problems.Add(lineOf("log-level"), checkpoint, $"'log-level' must be one of trace, debug, information, warning, error, critical, none; not '{InputText.Shown(text)}'");
                    return null;
            }
        }
    }

    /// <summary>One entry while it is being checked.</summary>
    private sealed class Entry(EntrySource source, string? name)
    {
        public EntrySource Source { get; } = source;
        public string? Name { get; } = name;
        public string? Type { get; set; }
        public bool MissingType { get; set; }
        public ImmutableArray<string>? After { get; set; }
        public ImmutableArray<string> Dependencies { get; set; } = [];
        public CheckpointArgs? Args { get; set; }
        public TimeSpan? Estimate { get; set; }
        public TimeSpan? Timeout { get; set; }
        public RetryPolicy? Retries { get; set; }
        public bool? StopOnError { get; set; }
        public string? Description { get; set; }
        public string? Role { get; set; }
        public LogLevel? LogLevel { get; set; }
        public CheckpointIsolation? Isolation { get; set; }

        // Only called when there were no problems, so every required part is present.
        public CheckpointDefinition ToDefinition() => new(Name!, Type!, Args!, Dependencies)
        {
            Estimate = Estimate,
            Retries = Retries ?? RetryPolicy.None,
            Timeout = Timeout,
            StopOnError = StopOnError,
            Description = Description,
            Role = Role,
            LogLevel = LogLevel ?? Microsoft.Extensions.Logging.LogLevel.Information,
            Isolation = Isolation,
            Line = Source.Line,
        };
    }

    private sealed class Problems(string file)
    {
        private readonly List<PipelineProblem> _problems = [];

        public bool Any => _problems.Count > 0;

        public void Add(int line, string? checkpoint, string message) => _problems.Add(new PipelineProblem(file, line, checkpoint, message));

        // In file order; problems of the whole file (line 0) first.
        public PipelineLoadResult Result() => new(null, [.. _problems.OrderBy(p => p.Line)]);
    }
}
