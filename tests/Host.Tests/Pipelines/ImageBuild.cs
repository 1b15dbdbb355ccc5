using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;

namespace Caiman.Host.Tests.Pipelines;

/// <summary>
/// The repository's image-build pipeline run by the real `caiman` executable in a directory of
/// its own: a data directory, and a TMPDIR so that the build lands in this test's directory
/// (the pipeline builds in <c>$TMPDIR/caiman-build/&lt;run id&gt;</c>) and no two tests share one.
/// </summary>
public sealed class ImageBuild : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public static readonly string[] Checkpoints =
    [
        "prepare", "create-build-dir", "transfer-files", "set-image-attributes", "ba-arch-x86", "ba-arch-arm",
        "create-archive-gz", "create-archive-fast", "checksums", "summary",
    ];

    public ImageBuild()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("caiman-image-build-").FullName;
        Data = Path.Combine(Directory, "data");
        Temp = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "tmp")).FullName;
    }

    /// <summary>config/pipelines/image-build.conf of the repository these tests were built from.</summary>
    public static string PipelineFile { get; } = Path.Combine(RepositoryRoot(), "config", "pipelines", "image-build.conf");

    public string Directory { get; }

    public string Data { get; }

    /// <summary>The TMPDIR caiman and its checkpoints get.</summary>
    public string Temp { get; }

    /// <summary>Runs caiman with <c>--data</c> and this TMPDIR to its end.</summary>
    public async Task<CaimanResult> Caiman(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CaimanProcess.Dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.ArgumentList.Add("--data");
        start.ArgumentList.Add(Data);
        start.Environment["TMPDIR"] = Temp;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"caiman {string.Join(' ', args)} did not exit within {Patience}");
        }
        return new CaimanResult(string.Join(' ', args), process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The run's whole DOC, as `caiman doc RUN export` prints it.</summary>
    public async Task<JsonElement> DocAsync(string runId)
    {
        var export = await Caiman("doc", runId, "export");
        export.AssertExit(0);
        using var parsed = JsonDocument.Parse(export.Stdout);
        return parsed.RootElement.Clone();
    }

    public static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    /// <summary>Every file under a directory, relative and sorted, with its content's digest.</summary>
    public static SortedDictionary<string, string> Snapshot(string directory) =>
        new(System.IO.Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(directory, f), Sha256), StringComparer.Ordinal);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Caiman.Actors.sln"))) return directory.FullName;
        throw new InvalidOperationException($"no Caiman.Actors.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>What one caiman command did.</summary>
public sealed record CaimanResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public void AssertExit(int expected) =>
        Assert.True(ExitCode == expected, $"caiman {Command}: expected exit {expected}, got {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}");

    /// <summary>
    /// Each checkpoint's state and attempts, from the table `caiman run`, `resume` and `list` end
    /// with (`name state attempts ...`, the word "attempts" optional).
    /// </summary>
    public IReadOnlyDictionary<string, (string State, int Attempts)> Table()
    {
        var table = new Dictionary<string, (string, int)>(StringComparer.Ordinal);
        foreach (var line in Stdout.Split('\n'))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w != "attempts").ToArray();
            if (words.Length >= 3 && words[1] is "pending" or "running" or "completed" or "failed" or "cancelled" && int.TryParse(words[2], out var attempts))
                table[words[0]] = (words[1], attempts);
        }
        return table;
    }

    /// <summary>The attempts of each of the pipeline's checkpoints, in the pipeline's order.</summary>
    public int[] Attempts()
    {
        var table = Table();
        return [.. ImageBuild.Checkpoints.Select(name => table.TryGetValue(name, out var row) ? row.Attempts : -1)];
    }
}

/// <summary>Reading the exported DOC (nodes with name, kind, properties and children).</summary>
public static class DocJson
{
    /// <summary>The node at a path of names from /persistent, e.g. ("artifacts", "gz").</summary>
    public static JsonElement Node(JsonElement doc, params string[] names)
    {
        var nodes = doc.GetProperty("persistent");
        JsonElement node = default;
        foreach (var name in names)
        {
            node = Assert.Single(nodes.EnumerateArray(), n => n.GetProperty("name").GetString() == name);
            nodes = node.GetProperty("children");
        }
        return node;
    }

    public static IEnumerable<JsonElement> Children(JsonElement node, string kind) =>
        node.GetProperty("children").EnumerateArray().Where(c => c.GetProperty("kind").GetString() == kind);

    /// <summary>Every node of a kind anywhere under /persistent.</summary>
    public static IEnumerable<JsonElement> All(JsonElement doc, string kind)
    {
        var stack = new Stack<JsonElement>(doc.GetProperty("persistent").EnumerateArray().Reverse());
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (node.GetProperty("kind").GetString() == kind) yield return node;
            foreach (var child in node.GetProperty("children").EnumerateArray().Reverse()) stack.Push(child);
        }
    }

    /// <summary>A property as text: a string as it is, anything else as its JSON.</summary>
    public static string Text(JsonElement node, string property)
    {
        var value = node.GetProperty("properties").GetProperty(property);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
    }

    public static long Number(JsonElement node, string property) => node.GetProperty("properties").GetProperty(property).GetInt64();
}
