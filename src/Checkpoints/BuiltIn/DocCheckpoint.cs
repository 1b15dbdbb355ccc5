using System.Collections.Immutable;
using System.Text.Json;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.BuiltIn;

/// <summary>A DOC change of a <c>doc</c> checkpoint that the DOC refused, or a value that did not read; <see cref="Entry"/> names the entry.</summary>
public sealed class DocCheckpointException(string entry, string problem, Exception? inner = null) : Exception($"{entry}: {problem}", inner)
{
    /// <summary>The entry at fault, e.g. <c>insert[1]</c> or <c>set[0].json.count</c>.</summary>
    public string Entry { get; } = entry;
}

/// <summary>Applies a <c>doc</c> checkpoint's inserts, then its sets, each entry one DOC batch.</summary>
internal sealed class DocCheckpoint(DocCheckpointArgs args) : ICheckpoint
{
    public TimeSpan Estimate => TimeSpan.FromSeconds(1);

    public async Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken)
    {
        // Dry run changes nothing outside the DOC, and this checkpoint changes nothing else: it runs as usual.
        var doc = context.Doc;
        var total = args.Inserts.Length + args.Sets.Length;
        var done = 0;
        foreach (var insert in args.Inserts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var parent = await RenderAsync(doc, insert.Parent).ConfigureAwait(false);
            var node = await NodeAsync(doc, insert.Node).ConfigureAwait(false);
            await ApplyAsync(doc, insert.Key, new Mutation.InsertChildren(parent, [node], InsertPosition.Append.Instance)).ConfigureAwait(false);
            context.Logger.LogInformation("{Entry}: inserted {Name} ({Kind}, {Count} node(s)) under {Parent}", insert.Key, node.Name, node.Kind, node.Count, parent);
            context.Progress.Report(100.0 * ++done / total, $"inserted {node.Name} under {parent}");
        }
        foreach (var set in args.Sets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = await RenderAsync(doc, set.Path).ConfigureAwait(false);
            var values = await PropertiesAsync(doc, set.Properties).ConfigureAwait(false);
            await ApplyAsync(doc, set.Key, new Mutation.SetProperties(path, values)).ConfigureAwait(false);
            context.Logger.LogInformation("{Entry}: set {Properties} on {Path}", set.Key, string.Join(", ", values.Keys), path);
            context.Progress.Report(100.0 * ++done / total, $"set {string.Join(", ", values.Keys)} on {path}");
        }
    }

    private static async Task ApplyAsync(DocClient doc, string key, Mutation mutation)
    {
        try
        {
            await doc.ApplyAsync(mutation).ConfigureAwait(false);
        }
        catch (DocException e)
        {
            throw new DocCheckpointException(key, e.Message, e);
        }
    }

    private static async Task<NewNode> NodeAsync(DocClient doc, DocNodeSpec spec)
    {
        var children = ImmutableArray.CreateBuilder<NewNode>(spec.Children.Length);
        foreach (var child in spec.Children) children.Add(await NodeAsync(doc, child).ConfigureAwait(false));
        return new NewNode(await RenderAsync(doc, spec.Name).ConfigureAwait(false), spec.Kind,
            await PropertiesAsync(doc, spec.Properties).ConfigureAwait(false), children.MoveToImmutable());
    }

    private static async Task<PropertyMap> PropertiesAsync(DocClient doc, ImmutableArray<DocPropertySpec> properties)
    {
        var values = new List<KeyValuePair<string, DocValue>>(properties.Length);
        foreach (var property in properties)
            values.Add(KeyValuePair.Create(property.Name, await ValueAsync(doc, property.Value).ConfigureAwait(false)));
        return PropertyMap.From(values);
    }

    private static async Task<DocValue> ValueAsync(DocClient doc, DocValueSpec spec)
    {
        switch (spec)
        {
            case DocValueSpec.Text text:
                return DocValue.From(await RenderAsync(doc, text.Value).ConfigureAwait(false));
            case DocValueSpec.JsonText json:
                var rendered = await RenderAsync(doc, json.Value).ConfigureAwait(false);
                try
                {
                    using var parsed = JsonDocument.Parse(rendered);
                    return DocValue.FromJson(parsed.RootElement);
                }
                catch (JsonException e)
                {
                    throw new DocCheckpointException(json.Value.Key, $"'{rendered}' is not JSON text: {e.Message}", e);
                }
            case DocValueSpec.Literal literal:
                return literal.Value;
            case DocValueSpec.List list:
                var items = ImmutableArray.CreateBuilder<DocValue>(list.Items.Length);
                foreach (var item in list.Items) items.Add(await ValueAsync(doc, item).ConfigureAwait(false));
                return new DocValue.Array(items.MoveToImmutable());
            case DocValueSpec.Map map:
                var members = new List<KeyValuePair<string, DocValue>>(map.Members.Length);
                foreach (var (name, member) in map.Members) members.Add(KeyValuePair.Create(name, await ValueAsync(doc, member).ConfigureAwait(false)));
                return new DocValue.Object(PropertyMap.From(members));
            default:
                throw new ArgumentOutOfRangeException(nameof(spec), spec, "unknown value spec");
        }
    }

    private static async Task<string> RenderAsync(DocClient doc, DocText text)
    {
        if (text.Fixed is { } fixedText) return fixedText;
        try
        {
            return await doc.SubstituteAsync(text.Template.Text).ConfigureAwait(false);
        }
        catch (DocException e)
        {
            throw new DocCheckpointException(text.Key, $"'{text.Template.Text}' could not be filled from the DOC: {e.Message}", e);
        }
    }
}
