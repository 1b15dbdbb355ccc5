namespace Caiman.Host.Control;

/// <summary>The control API could not be used: no daemon answers, or it refused for a reason that is no run or DOC error.</summary>
public sealed class DaemonException(string message, int? httpStatus = null, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The HTTP status of the refusal, when there was an answer.</summary>
    public int? HttpStatus { get; } = httpStatus;
}
