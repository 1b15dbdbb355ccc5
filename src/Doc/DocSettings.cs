using Akka.Configuration;

namespace Caiman.Doc;

/// <summary>The <c>caiman.doc</c> section of the configuration (see reference.conf for each key).</summary>
public sealed record DocSettings(int SnapshotEvery, TimeSpan SnapshotQuietPeriod, TimeSpan AskTimeout)
{
    public static DocSettings Create(Config config)
    {
        var doc = config.GetConfig("caiman.doc") ?? Config.Empty;
        var snapshotEvery = doc.GetInt("snapshot-every", 1000);
        if (snapshotEvery < 1) throw new ArgumentException($"caiman.doc.snapshot-every must be at least 1, not {snapshotEvery}", nameof(config));
        return new DocSettings(snapshotEvery, doc.GetTimeSpan("snapshot-quiet-period", TimeSpan.FromMilliseconds(200)),
            doc.GetTimeSpan("ask-timeout", TimeSpan.FromSeconds(30)));
    }
}
