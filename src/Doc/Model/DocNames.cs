namespace Caiman.Doc.Model;

/// <summary>The rules for node names, kinds and property names, each answering why a value is refused.</summary>
public static class DocNames
{
    public const int MaxLength = 256;

    /// <summary>The kind given to nodes inserted without one.</summary>
    public const string DefaultKind = "Node";

    /// <summary>The kind of the two fixed roots.</summary>
    public const string RootKind = "DocRoot";

    public const string Persistent = "persistent";
    public const string Volatile = "volatile";

    /// <summary>Node names are free text (paths URL-encode them) but not empty, not too long, no control characters.</summary>
    public static string? NameProblem(string? name) => TextProblem(name, "name");

    /// <summary>Property names follow the same rule as node names.</summary>
    public static string? PropertyProblem(string? name) => TextProblem(name, "property name");

    /// <summary>Kinds are type tags written bare in paths (<c>[@Disk]</c>), so they are identifiers.</summary>
    public static string? KindProblem(string? kind)
    {
        if (string.IsNullOrEmpty(kind)) return "a kind must not be empty";
        if (kind.Length > MaxLength) return $"a kind is at most {MaxLength} characters, this one has {kind.Length}";
        return IsIdentifier(kind) ? null : $"kind '{kind}' must start with a letter or '_' and hold only letters, digits, '.', '_' and '-'";
    }

    /// <summary>^[A-Za-z_][A-Za-z0-9._-]*$, checked by hand: every inserted node's kind is checked, and a regex costs more than the insert.</summary>
    private static bool IsIdentifier(string kind)
    {
        if (!(char.IsAsciiLetter(kind[0]) || kind[0] == '_')) return false;
        for (var i = 1; i < kind.Length; i++)
            if (!(char.IsAsciiLetterOrDigit(kind[i]) || kind[i] is '.' or '_' or '-')) return false;
        return true;
    }

    private static string? TextProblem(string? text, string what)
    {
        if (string.IsNullOrEmpty(text)) return $"a {what} must not be empty";
        if (text.Length > MaxLength) return $"a {what} is at most {MaxLength} characters, this one has {text.Length}";
        foreach (var c in text)
            if (char.IsControl(c)) return $"{what} '{Uri.EscapeDataString(text)}' contains a control character";
        return HasLoneSurrogate(text) ? $"a {what} holds a lone UTF-16 surrogate" : null;
    }

    /// <summary>True when a string is not valid UTF-16 (it could not be written as UTF-8 and read back the same).</summary>
    public static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }

}
