using System.Collections.Immutable;
using Caiman.Doc.Client;
using Caiman.Doc.Paths;

namespace Caiman.Checkpoints.Processes;

/// <summary>
/// Runs external processes for one checkpoint attempt: <c>%{path}</c> references filled from the
/// DOC, output streamed into the attempt's log, <c>::caiman</c> requests on stdout honoured (see
/// <c>docs/process-protocol.md</c>), and nothing the process started left running afterwards.
/// Linux only: it needs <c>setsid</c> (util-linux) and <c>/proc</c>.
/// </summary>
/// <remarks>
/// <para>
/// Each process is started through <c>setsid</c> in a session and process group of its own,
/// behind a gate: it waits on its stdin until the launch (pid, group, start time) has been
/// recorded with <see cref="CheckpointContext.Launches"/>, so a restarted engine can always find
/// and kill what a crashed one left behind (<see cref="ProcessReaper"/>). Its stdin is then at
/// end of file.
/// </para>
/// <para>
/// On cancel the whole session gets SIGTERM, then after <see cref="CheckpointContext.KillGracePeriod"/>
/// SIGKILL; <see cref="RunAsync"/> then throws
/// <see cref="OperationCanceledException"/>. After a normal exit, whatever the process left
/// running in its session is killed too (and logged as a warning).
/// </para>
/// <para>
/// A non-zero exit is not an error here: <see cref="ProcessResult"/> says how it ended and the
/// caller decides. <see cref="ProcessResult.Signal"/> comes from the kernel's exit status, since
/// .NET alone cannot tell a process killed by signal n from one that exited with 128+n: through
/// a pidfd (Linux 6.15+ keeps the status after reaping) or else a waitid that looks without
/// reaping. In the rare case .NET reaps the child before that look (older kernels only), the
/// signal is unknown and left null, and <see cref="ProcessResult.ExitCode"/> is .NET's 128+n.
/// </para>
/// </remarks>
public sealed class ProcessRunner
{
    private const string Shell = "/bin/sh";

    // In a shell command line each value becomes one quoted shell word; elsewhere values are used as they are.
    private static readonly TemplateOptions ShellWords = new(" ", TemplateQuoting.Shell);
    private static readonly TemplateOptions Plain = new();

    private readonly CheckpointContext _context;

    /// <summary>A runner for the attempt the context belongs to.</summary>
    public ProcessRunner(CheckpointContext context) => _context = context;

    /// <summary>
    /// Runs the process to its end and returns how it ended; see the class remarks. Streams its
    /// output into the log and applies its <c>::caiman</c> requests, all of them before returning.
    /// </summary>
    /// <exception cref="ProcessStartException">It could not be started; nothing ran.</exception>
    /// <exception cref="OperationCanceledException">The token fired; the process tree was killed.</exception>
    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        cancellationToken.ThrowIfCancellationRequested();
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("external processes are run on Linux only");
        var setsid = PreparedCommand.FindSetsid();
        var (argv, text) = await FillCommandAsync(spec).ConfigureAwait(false);
        var environment = await FillEnvironmentAsync(spec).ConfigureAwait(false);
        var workingDirectory = WorkingDirectory(spec);
        if (!Directory.Exists(workingDirectory))
            throw new ProcessStartException($"cannot run '{text}': working directory '{workingDirectory}' does not exist");
        cancellationToken.ThrowIfCancellationRequested();
        var process = new LaunchedProcess(_context, new PreparedCommand(setsid, argv, text, environment, workingDirectory));
        return await process.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The command as it would run, with its <c>%{path}</c> references filled from the DOC: the
    /// command line of a shell command, the argv (quoted where needed) of one without. For dry runs.
    /// </summary>
    /// <exception cref="ProcessStartException">A reference could not be filled.</exception>
    public async Task<string> RenderCommandAsync(ProcessSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return (await FillCommandAsync(spec).ConfigureAwait(false)).Text;
    }

    /// <summary>The directory the process would start in: the spec's, relative to the base directory.</summary>
    public string WorkingDirectory(ProcessSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Path.GetFullPath(Path.Combine(_context.BaseDirectory, spec.WorkingDirectory ?? ""));
    }

    private async Task<(ImmutableArray<string> Argv, string Text)> FillCommandAsync(ProcessSpec spec)
    {
        if (spec.Command.IsDefaultOrEmpty) throw new ArgumentException("a process needs a command", nameof(spec));
        if (spec.Shell)
        {
            if (spec.Command.Length != 1) throw new ArgumentException("a shell command is one command line", nameof(spec));
            var line = await FillAsync(spec.Command[0], ShellWords, "command").ConfigureAwait(false);
            return ([Shell, "-c", line], line);
        }
        var argv = ImmutableArray.CreateBuilder<string>(spec.Command.Length);
        for (var i = 0; i < spec.Command.Length; i++)
            argv.Add(await FillAsync(spec.Command[i], Plain, $"command[{i}]").ConfigureAwait(false));
        var words = argv.MoveToImmutable();
        return (words, string.Join(' ', words.Select(ShellWord)));
    }

    private async Task<ImmutableDictionary<string, string>> FillEnvironmentAsync(ProcessSpec spec)
    {
        var environment = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in spec.Environment)
            environment[name] = await FillAsync(value, Plain, $"env {name}").ConfigureAwait(false);
        // The engine's own variables win over the spec's: a process may trust them.
        environment["CAIMAN_RUN_ID"] = _context.RunId;
        environment["CAIMAN_CHECKPOINT"] = _context.Checkpoint;
        environment["CAIMAN_ATTEMPT"] = _context.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return environment.ToImmutable();
    }

    private async Task<string> FillAsync(string template, TemplateOptions options, string where)
    {
        // Most commands hold no reference: skip the round trip to the DOC.
        if (!template.Contains("%{", StringComparison.Ordinal)) return template;
        try
        {
            return await _context.Doc.SubstituteAsync(template, options).ConfigureAwait(false);
        }
        catch (DocException e)
        {
            throw new ProcessStartException($"cannot fill the %{{}} references of {where} '{template}': {e.Message}", template, e);
        }
    }

    /// <summary>An argv element as a shell word, so the command text reads (and pastes) as one line.</summary>
    private static string ShellWord(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>A command ready to start: the filled argv, its text for messages, the environment additions and the directory.</summary>
internal sealed record PreparedCommand(
    string Setsid,
    ImmutableArray<string> Argv,
    string Text,
    ImmutableDictionary<string, string> Environment,
    string WorkingDirectory)
{
    private static readonly string[] SetsidLocations = ["/usr/bin/setsid", "/bin/setsid"];

    /// <summary>The setsid program (util-linux), which every process is started through.</summary>
    /// <exception cref="ProcessStartException">It is not installed.</exception>
    public static string FindSetsid() => SetsidLocations.FirstOrDefault(File.Exists)
        ?? throw new ProcessStartException($"cannot start processes: setsid (util-linux) is in neither {string.Join(" nor ", SetsidLocations)}");
}
