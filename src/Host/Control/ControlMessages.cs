using Caiman.Actors.Protocol;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Protocol;

namespace Caiman.Host.Control;

/// <summary>The body of <c>POST /runs</c>: the pipeline as validated by the client, with its absolute base directory.</summary>
public sealed record StartRunRequest(string RunId, PipelineDefinition Pipeline, IReadOnlyList<string>? PauseBefore, bool DryRun);

/// <summary>The (optional) body of <c>POST /runs/{id}/resume</c>.</summary>
public sealed record ResumeRunRequest(string? From, IReadOnlyList<string>? PauseBefore);

/// <summary>
/// The body of every refusal. <see cref="Run"/> or <see cref="Doc"/> carries the typed error (with
/// its <c>$t</c> discriminator) so that a client rethrows the exception the engine threw.
/// </summary>
public sealed record ControlError(string Message, RunError? Run = null, DocError? Doc = null);

/// <summary>The answer of <c>GET /health</c>.</summary>
public sealed record DaemonHealth(int Pid, string DataDirectory, string Version);

/// <summary>The event names of <c>GET /runs/{id}/events</c>.</summary>
public static class RunEvents
{
    /// <summary>A <see cref="RunProgress"/>.</summary>
    public const string Progress = "progress";

    /// <summary>The final <see cref="RunStatus"/>, once the run stops; the stream ends after it.</summary>
    public const string Status = "status";
}
