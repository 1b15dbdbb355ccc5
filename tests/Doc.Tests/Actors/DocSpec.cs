using Akka.Configuration;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Caiman.Doc.Testing;
using Xunit.Abstractions;

namespace Caiman.Doc.Tests.Actors;

/// <summary>
/// TestKit base for DOC actor specs: every message is serialized on the way (so a message that is
/// not truly serializable, or that shares an object, fails), the journal is in memory, and
/// snapshots are taken often so recovery from a snapshot plus a journal tail gets exercised.
/// </summary>
public abstract class DocSpec(ITestOutputHelper output, Config? persistence = null)
    : Akka.TestKit.Xunit2.TestKit(SpecConfig(persistence), output: output)
{
    public static Config SpecConfig(Config? persistence = null) =>
        ConfigurationFactory.ParseString("""
            caiman.doc.snapshot-every = 5
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """)
            .WithFallback(persistence ?? Config.Empty)
            .WithFallback(Verified);

    /// <summary>Every message serialized on the way (see <see cref="VerifiedMessages"/>).</summary>
    public static readonly Config Verified = ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            caiman.doc.ask-timeout = 10s
            """).WithFallback(VerifiedMessages.Config);

    protected static readonly Writer Alice = new("run-1", "alice", 1);
    protected static readonly Writer Bob = new("run-1", "bob", 1);

    protected DocClient StartDoc(string runId = "run-1") => DocClient.Start(Sys, runId);

    protected static NewNode Node(string name, string kind = DocNames.DefaultKind, params (string Key, object? Value)[] properties) =>
        new(name, kind, DocClient.ToProperties(name, properties.ToDictionary(p => p.Key, p => p.Value)));

    /// <summary>The whole DOC as JSON text: what "unchanged" and "recovered exactly" are checked against.</summary>
    protected static async Task<string> Snapshot(DocClient doc) => (await doc.ExportAsync()).ToJsonString();

    /// <summary>
    /// Streams <paramref name="writes"/> direct writes from <paramref name="writer"/>'s client,
    /// alternating between two paths, while <paramref name="doc"/> fences that writer; then one
    /// more write after the fence, and the engine's revert. Returns the streamed replies and the
    /// late write's error.
    /// </summary>
    protected static async Task<(List<MutationResult> Replies, DocError Late)> WritesRacingAFence(
        DocClient doc, DocClient writer, Akka.TestKit.TestProbe replies, int writes, string evenPath, string oddPath)
    {
        var fence = doc.FenceAsync(writer.Writer);
        for (var i = 1; i <= writes; i++)
            writer.Tell(new Mutate(writer.Writer, [new Mutation.SetProperties(i % 2 == 0 ? evenPath : oddPath, PropertyMap.Of(("n", DocValue.From(i))))]), replies.Ref);
        await fence;
        var late = await Refused(() => writer.SetAsync(oddPath, "late", true));
        var results = replies.ReceiveN(writes, TimeSpan.FromSeconds(30)).Cast<MutationResult>().ToList();
        await doc.RevertAsync(writer.Writer);
        return (results, late);
    }

    protected static async Task<DocError> Refused(Func<Task> action)
    {
        var refused = await Assert.ThrowsAsync<DocException>(action);
        return refused.Error;
    }
}
