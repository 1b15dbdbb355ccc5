using System.Runtime.Loader;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Tests.Samples;

// Checkpoint classes the `dotnet` checkpoint type loads from this test assembly's own file. They
// run in a load context of their own, so they report through the DOC and the log, never statics.

/// <summary>
/// Inserts <c>/volatile/&lt;node&gt;</c> (arg <c>node</c>, default <c>sample</c>) with the arg
/// <c>greeting</c>, the load context it runs in and every arg key it was given. Its estimate is
/// arg <c>estimate-seconds</c>, 7 by default.
/// </summary>
public sealed class Sample(CheckpointArgs args) : ICheckpoint
{
    public TimeSpan Estimate { get; } = TimeSpan.FromSeconds(args.GetInt64("estimate-seconds") ?? 7);

    public async Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken)
    {
        context.Logger.LogInformation("sample says {Greeting}", args.GetString("greeting"));
        await context.Doc.InsertAsync("/volatile", new NewNode(args.GetString("node") ?? "sample", "Sample", PropertyMap.Of(
            ("greeting", DocValue.From(args.GetString("greeting") ?? "")),
            ("loadContext", DocValue.From(AssemblyLoadContext.GetLoadContext(GetType().Assembly)?.Name ?? "")),
            ("keys", DocValue.From(string.Join(",", args.Keys.Order(StringComparer.Ordinal)))))));
        context.Progress.Report(100, "greeted");
    }
}

/// <summary>Made with its parameterless constructor; logs that it ran.</summary>
public sealed class ParameterlessSample : ICheckpoint
{
    public TimeSpan Estimate => TimeSpan.FromSeconds(3);

    public Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken)
    {
        context.Logger.LogInformation("parameterless sample ran as {Writer}", context.Writer);
        return Task.CompletedTask;
    }
}

/// <summary>Fails by throwing.</summary>
public sealed class ThrowingSample : ICheckpoint
{
    public TimeSpan Estimate => TimeSpan.FromSeconds(1);

    public Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("the sample broke");
}

/// <summary>Not a checkpoint at all.</summary>
public sealed class NotACheckpoint
{
    public override string ToString() => "not a checkpoint";
}

/// <summary>A checkpoint the loader cannot create: its only constructor takes a string.</summary>
public sealed class NoUsableConstructorSample(string name) : ICheckpoint
{
    public TimeSpan Estimate => TimeSpan.FromSeconds(1);

    public Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken)
    {
        context.Logger.LogInformation("never created, so never says {Name}", name);
        return Task.CompletedTask;
    }
}
