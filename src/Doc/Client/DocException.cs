using Caiman.Doc.Protocol;

namespace Caiman.Doc.Client;

/// <summary>A DOC request was refused; <see cref="Error"/> says what was wrong and where. Nothing was changed.</summary>
public sealed class DocException(DocError error) : Exception(error.Message)
{
    public DocError Error { get; } = error;
}
