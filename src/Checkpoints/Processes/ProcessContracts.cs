using System.Collections.Immutable;

namespace Caiman.Checkpoints.Processes;

/// <summary>
/// An external process to run. <see cref="Command"/> as one string runs through <c>/bin/sh -c</c>
/// (<see cref="Shell"/> true); as a list it is the argv. <c>%{path}</c> references in the command
/// and in environment values are filled from the DOC before it starts.
/// </summary>
public sealed record ProcessSpec(ImmutableArray<string> Command, bool Shell)
{
    /// <summary>Extra environment variables (added to the engine's own environment).</summary>
    public ImmutableDictionary<string, string> Environment { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The working directory; relative to the context's base directory; null for the base directory itself.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>A command line for <c>/bin/sh -c</c>.</summary>
    public static ProcessSpec ShellCommand(string commandLine) => new([commandLine], Shell: true);

    /// <summary>An argv, run without a shell.</summary>
    public static ProcessSpec Argv(params string[] argv) => new([.. argv], Shell: false);
}

/// <summary>How a process ended. <see cref="Signal"/> is set when it was killed by one.</summary>
public sealed record ProcessResult(int ExitCode, int? Signal, TimeSpan Duration)
{
    /// <summary>Exit code 0.</summary>
    public bool Succeeded => ExitCode == 0 && Signal is null;
}

/// <summary>
/// A started process as the engine records it before letting it run: its pid, its process
/// group and session (it leads both), and its start time in clock ticks since boot (field 22
/// of <c>/proc/&lt;pid&gt;/stat</c>), which tells it apart from a later process given the same pid.
/// </summary>
public sealed record ProcessLaunch(int Pid, int ProcessGroup, long StartTime, string Command)
{
    /// <summary>
    /// The boot it was launched in (<c>/proc/sys/kernel/random/boot_id</c>): start times count from
    /// boot, so after a reboot they say nothing and the launch's processes are known to be gone.
    /// Null when unknown; such a launch is taken to be of the current boot.
    /// </summary>
    public string? BootId { get; init; }

    /// <summary>The address of the node (actor system) whose process supervisor launched it; null in journals older than nodes.</summary>
    public string? Node { get; init; }

    /// <summary>
    /// The machine it ran on (<c>/etc/machine-id</c>): a launch of another machine cannot be found
    /// in this one's <c>/proc</c>. Null when unknown; such a launch is taken to be of this machine.
    /// </summary>
    public string? Machine { get; init; }
}

/// <summary>Receives each launch before the process is let run; the engine persists it.</summary>
public interface IProcessLaunchRecorder
{
    /// <summary>Completes once the launch is durable.</summary>
    Task RecordAsync(ProcessLaunch launch);
}

/// <summary>A process that exited with a non-zero code or by a signal, for checkpoints that treat that as failure.</summary>
public sealed class ProcessFailedException(string command, ProcessResult result)
    : Exception(result.Signal is { } signal ? $"'{command}' was killed by signal {signal}" : $"'{command}' exited with code {result.ExitCode}")
{
    /// <summary>The command as written.</summary>
    public string Command { get; } = command;

    /// <summary>How it ended.</summary>
    public ProcessResult Result { get; } = result;
}
