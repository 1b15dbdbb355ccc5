using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Caiman.Doc.Model;

namespace Caiman.Doc.Paths;

/// <summary>Thrown by <see cref="DocPathParser.Parse"/> when a path is malformed; <see cref="Error"/> says where and why.</summary>
public sealed class DocPathException : FormatException
{
    public DocPathException(PathSyntaxError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).ToString()) => Error = error;

    public PathSyntaxError Error { get; }
}

/// <summary>
/// Parses DOC paths (after the OpenSolaris installer DOC <c>find_path</c>):
/// <c>/child</c>, <c>//descendant</c>, <c>name[@Kind#count?depth]</c> and a trailing <c>.property</c>.
/// Names and property names are percent-encoded (UTF-8); see <see cref="EncodeName"/>.
/// </summary>
public static class DocPathParser
{
    /// <summary>The step that selects every child of the nodes before it: a trailing '/' is ignored after a step.</summary>
    public const string AllChildren = "//[?1]";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Parses a path, or says where and why it is malformed. Parsed paths are immutable and kept in
    /// a bounded cache shared by the whole process, so the client that routes a request and the
    /// subtree that evaluates it parse the same text once.
    /// </summary>
    public static bool TryParse(string text, [MaybeNullWhen(false)] out DocPath path, [MaybeNullWhen(true)] out PathSyntaxError error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null!;
        if (DocPathCache.TryGet(text, out path)) return true;
        var parser = new Parser(text);
        if (parser.Run(out var segments, out var property))
        {
            path = new DocPath(text, segments, property) { IsCanonical = parser.Canonical };
            DocPathCache.Add(path);
            return true;
        }
        path = null!;
        error = parser.Error!;
        return false;
    }

    public static DocPath Parse(string text) =>
        TryParse(text, out var path, out var error) ? path : throw new DocPathException(error);

    /// <summary>
    /// Percent-encodes a node or property name so it can be written as one path segment: every
    /// character except ASCII letters, digits, <c>-</c>, <c>_</c> and <c>~</c> becomes <c>%XX</c>
    /// escapes of its UTF-8 bytes (so <c>.</c> is <c>%2E</c> and <c>/</c> is <c>%2F</c>).
    /// </summary>
    public static string EncodeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var plain = true;
        foreach (var c in name)
            if (!IsUnreserved(c)) { plain = false; break; }
        if (plain) return name;

        var builder = new StringBuilder(name.Length * 3);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (IsUnreserved(c)) { builder.Append(c); continue; }
            if (Rune.DecodeFromUtf16(name.AsSpan(i), out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
                throw new ArgumentException($"name has an unpaired surrogate at index {i}", nameof(name));
            var count = rune.EncodeToUtf8(utf8);
            for (var b = 0; b < count; b++)
                builder.Append('%').Append(utf8[b].ToString("X2", CultureInfo.InvariantCulture));
            i += consumed - 1;
        }
        return builder.ToString();
    }

    /// <summary>
    /// Decodes <c>%XX</c> escapes (UTF-8) in a path segment or property name; other characters are
    /// kept as they are. Throws <see cref="DocPathException"/> on a malformed escape or invalid UTF-8.
    /// </summary>
    public static string DecodeName(string encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return TryDecode(encoded, 0, encoded.Length, out var value, out var position, out var reason)
            ? value
            : throw new DocPathException(new PathSyntaxError(encoded, position, reason));
    }

    /// <summary>
    /// The canonical path of a child: <paramref name="parentPath"/> + <c>/</c> + the encoded name.
    /// An empty parent (or <c>/</c>) is the DOC root, giving <c>/name</c>.
    /// </summary>
    public static string ChildPath(string parentPath, string childName)
    {
        ArgumentNullException.ThrowIfNull(parentPath);
        ArgumentNullException.ThrowIfNull(childName);
        if (parentPath.Length > 0 && parentPath[0] != '/')
            throw new ArgumentException($"a parent path must be empty (the DOC root) or start with '/', not '{parentPath}'", nameof(parentPath));
        if (DocNames.NameProblem(childName) is { } problem)
            throw new ArgumentException(problem, nameof(childName));
        var encoded = EncodeName(childName);
        return parentPath.EndsWith('/') ? parentPath + encoded : parentPath + "/" + encoded;
    }

    private static readonly System.Buffers.SearchValues<char> Unreserved =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~");

    private static bool IsUnreserved(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '~';

    private static bool IsKindChar(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-';

    private static string Describe(char c) =>
        char.IsWhiteSpace(c) || char.IsControl(c)
            ? $"U+{(int)c:X4} ({(c == ' ' ? "space" : "whitespace or control character")})"
            : $"'{c}'";

    /// <summary>Decodes <c>text[start..end)</c>; on failure gives the offending position in <paramref name="text"/>.</summary>
    private static bool TryDecode(string text, int start, int end, out string value, out int errorPosition, out string reason)
    {
        value = "";
        errorPosition = -1;
        reason = "";
        var span = text.AsSpan(start, end - start);
        if (span.IndexOf('%') < 0)
        {
            value = span.ToString();
            return true;
        }

        var builder = new StringBuilder(span.Length);
        var bytes = new List<byte>();
        var bytePositions = new List<int>();
        var i = start;
        while (i <= end)
        {
            // Escaped bytes are gathered until a literal character (or the end), then decoded together.
            if (i == end || text[i] != '%')
            {
                if (bytes.Count > 0)
                {
                    try
                    {
                        builder.Append(StrictUtf8.GetString(bytes.ToArray()));
                    }
                    catch (DecoderFallbackException ex)
                    {
                        errorPosition = bytePositions[Math.Clamp(ex.Index, 0, bytePositions.Count - 1)];
                        reason = "percent escapes do not form valid UTF-8";
                        return false;
                    }
                    bytes.Clear();
                    bytePositions.Clear();
                }
                if (i < end) builder.Append(text[i]);
                i++;
                continue;
            }
            if (i + 2 >= end || !IsHex(text[i + 1]) || !IsHex(text[i + 2]))
            {
                errorPosition = i;
                reason = $"malformed escape '{text[i..Math.Min(i + 3, end)]}': expected two hex digits after '%'";
                return false;
            }
            bytes.Add((byte)(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
            bytePositions.Add(i);
            i += 3;
        }
        value = builder.ToString();
        return true;
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => c - 'A' + 10,
    };

    private static readonly System.Buffers.SearchValues<char> NameEnd = System.Buffers.SearchValues.Create("/[].%");

    // A struct: one parse per request, nothing to allocate for the parser itself.
    private struct Parser
    {
        private readonly string _text;
        private int _pos;

        public Parser(string text) => _text = text;

        public PathSyntaxError? Error { get; private set; }

        /// <summary>After <see cref="Run"/>: the text is written exactly as the canonical path of what it names.</summary>
        public bool Canonical { get; private set; } = true;

        private readonly bool AtEnd => _pos >= _text.Length;

        private bool Fail(int position, string reason)
        {
            Error = new PathSyntaxError(_text, position, reason);
            return false;
        }

        public bool Run(out ImmutableArray<PathSegment> segments, out string? property)
        {
            segments = default;
            property = null;
            if (_text.Length == 0 || _text[0] != '/')
                return Fail(0, "a path must start with '/'");

            // A step per '/' at most ('//' is two for one): sized once, trimmed only when a step took two.
            var steps = new PathSegment[_text.AsSpan().Count('/')];
            var count = 0;
            while (!AtEnd)
            {
                // Every step starts at a '/'.
                var stepStart = _pos;
                var axis = PathAxis.Child;
                _pos++;
                if (!AtEnd && _text[_pos] == '/')
                {
                    axis = PathAxis.Descendant;
                    _pos++;
                    if (!AtEnd && _text[_pos] == '/')
                        return Fail(_pos, "unexpected third '/': a step starts with '/' (children) or '//' (descendants)");
                }

                // As in the original, a trailing '/' after a step is ignored ('/a/' is '/a');
                // '/' alone still means the children of the DOC root.
                if (axis == PathAxis.Child && AtEnd && count > 0)
                {
                    Canonical = false;
                    break;
                }

                var nameStart = _pos;
                PathSegment segment;
                if (Interned(axis) is { } known)
                {
                    // A plain named step seen before at the same place: its segment (and name) is shared.
                    if (axis != PathAxis.Child || _text.AsSpan(nameStart, _pos - nameStart).ContainsAnyExcept(Unreserved)) Canonical = false;
                    segment = known;
                }
                else
                {
                    if (!ParseName(out var name)) return false;
                    if (axis != PathAxis.Child || name is null || _text.AsSpan(nameStart, _pos - nameStart).ContainsAnyExcept(Unreserved))
                        Canonical = false;

                    var constraints = new Constraints();
                    if (!AtEnd && _text[_pos] == '[')
                    {
                        // Constraints may be split over brackets ('[@Disk][#1]'), as the original allowed.
                        Canonical = false;
                        while (!AtEnd && _text[_pos] == '[')
                            if (!ParseConstraints(axis, ref constraints)) return false;
                        if (!AtEnd && _text[_pos] is not ('/' or '.'))
                            return Fail(_pos, $"expected '/', '.' or the end of the path after ']', found {Describe(_text[_pos])}");
                    }
                    segment = new PathSegment(axis, name, constraints.Kind, constraints.Count, constraints.Depth, stepStart);
                    if (name is not null && segment is { Kind: null, MaxCount: null, MaxDepth: null } && _text.AsSpan(nameStart, _pos - nameStart).SequenceEqual(name))
                        SegmentCache.Add(segment);
                }
                steps[count++] = segment;

                if (!AtEnd && _text[_pos] == '.')
                {
                    Canonical = false;
                    if (!ParseProperty(out property)) return false;
                    break;
                }
            }
            if (count != steps.Length) Array.Resize(ref steps, count);
            segments = ImmutableCollectionsMarshal.AsImmutableArray(steps);
            return true;
        }

        /// <summary>
        /// The shared segment for a plain step (a name without escapes, then '/', '.' or the end) at
        /// this position, moving past its name; null (and nothing read) when there is none yet.
        /// </summary>
        private PathSegment? Interned(PathAxis axis)
        {
            var stepStart = _pos - (axis == PathAxis.Child ? 1 : 2);
            var rest = _text.AsSpan(_pos);
            var length = rest.IndexOfAny(NameEnd);
            if (length < 0) length = rest.Length;
            if (length == 0 || (length < rest.Length && rest[length] is '[' or ']' or '%')) return null;
            var found = SegmentCache.Find(axis, rest[..length], stepStart);
            if (found is not null) _pos += length;
            return found;
        }

        private bool ParseName(out string? name)
        {
            name = null;
            var start = _pos;
            while (!AtEnd && _text[_pos] is not ('/' or '[' or '.'))
            {
                if (_text[_pos] == ']')
                    return Fail(_pos, "unexpected ']' without '[' (write a ']' in a name as '%5D')");
                _pos++;
            }
            if (_pos == start) return true;
            if (!TryDecode(_text, start, _pos, out var decoded, out var errorPosition, out var reason))
                return Fail(errorPosition, reason);
            if (DocNames.NameProblem(decoded) is { } problem)
                return Fail(start, problem);
            name = decoded;
            return true;
        }

        /// <summary>The constraints of one step, gathered over its brackets; a depth of 0 means unlimited.</summary>
        private struct Constraints
        {
            public string? Kind;
            public int? Count;
            public int? Depth;
            public bool HasDepth;
        }

        private bool ParseConstraints(PathAxis axis, ref Constraints constraints)
        {
            var open = _pos;
            _pos++;
            if (!AtEnd && _text[_pos] == ']')
                return Fail(_pos, "empty '[]': expected '@kind', '#count' or '?depth' inside the brackets");
            while (true)
            {
                if (AtEnd) return Fail(open, "unterminated '[' (missing ']')");
                var c = _text[_pos];
                switch (c)
                {
                    case ']':
                        _pos++;
                        return true;
                    case '@':
                    {
                        if (constraints.Kind is not null) return Fail(_pos, "duplicate '@' (kind) constraint");
                        _pos++;
                        var start = _pos;
                        while (!AtEnd && IsKindChar(_text[_pos])) _pos++;
                        if (_pos == start) return Fail(start, "expected a kind after '@'");
                        var candidate = _text[start.._pos];
                        if (DocNames.KindProblem(candidate) is { } problem) return Fail(start, problem);
                        constraints.Kind = candidate;
                        break;
                    }
                    case '#':
                    {
                        if (constraints.Count is not null) return Fail(_pos, "duplicate '#' (max count) constraint");
                        _pos++;
                        if (!ParseNumber('#', "max count", 1, out var value)) return false;
                        constraints.Count = value;
                        break;
                    }
                    case '?':
                    {
                        if (constraints.HasDepth) return Fail(_pos, "duplicate '?' (max depth) constraint");
                        if (axis != PathAxis.Descendant) return Fail(_pos, "'?' (max depth) is only allowed on a '//' step");
                        _pos++;
                        // 0 is unlimited, as the original's max_depth (and GetDescendantsAsync) have it.
                        if (!ParseNumber('?', "max depth", 0, out var value)) return false;
                        constraints.HasDepth = true;
                        constraints.Depth = value == 0 ? null : value;
                        break;
                    }
                    default:
                        return Fail(_pos, $"unexpected {Describe(c)} in '[...]': expected '@kind', '#count', '?depth' or ']'");
                }
            }
        }

        private bool ParseNumber(char symbol, string what, int least, out int value)
        {
            value = 0;
            var start = _pos;
            while (!AtEnd && char.IsAsciiDigit(_text[_pos])) _pos++;
            if (_pos == start) return Fail(start, $"expected a number after '{symbol}'");
            if (!int.TryParse(_text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out value))
                return Fail(start, $"{what} '{_text[start.._pos]}' is too large (at most {int.MaxValue})");
            if (value < least) return Fail(start, $"{what} must be at least {least}");
            return true;
        }

        private bool ParseProperty(out string? property)
        {
            property = null;
            _pos++; // the '.'
            var start = _pos;
            while (!AtEnd && _text[_pos] is not ('/' or '[' or ']' or '.')) _pos++;
            if (_pos == start) return Fail(start, "expected a property name after '.'");
            if (!AtEnd)
            {
                return _text[_pos] == '.'
                    ? Fail(_pos, "unexpected '.' in the property name (write a '.' in a name as '%2E')")
                    : Fail(_pos, $"unexpected {Describe(_text[_pos])} after the property name: '.property' must end the path");
            }
            if (!TryDecode(_text, start, _pos, out var decoded, out var errorPosition, out var reason))
                return Fail(errorPosition, reason);
            if (DocNames.PropertyProblem(decoded) is { } problem)
                return Fail(start, problem);
            property = decoded;
            return true;
        }
    }
}

/// <summary>
/// Parsed paths by text. Requests name the same paths again and again (a checkpoint polling one
/// node, a pipeline of changes to a few), and a parsed path is immutable, so one parse can serve
/// every actor in the process. Direct-mapped: a path's slot is fixed by its hash and a newcomer
/// simply replaces what was there, so a lookup is a hash and a compare, an add is one store, and
/// a stream of distinct paths costs no more than parsing them (no locks, no eviction, no clearing).
/// </summary>
internal static class DocPathCache
{
    public const int Slots = 16384;

    // Longer texts are rare and would hold the memory of many short ones.
    private const int MaxLength = 256;

    private static readonly DocPath?[] Paths = new DocPath?[Slots];

    private static int SlotOf(string text) => text.GetHashCode() & (Slots - 1);

    public static bool TryGet(string text, [MaybeNullWhen(false)] out DocPath path)
    {
        // One read of the slot: another thread may replace it at any time, and either value is a whole path.
        var found = Volatile.Read(ref Paths[SlotOf(text)]);
        path = found!;
        return found is not null && string.Equals(found.Text, text, StringComparison.Ordinal);
    }

    public static void Add(DocPath path)
    {
        if (path.Text.Length <= MaxLength) Volatile.Write(ref Paths[SlotOf(path.Text)], path);
    }
}

/// <summary>
/// Plain path steps (<c>/name</c> at a given offset) shared between parsed paths: the paths a DOC
/// is asked about share their first steps (<c>/persistent/image/...</c>), so most of a new path's
/// segments and names were made before. Direct-mapped like <see cref="DocPathCache"/>.
/// </summary>
internal static class SegmentCache
{
    private const int Slots = 4096;

    private static readonly PathSegment?[] Segments = new PathSegment?[Slots];

    private static int SlotOf(PathAxis axis, ReadOnlySpan<char> name, int position) =>
        HashCode.Combine(string.GetHashCode(name, StringComparison.Ordinal), position, axis) & (Slots - 1);

    public static PathSegment? Find(PathAxis axis, ReadOnlySpan<char> name, int position)
    {
        var found = Volatile.Read(ref Segments[SlotOf(axis, name, position)]);
        return found is not null && found.Axis == axis && found.Position == position && name.SequenceEqual(found.Name) ? found : null;
    }

    /// <summary>Only plain steps: a name written without escapes and no constraints.</summary>
    public static void Add(PathSegment segment) =>
        Volatile.Write(ref Segments[SlotOf(segment.Axis, segment.Name, segment.Position)], segment);
}
