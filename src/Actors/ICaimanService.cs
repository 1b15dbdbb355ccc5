using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Protocol;

namespace Caiman.Actors;

/// <summary>
/// What the engine offers, whoever asks: the engine itself (<see cref="CaimanEngine"/>) implements
/// it, and a daemon's control API carries the same calls over HTTP. The engine checks everything it
/// is given (run ids, pipelines, checkpoint names), whichever way it came. Refusals are
/// <see cref="RunException"/> (run errors) and <see cref="Caiman.Doc.Client.DocException"/> (DOC
/// errors), whichever side they come from.
/// </summary>
public interface ICaimanService : IAsyncDisposable
{
    /// <summary>Where the engine runs, for messages: "in this process" or the daemon's address.</summary>
    string Where { get; }

    /// <summary>Starts a new run; the pipeline is validated as `caiman validate` validates it (<see cref="RunError.InvalidPipeline"/>).</summary>
    Task<RunStatus> StartAsync(string runId, PipelineDefinition pipeline, IReadOnlyList<string> pauseBefore, bool dryRun);

    Task<RunStatus> ResumeAsync(string runId, string? from, IReadOnlyList<string> pauseBefore);

    Task<RunStatus> PauseAsync(string runId);

    Task<RunStatus> CancelAsync(string runId);

    Task<RunStatus> StatusAsync(string runId);

    /// <summary>Every run known to the journal, oldest first; a run that cannot be read is listed as damaged, never hiding the others.</summary>
    Task<IReadOnlyList<RunStatus>> ListAsync();

    Task<IReadOnlyList<CheckpointError>> ErrorsAsync(string runId, string? checkpoint, CheckpointErrorKind? kind);

    /// <summary>Completes when the run stops; <paramref name="progress"/> sees every progress message until then.</summary>
    Task<RunStatus> WaitAsync(string runId, Action<RunProgress> progress, CancellationToken cancellationToken);

    /// <summary>The nodes (with their subtrees) or values a DOC path yields, as JSON.</summary>
    Task<string> DocGetAsync(string runId, string path);

    /// <summary>The persistent DOC as JSON.</summary>
    Task<string> DocExportAsync(string runId);

    Task<IReadOnlyList<NodeBlame>> DocBlameAsync(string runId, string path);

    /// <summary>The run's log lines (only the checkpoint's, when given); with follow, new lines until the run stops or the token fires.</summary>
    IAsyncEnumerable<string> LogAsync(string runId, string? checkpoint, bool follow, CancellationToken cancellationToken);
}
