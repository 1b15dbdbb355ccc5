using System.Globalization;
using Caiman.Checkpoints;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;

namespace Caiman.Engine.Bench;

/// <summary><c>type = noop</c>: a checkpoint that does nothing, so a run of them times the engine alone.</summary>
internal sealed class NoOpCheckpointType : ICheckpointType
{
    public const string TypeName = "noop";

    public string Name => TypeName;

    public IReadOnlyList<string> Validate(CheckpointArgs args) => [];

    public ICheckpoint Create(CheckpointArgs args) => new NoOpCheckpoint();
}

internal sealed class NoOpCheckpoint : ICheckpoint
{
    public TimeSpan Estimate => TimeSpan.Zero;

    public Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// <c>type = doc-write</c>, args <c>{"index": i}</c>: inserts <c>/persistent/bench/c{i}</c> (checkpoint 0
/// first inserts <c>/persistent/bench</c> itself), so every checkpoint of a chain leaves one
/// persisted DOC change that resuming before it has to revert.
/// </summary>
internal sealed class DocWriteCheckpointType : ICheckpointType
{
    public const string TypeName = "doc-write";
    public const string Parent = "/persistent/bench";

    public string Name => TypeName;

    public IReadOnlyList<string> Validate(CheckpointArgs args) => args.GetInt64("index") is null ? ["'index' is required"] : [];

    public ICheckpoint Create(CheckpointArgs args) => new DocWriteCheckpoint((int)args.GetInt64("index")!.Value);

    public static string NodeName(int index) => "c" + index.ToString("D4", CultureInfo.InvariantCulture);

    private sealed class DocWriteCheckpoint(int index) : ICheckpoint
    {
        public TimeSpan Estimate => TimeSpan.Zero;

        public async Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken)
        {
            if (index == 0) await context.Doc.InsertAsync("/persistent", new NewNode("bench")).ConfigureAwait(false);
            await context.Doc.InsertAsync(Parent, new NewNode(NodeName(index), DocNames.DefaultKind, PropertyMap.Of(("i", DocValue.From(index))))).ConfigureAwait(false);
        }
    }
}
