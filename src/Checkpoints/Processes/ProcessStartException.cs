namespace Caiman.Checkpoints.Processes;

/// <summary>
/// A process could not be started: a <c>%{path}</c> reference could not be filled from the DOC,
/// the working directory is missing, <c>setsid</c> is missing, or the launch failed. Nothing ran.
/// </summary>
public sealed class ProcessStartException : Exception
{
    /// <summary>A start failure with its reason.</summary>
    public ProcessStartException(string message, Exception? innerException = null)
        : base(message, innerException) { }

    /// <summary>A <c>%{path}</c> template that could not be filled.</summary>
    public ProcessStartException(string message, string template, Exception? innerException = null)
        : base(message, innerException) => Template = template;

    /// <summary>The template that could not be filled, when that was the problem.</summary>
    public string? Template { get; }
}
