using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace Caiman.Checkpoints.Tests.Pipelines;

/// <summary>Runs one hostile input under bounds of time and memory, and shows inputs in failure messages.</summary>
internal static partial class HostileInput
{
    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own, with the default stack size of a pool
    /// thread. An exception, taking longer than <paramref name="bound"/> (a hang) or allocating more
    /// than <paramref name="maxBytes"/> fails the case, naming the input. A hung thread cannot be
    /// stopped; it is left behind as a background thread and the case fails.
    /// </summary>
    public static T Run<T>(string input, Func<T> work, TimeSpan bound, long maxBytes)
    {
        T result = default!;
        Exception? escaped = null;
        var allocated = 0L;
        var thread = new Thread(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                escaped = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }) { IsBackground = true, Name = "hostile input" };
        thread.Start();
        if (!thread.Join(bound))
            throw new XunitException($"no answer within {bound.TotalSeconds} s for {Show(input)}");
        if (escaped is not null)
            throw new XunitException($"{escaped.GetType().Name} escaped for {Show(input)}:\n{escaped}");
        if (allocated > maxBytes)
            throw new XunitException($"{allocated:N0} bytes allocated (at most {maxBytes:N0}) for {Show(input)}");
        return result;
    }

    /// <summary>The input as a C# string literal, cut to a readable length.</summary>
    public static string Show(string input)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in input.Length <= 2_000 ? input : input[..2_000])
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ when c < ' ' || char.IsSurrogate(c) || c > '~' => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        builder.Append('"');
        if (input.Length > 2_000)
            builder.Append(CultureInfo.InvariantCulture, $" (first 2000 of {input.Length} characters)");
        return builder.ToString();
    }

    /// <summary>The pipeline texts of this project's specs, and the shipped image-build pipeline: seeds to mutate.</summary>
    public static IReadOnlyList<string> Seeds { get; } = LoadSeeds();

    private static List<string> LoadSeeds()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "Seeds");
        var seeds = new List<string> { File.ReadAllText(Path.Combine(directory, "image-build.conf")) };
        foreach (var spec in Directory.GetFiles(directory, "*.cs").Order(StringComparer.Ordinal))
        {
            var source = File.ReadAllText(spec);
            seeds.AddRange(RawString().Matches(source).Select(m => m.Groups[1].Value));
            seeds.AddRange(QuotedString().Matches(source).Select(m => Unescape(m.Groups[1].Value)));
        }
        return [.. seeds.Where(s => s.Contains("pipeline", StringComparison.Ordinal) || s.Contains("checkpoints", StringComparison.Ordinal)).Distinct()];
    }

    // Enough of C#'s escapes for the strings these specs hold.
    private static string Unescape(string text) => Regex.Replace(text, @"\\(u[0-9A-Fa-f]{4}|.)", m => m.Groups[1].Value switch
    {
        "n" => "\n",
        "t" => "\t",
        "r" => "\r",
        "0" => "\0",
        var u when u.Length == 5 => ((char)int.Parse(u.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToString(),
        var other => other,
    });

    [GeneratedRegex("\"\"\"\\r?\\n([\\s\\S]*?)\\r?\\n\\s*\"\"\"")]
    private static partial Regex RawString();

    [GeneratedRegex("(?<![\"$@])\"((?:[^\"\\\\\\n]|\\\\.)*)\"")]
    private static partial Regex QuotedString();
}
