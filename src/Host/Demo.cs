using Akka.Actor;
using Akka.Configuration;
using Caiman.Doc;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Persistence;
using Caiman.Doc.Protocol;

namespace Caiman.Host;

/// <summary>A DOC for an image build, persisted on SQLite, shown surviving a restart and a revert.</summary>
internal static class Demo
{
    private static readonly Writer Transfer = new("demo", "transfer-files", 1);
    private static readonly Writer Manifest = new("demo", "record-manifest", 1);
    private static readonly Writer Broken = new("demo", "ba-arch-x86", 1);

    public static async Task Run(string data)
    {
        var database = Path.Combine(data, "caiman.db");
        if (File.Exists(database)) File.Delete(database);
        Console.WriteLine($"DOC journal: {database} (SQLite, WAL)");

        await WithSystem(database, async doc =>
        {
            await doc.As(Transfer).InsertAsync("/persistent", new NewNode("image", "Image", PropertyMap.Of(("dir", DocValue.From(Path.Combine(data, "image"))))).WithChildren(
                new NewNode("pkg", "Package", PropertyMap.Of(("name", DocValue.From("system/kernel")), ("version", DocValue.From("5.11")))),
                new NewNode("pkg", "Package", PropertyMap.Of(("name", DocValue.From("shell/bash")), ("version", DocValue.From("5.2"))))));
            await doc.As(Manifest).InsertAsync("/persistent/image", new NewNode("manifest", "Manifest", PropertyMap.Of(("files", DocValue.From(2)))));
            await doc.As(Broken).SetAsync("/persistent/image", "arch", "x86 (half-built)");
            await doc.As(Broken).InsertAsync("/volatile", new NewNode("scratch"));
            Console.WriteLine("\nAfter three checkpoints wrote to the DOC:");
            Print(await doc.GetAsync("/persistent/image", QueryShape.Subtree), "  ");

            var reverted = await doc.RevertAsync(Broken);
            Console.WriteLine($"\nReverted {string.Join(", ", reverted)}: its changes are gone, the others' stay.");
            var command = await doc.SubstituteAsync("tar -C %{/persistent/image.dir} -cf image.tar %{//[@Package].name}");
            Console.WriteLine($"A command filled from the DOC: {command}");
        });

        Console.WriteLine("\nActor system stopped and started again; the persistent DOC recovered from the journal:");
        await WithSystem(database, async doc =>
        {
            Print(await doc.GetAsync("/persistent/image", QueryShape.Subtree), "  ");
            Console.WriteLine($"/volatile after restart: {(await doc.GetChildrenAsync("/volatile")).Length} subtrees (memory only)");
        });
    }

    private static async Task WithSystem(string database, Func<DocClient, Task> body)
    {
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(SqlitePersistence.Config(database))
            .WithFallback(DocConfig.Default());
        var system = ActorSystem.Create("caiman", config);
        try
        {
            await body(DocClient.Start(system, "demo"));
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static void Print(DocNode node, string indent)
    {
        var properties = string.Join(", ", node.Properties.Select(p => $"{p.Key}={p.Value}"));
        Console.WriteLine($"{indent}{node.Name} [{node.Kind}] {properties}");
        foreach (var child in node.Children) Print(child, indent + "  ");
    }
}
