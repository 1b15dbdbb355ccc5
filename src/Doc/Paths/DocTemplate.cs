using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Caiman.Doc.Client;
using Caiman.Doc.Protocol;

namespace Caiman.Doc.Paths;

/// <summary>How each substituted value is quoted.</summary>
public enum TemplateQuoting
{
    /// <summary>The value as it is.</summary>
    None,

    /// <summary><c>"v"</c> with <c>\</c> and <c>"</c> backslash-escaped.</summary>
    Double,

    /// <summary><c>'v'</c> with <c>'</c> doubled (SQL style).</summary>
    Single,

    /// <summary>POSIX shell single quoting: <c>'v'</c> with <c>'</c> written <c>'\''</c>.</summary>
    Shell,
}

/// <summary>How a reference's values are rendered: each quoted, then joined with <see cref="Separator"/>.</summary>
public sealed record TemplateOptions(string Separator = ",", TemplateQuoting Quoting = TemplateQuoting.None);

/// <summary>A piece of a <see cref="DocTemplate"/>: literal text or a <c>%{path}</c> reference.</summary>
public abstract record TemplatePart
{
    private TemplatePart() { }

    public sealed record Literal(string Text) : TemplatePart;

    /// <summary>
    /// A <c>%{path}</c>; <see cref="Position"/> is the offset of its <c>%</c> in the template.
    /// <see cref="Optional"/> (written <c>%{?path}</c>) lets it yield nothing.
    /// </summary>
    public sealed record Reference(DocPath Path, int Position, bool Optional = false) : TemplatePart
    {
        /// <summary>The reference as written: <c>%{path}</c> or <c>%{?path}</c>.</summary>
        public string Text => "%{" + (Optional ? "?" : "") + Path.Text + "}";
    }
}

/// <summary>
/// A string with <c>%{path}</c> references to DOC values, used to pass them to commands.
/// A reference must yield at least one value: one that matches nothing is an error
/// (<see cref="DocError.TemplatePathEmpty"/>, naming the template and the path), so that a typo in
/// <c>rm -rf %{/persistent/build.dirr}/image</c> cannot run <c>rm -rf /image</c>. Where an absent
/// value is meant, <c>%{?path}</c> renders nothing instead.
/// <c>%%{</c> is a literal <c>%{</c>; a <c>%</c> not followed by <c>{</c> is a literal <c>%</c>.
/// Escapes are read left to right, so <c>%%%{</c> is a literal <c>%</c> followed by the escape <c>%%{</c>.
/// </summary>
public sealed record DocTemplate(string Text, ImmutableArray<TemplatePart> Parts)
{
    public bool HasReferences => Parts.Any(p => p is TemplatePart.Reference);

    public static DocTemplate Parse(string text) =>
        TryParse(text, out var template, out var error) ? template : throw new DocPathException(error);

    public static bool TryParse(string text, [MaybeNullWhen(false)] out DocTemplate template, [MaybeNullWhen(true)] out PathSyntaxError error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = ImmutableArray.CreateBuilder<TemplatePart>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '%' && i + 2 < text.Length && text[i + 1] == '%' && text[i + 2] == '{')
            {
                literal.Append("%{");
                i += 3;
                continue;
            }
            if (c == '%' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = MatchingBrace(text, i + 2);
                if (close < 0)
                {
                    template = null!;
                    error = new PathSyntaxError(text, i, "unterminated '%{' (missing '}')");
                    return false;
                }
                var optional = text[i + 2] == '?';
                var start = i + 2 + (optional ? 1 : 0);
                var inner = text[start..close];
                if (!DocPathParser.TryParse(inner, out var path, out var pathError))
                {
                    template = null!;
                    error = new PathSyntaxError(text, pathError.Position + start, pathError.Reason);
                    return false;
                }
                if (literal.Length > 0)
                {
                    parts.Add(new TemplatePart.Literal(literal.ToString()));
                    literal.Clear();
                }
                parts.Add(new TemplatePart.Reference(path, i, optional));
                i = close + 1;
                continue;
            }
            literal.Append(c);
            i++;
        }
        if (literal.Length > 0) parts.Add(new TemplatePart.Literal(literal.ToString()));
        template = new DocTemplate(text, parts.ToImmutable());
        error = null!;
        return true;
    }

    /// <summary>
    /// Replaces each reference with its values, quoted per <see cref="TemplateOptions.Quoting"/> and
    /// joined with <see cref="TemplateOptions.Separator"/>. A reference with no values throws
    /// <see cref="DocException"/> (<see cref="DocError.TemplatePathEmpty"/>) unless it is optional
    /// (<c>%{?path}</c>), which renders as nothing.
    /// </summary>
    public async ValueTask<string> RenderAsync(Func<DocPath, ValueTask<IReadOnlyList<string>>> resolve, TemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        options ??= new TemplateOptions();
        var output = new StringBuilder();
        foreach (var part in Parts)
        {
            switch (part)
            {
                case TemplatePart.Literal literal:
                    output.Append(literal.Text);
                    break;
                case TemplatePart.Reference reference:
                    var values = await resolve(reference.Path).ConfigureAwait(false);
                    if (values.Count == 0 && !reference.Optional)
                        throw new DocException(new DocError.TemplatePathEmpty(Text, reference.Path.Text, reference.Position));
                    for (var v = 0; v < values.Count; v++)
                    {
                        if (v > 0) output.Append(options.Separator);
                        output.Append(Quote(values[v], options.Quoting));
                    }
                    break;
            }
        }
        return output.ToString();
    }

    /// <summary>Quotes one value.</summary>
    internal static string Quote(string value, TemplateQuoting quoting) => quoting switch
    {
        TemplateQuoting.None => value,
        TemplateQuoting.Double => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
        TemplateQuoting.Single => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'",
        TemplateQuoting.Shell => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'",
        _ => throw new ArgumentOutOfRangeException(nameof(quoting), quoting, "unknown quoting"),
    };

    /// <summary>Structural equality (a record compares <see cref="ImmutableArray{T}"/> by reference otherwise).</summary>
    public bool Equals(DocTemplate? other) =>
        other is not null && Text == other.Text && Parts.AsSpan().SequenceEqual(other.Parts.AsSpan());

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Text;

    /// <summary>The index of the '}' closing a '{' whose contents start at <paramref name="start"/>, or -1.</summary>
    private static int MatchingBrace(string text, int start)
    {
        var depth = 1;
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '{') depth++;
            else if (text[i] == '}' && --depth == 0) return i;
        }
        return -1;
    }
}
