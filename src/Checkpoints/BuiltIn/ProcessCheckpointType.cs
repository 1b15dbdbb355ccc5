using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Caiman.Checkpoints.Pipelines;
using Caiman.Checkpoints.Processes;
using Caiman.Doc.Paths;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.BuiltIn;

/// <summary>
/// The <c>process</c> checkpoint type: runs an external process (see <see cref="ProcessRunner"/>).
/// <list type="bullet">
/// <item><c>command</c> (required): a string runs through <c>/bin/sh -c</c>; a list is the argv.
/// <c>%{path}</c> references are filled from the DOC (shell-quoted in a command line).</item>
/// <item><c>env</c>: an object of extra environment variables; values may hold <c>%{path}</c> references.</item>
/// <item><c>workdir</c>: the working directory, relative to the pipeline file's directory.</item>
/// <item><c>success-exit-codes</c>: the exit codes that mean success; <c>[0]</c> by default.</item>
/// </list>
/// An exit code not in the list, or a death by signal, fails the attempt with a
/// <see cref="ProcessFailedException"/>. In a dry run the command is logged, not run.
/// </summary>
public sealed class ProcessCheckpointType : ICheckpointType
{
    private const string Command = "command";
    private const string Env = "env";
    private const string Workdir = "workdir";
    private const string SuccessExitCodes = "success-exit-codes";
    private static readonly string[] Keys = [Command, Env, Workdir, SuccessExitCodes];

    /// <inheritdoc />
    public string Name => "process";

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(CheckpointArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var problems = new List<string>();
        ValidateCommand(args, problems);
        ValidateEnv(args, problems);
        Check(problems, () =>
        {
            if (args.GetString(Workdir) is not { } workdir) return;
            if (workdir.Length == 0) problems.Add($"'{Workdir}' must not be empty (leave it out for the pipeline file's directory)");
            else NoNul(Workdir, workdir, "a path", problems);
        });
        Check(problems, () => SuccessCodes(args, problems));
        foreach (var key in args.Keys.Where(k => !Keys.Contains(k)))
            problems.Add($"unknown key '{key}' (a process checkpoint takes {string.Join(", ", Keys)})");
        return problems;
    }

    /// <inheritdoc />
    public ICheckpoint Create(CheckpointArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var isLine = args.Get(Command) is { ValueKind: not JsonValueKind.Array };
        var words = args.GetStrings(Command) ?? throw new CheckpointArgsException(Command, "is required");
        var spec = (isLine ? ProcessSpec.ShellCommand(words[0]) : ProcessSpec.Argv([.. words])) with
        {
            Environment = (args.GetStringMap(Env) ?? new Dictionary<string, string>()).ToImmutableDictionary(StringComparer.Ordinal),
            WorkingDirectory = args.GetString(Workdir),
        };
        var written = isLine ? words[0] : string.Join(' ', words);
        return new ProcessCheckpoint(spec, written, SuccessCodes(args, problems: null));
    }

    private static void ValidateCommand(CheckpointArgs args, List<string> problems)
    {
        switch (args.Get(Command))
        {
            case null:
                problems.Add($"'{Command}' is required: a command line (run by /bin/sh -c) or a list (the argv)");
                return;
            case { ValueKind: JsonValueKind.Object }:
                problems.Add($"'{Command}' must be a command line or a list of words, not an object");
                return;
            case { ValueKind: JsonValueKind.Array } list:
                Check(problems, () =>
                {
                    var words = args.GetStrings(Command)!;
                    if (words.Count == 0) problems.Add($"'{Command}' must not be an empty list");
                    else if (words[0].Length == 0) problems.Add($"'{Command}[0]' must not be empty: it is the program to run");
                    for (var i = 0; i < words.Count; i++)
                        if (NoNul($"{Command}[{i}]", words[i], "an argument", problems)) CheckTemplate($"{Command}[{i}]", words[i], problems);
                });
                return;
            default:
                Check(problems, () =>
                {
                    var line = args.GetString(Command)!;
                    if (string.IsNullOrWhiteSpace(line)) problems.Add($"'{Command}' must not be empty");
                    else if (NoNul(Command, line, "a command line", problems)) CheckTemplate(Command, line, problems);
                });
                return;
        }
    }

    private static void ValidateEnv(CheckpointArgs args, List<string> problems) => Check(problems, () =>
    {
        foreach (var (name, value) in args.GetStringMap(Env) ?? new Dictionary<string, string>())
        {
            if (name.Length == 0 || name.Contains('=') || name.Contains('\0'))
                problems.Add($"'{Env}.{InputText.Shown(name)}' is not an environment variable name (not empty, no '=', no NUL)");
            else if (NoNul($"{Env}.{name}", value, "an environment variable", problems))
                CheckTemplate($"{Env}.{name}", value, problems);
        }
    });

    /// <summary>The success codes; when <paramref name="problems"/> is given, each bad one is reported there.</summary>
    private static ImmutableArray<int> SuccessCodes(CheckpointArgs args, List<string>? problems)
    {
        if (args.GetStrings(SuccessExitCodes) is not { } texts) return [0];
        if (texts.Count == 0) problems?.Add($"'{SuccessExitCodes}' must list at least one exit code");
        var isList = args.Get(SuccessExitCodes) is { ValueKind: JsonValueKind.Array };
        var codes = ImmutableArray.CreateBuilder<int>();
        for (var i = 0; i < texts.Count; i++)
        {
            if (int.TryParse(texts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) && code is >= 0 and <= 255)
                codes.Add(code);
            else
                problems?.Add($"'{(isList ? $"{SuccessExitCodes}[{i}]" : SuccessExitCodes)}' must be an exit code from 0 to 255, not '{texts[i]}'");
        }
        return codes.ToImmutable();
    }

    // The OS takes paths, argv and the environment as C strings: a NUL would cut them short, and .NET refuses them at launch.
    private static bool NoNul(string key, string text, string what, List<string> problems)
    {
        var at = text.IndexOf('\0', StringComparison.Ordinal);
        if (at < 0) return true;
        problems.Add($"'{key}' has a NUL character (\\u0000) at position {at + 1}, which {what} cannot hold");
        return false;
    }

    private static void CheckTemplate(string key, string text, List<string> problems)
    {
        if (!DocTemplate.TryParse(text, out _, out var error))
            problems.Add($"'{key}' has a bad %{{}} reference at position {error.Position}: {error.Reason}");
    }

    /// <summary>Runs a check, turning an arg of the wrong shape into a problem that names its key.</summary>
    private static void Check(List<string> problems, Action check)
    {
        try
        {
            check();
        }
        catch (CheckpointArgsException e)
        {
            problems.Add(e.Message);
        }
    }

    private sealed class ProcessCheckpoint(ProcessSpec spec, string command, ImmutableArray<int> successCodes) : ICheckpoint
    {
        public TimeSpan Estimate => TimeSpan.FromSeconds(1);

        public async Task ExecuteAsync(CheckpointContext context, CancellationToken cancellationToken)
        {
            if (context.DryRun)
            {
                var line = await context.Processes.RenderCommandAsync(spec).ConfigureAwait(false);
                context.Logger.LogInformation("dry run: would run {Command} in {Directory}", line, context.Processes.WorkingDirectory(spec));
                return;
            }
            var result = await context.Processes.RunAsync(spec, cancellationToken).ConfigureAwait(false);
            if (result.Signal is not null || !successCodes.Contains(result.ExitCode))
                throw new ProcessFailedException(command, result);
            context.Logger.LogDebug("'{Command}' exited with code {ExitCode} after {Duration}", command, result.ExitCode, result.Duration);
        }
    }
}
