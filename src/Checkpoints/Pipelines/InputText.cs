using System.Globalization;

namespace Caiman.Checkpoints.Pipelines;

/// <summary>
/// Checks on text from outside (pipeline files, process output) that every reader of it needs:
/// halves of UTF-16 surrogate pairs, which cannot be written as UTF-8 to a journal or a log, and
/// input quoted in a message, cut short so that a message says what is wrong without echoing a megabyte.
/// </summary>
internal static class InputText
{
    /// <summary>The index of the first surrogate that is not half of a pair, or null.</summary>
    public static int? LoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i]))
                continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else
                return i;
        }
        return null;
    }

    /// <summary>The UTF-16 unit of a <c>\uXXXX</c> escape at <paramref name="at"/>, or null when there is none.</summary>
    public static char? UnicodeEscape(string text, int at) =>
        at >= 0 && at + 6 <= text.Length && text[at] == '\\' && text[at + 1] == 'u'
            && int.TryParse(text.AsSpan(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var unit)
            ? (char)unit
            : null;

    /// <summary>Whether the <c>\uXXXX</c> escape at <paramref name="at"/> is half of a surrogate pair without its other half beside it.</summary>
    public static bool IsLoneSurrogateEscape(string text, int at) => UnicodeEscape(text, at) switch
    {
        { } high when char.IsHighSurrogate(high) => UnicodeEscape(text, at + 6) is not { } low || !char.IsLowSurrogate(low),
        { } low when char.IsLowSurrogate(low) => UnicodeEscape(text, at - 6) is not { } high || !char.IsHighSurrogate(high),
        _ => false,
    };

    /// <summary>Input to quote in a message: at most <paramref name="length"/> characters, NULs written as <c>\u0000</c>.</summary>
    public static string Shown(string text, int length = 60) =>
        (text.Length <= length ? text : text[..(length - 3)] + "...").Replace("\0", "\\u0000", StringComparison.Ordinal);
}
