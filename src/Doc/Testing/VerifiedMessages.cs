using Akka.Configuration;

namespace Caiman.Doc.Testing;

/// <summary>
/// Configuration for tests: every message is serialized on the way (so a message that is not
/// truly serializable, or that shares an object, fails), except the journals' own local envelopes
/// (see <see cref="JournalEnvelopeSerializer"/>).
/// </summary>
public static class VerifiedMessages
{
    /// <summary>serialize-messages on, with the journal envelopes passed through; falls back to the DOC defaults.</summary>
    public static Config Config { get; } = ConfigurationFactory.ParseString("""
            akka.actor.serialize-messages = on
            akka.actor.serializers.journal-envelope = "Caiman.Doc.Testing.JournalEnvelopeSerializer, Caiman.Doc"
            akka.actor.serialization-bindings {
              "Akka.Persistence.Journal.AsyncWriteJournal+Desequenced, Akka.Persistence" = journal-envelope
              "Akka.Persistence.Sql.Journal.Types.WriteFinished, Akka.Persistence.Sql" = journal-envelope
            }
            """).WithFallback(DocConfig.Default());

    /// <summary>In-memory journal and snapshot store, on top of <see cref="Config"/>.</summary>
    public static Config InMemory { get; } = ConfigurationFactory.ParseString("""
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """).WithFallback(Config);
}
