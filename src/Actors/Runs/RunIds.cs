namespace Caiman.Actors.Runs;

/// <summary>
/// What a run id may be, checked in one place for every entry point (the engine refuses any
/// command naming another): 1 to 128 characters from <c>A-Z a-z 0-9 . _ -</c>, and not
/// <c>.</c> or <c>..</c>, since a run's files live in a directory named after it.
/// </summary>
public static class RunIds
{
    public const int MaxLength = 128;

    /// <summary>Why <paramref name="id"/> cannot be a run id, or null when it can.</summary>
    public static string? Problem(string? id)
    {
        if (string.IsNullOrEmpty(id)) return "it is empty";
        if (id.Length > MaxLength) return $"it is {id.Length} characters long; at most {MaxLength} are allowed";
        if (id is "." or "..") return "'.' and '..' name directories, not runs";
        for (var i = 0; i < id.Length; i++)
        {
            var c = id[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') continue;
            var shown = char.IsControl(c) || char.IsWhiteSpace(c) || char.IsSurrogate(c) || c > '~' ? $"U+{(int)c:X4}" : $"'{c}'";
            return $"character {shown} at position {i + 1} is not allowed; use letters, digits, '.', '_' and '-'";
        }
        return null;
    }

    /// <summary>Whether <paramref name="id"/> can be a run id.</summary>
    public static bool IsValid(string? id) => Problem(id) is null;
}
