using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Caiman.Doc.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Processes;

/// <summary>
/// One run of one process, from launch to the last line of output: the gate, the launch record,
/// the output pumps, the <c>::caiman</c> requests, cancel and the final sweep of the session.
/// </summary>
internal sealed class LaunchedProcess
{
    // setsid execs this shell in place (its child is not a group leader), so the shell, and then
    // the command it execs, has pid = process group = session id. It says it is ready (by then
    // setsid() has happened) and waits for one line on stdin; at end of file it runs nothing.
    private const string GateScript = "echo caiman-gate; read -r _ || exit 125; exec \"$@\"";
    private const string GateName = "caiman-gate";
    private const string GateReady = "caiman-gate";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private static readonly TimeSpan GateTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DeathTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly CheckpointContext _context;
    private readonly PreparedCommand _command;
    private readonly CancellationTokenSource _stopReading = new();
    private volatile Task _request = Task.CompletedTask;

    public LaunchedProcess(CheckpointContext context, PreparedCommand command)
    {
        _context = context;
        _command = command;
    }

    private ILogger Logger => _context.Logger;

    public async Task<ProcessResult> RunAsync(CancellationToken cancellationToken)
    {
        using var process = new Process { StartInfo = StartInfo() };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new ProcessStartException($"cannot start '{_command.Text}': {e.Message}", e);
        }

        var launch = await RecordLaunchAsync(process, cancellationToken).ConfigureAwait(false);
        var swept = false;
        // Opened while the gate holds the process alive, so it names this process and no later one.
        var pidfd = Libc.OpenPidFd(launch.Pid);
        Task<ChildExit?>? exitStatus = null;
        try
        {
            // Watch for the exit status before the gate opens, so the look comes before .NET's reaping.
            var watching = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            exitStatus = Task.Factory.StartNew(() => Libc.WaitForExitWithoutReaping(launch.Pid, pidfd, () => watching.TrySetResult()),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await watching.Task.ConfigureAwait(false);
            var duration = Stopwatch.StartNew();
            await OpenGateAsync(process).ConfigureAwait(false);
            var stdout = Task.Run(() => PumpStdoutAsync(process.StandardOutput), CancellationToken.None);
            var stderr = Task.Run(() => PumpStderrAsync(process.StandardError), CancellationToken.None);

            var exited = process.WaitForExitAsync(CancellationToken.None);
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (cancellationToken.Register(() => cancelled.TrySetResult()).ConfigureAwait(false))
            {
                if (await Task.WhenAny(exited, cancelled.Task).ConfigureAwait(false) != exited)
                    await TerminateAsync(launch, exited).ConfigureAwait(false);
            }
            await exited.ConfigureAwait(false);
            duration.Stop();

            var leftovers = ProcessReaper.KillOrphans(launch);
            if (leftovers > 0 && !cancellationToken.IsCancellationRequested)
                Logger.LogWarning("killed {Count} process(es) that '{Command}' left running after it exited", leftovers, _command.Text);
            await WaitForSessionGoneAsync(launch).ConfigureAwait(false);
            swept = true;
            await DrainAsync(stdout, stderr).ConfigureAwait(false);

            cancellationToken.ThrowIfCancellationRequested();
            var status = Libc.ReadPidFdExit(pidfd) ?? await ExitStatusAsync(exitStatus).ConfigureAwait(false);
            return new ProcessResult(status?.ExitCode ?? process.ExitCode, status?.Signal, duration.Elapsed);
        }
        finally
        {
            // Whatever went wrong on the way, nothing the attempt started may outlive it.
            if (!swept) KillSession(launch);
            // The watcher may still be inside waitid on the pidfd: close it only once the watcher is done.
            if (exitStatus is null) Libc.Close(pidfd);
            else _ = exitStatus.ContinueWith(_ => Libc.Close(pidfd), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private static async Task<ChildExit?> ExitStatusAsync(Task<ChildExit?> watcher)
    {
        try
        {
            // The child has exited, so the watcher is done or about to be.
            return await watcher.WaitAsync(DeathTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private ProcessStartInfo StartInfo()
    {
        var info = new ProcessStartInfo(_command.Setsid)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
            WorkingDirectory = _command.WorkingDirectory,
        };
        foreach (var argument in (string[])["/bin/sh", "-c", GateScript, GateName, .. _command.Argv]) info.ArgumentList.Add(argument);
        foreach (var (name, value) in _command.Environment) info.Environment[name] = value;
        return info;
    }

    /// <summary>Waits for the gate to be ready, reads the start time and records the launch; on any failure kills the gate.</summary>
    private async Task<ProcessLaunch> RecordLaunchAsync(Process process, CancellationToken cancellationToken)
    {
        var pid = process.Id;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(GateTimeout);
            string? ready;
            // A pipe read does not always heed a token; killing the gate ends it with end of file.
            await using (timeout.Token.Register(() => Libc.Kill(pid, Libc.SigKill)).ConfigureAwait(false))
                ready = await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (ready != GateReady)
            {
                var why = await ReadErrorsAsync(process).ConfigureAwait(false);
                throw new ProcessStartException(timeout.IsCancellationRequested
                    ? $"cannot start '{_command.Text}': its launcher did not get ready within {GateTimeout.TotalSeconds:0} s"
                    : $"cannot start '{_command.Text}': its launcher ended before running it{why}");
            }
            if (ProcFs.Read(pid) is not { } stat || stat.Session != pid || stat.ProcessGroup != pid)
                throw new ProcessStartException($"cannot start '{_command.Text}': setsid did not give it a session of its own");
            var launch = new ProcessLaunch(pid, pid, stat.StartTime, _command.Text) { BootId = ProcFs.BootId() };
            await _context.Launches.RecordAsync(launch).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return launch;
        }
        catch
        {
            // The gate is still closed, so the gate shell is all there is to kill.
            Libc.Kill(pid, Libc.SigKill);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<string> ReadErrorsAsync(Process process)
    {
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        var errors = (await process.StandardError.ReadToEndAsync(CancellationToken.None).ConfigureAwait(false)).Trim();
        return errors.Length == 0 ? $" (exit code {process.ExitCode})" : $": {errors}";
    }

    private static async Task OpenGateAsync(Process process)
    {
        try
        {
            await process.StandardInput.WriteAsync("go\n").ConfigureAwait(false);
            await process.StandardInput.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The gate died before it opened (killed from outside): its exit tells the rest.
        }
    }

    private async Task PumpStdoutAsync(StreamReader output)
    {
        var number = 0;
        while (await ReadLineAsync(output).ConfigureAwait(false) is { } line)
        {
            if (_stopReading.IsCancellationRequested) return;
            number++;
            if (ProcessRequest.IsRequest(line))
            {
                _request = HandleRequestAsync(number, line);
                await _request.ConfigureAwait(false);
            }
            else
            {
                Logger.Log(LogLevel.Information, "{Output}", line);
            }
        }
    }

    private async Task PumpStderrAsync(StreamReader errors)
    {
        while (await ReadLineAsync(errors).ConfigureAwait(false) is { } line)
            Logger.Log(LogLevel.Warning, "{Output}", line);
    }

    private async Task<string?> ReadLineAsync(StreamReader reader)
    {
        try
        {
            return await reader.ReadLineAsync(_stopReading.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task HandleRequestAsync(int number, string line)
    {
        ProcessRequest request;
        try
        {
            request = ProcessRequest.Parse(line);
        }
        catch (FormatException e)
        {
            ReportLine(number, line, $"malformed {ProcessRequest.Prefix} request: {e.Message}");
            return;
        }
        try
        {
            switch (request)
            {
                case ProcessRequest.Progress progress:
                    _context.Progress.Report(progress.Percent, progress.Message);
                    break;
                case ProcessRequest.Report report:
                    _context.Errors.Report(report.Kind, report.Message, data: LineData(number, line));
                    break;
                case ProcessRequest.Log log:
                    Logger.Log(log.Level, "{Output}", log.Message);
                    break;
                case ProcessRequest.DocSet set:
                    await _context.Doc.ApplyAsync(new Mutation.SetProperties(set.Path, set.Values)).ConfigureAwait(false);
                    break;
                case ProcessRequest.DocInsert insert:
                    await _context.Doc.InsertAsync(insert.Parent, insert.Node).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A refused DOC write fails the attempt, but the process is not stopped for it.
            ReportLine(number, line, $"{Describe(request)} failed: {e.Message}", e);
        }
    }

    private void ReportLine(int number, string line, string problem, Exception? exception = null) =>
        _context.Errors.Report(CheckpointErrorKind.Error, $"output line {number}: {problem}", exception, LineData(number, line));

    private static Dictionary<string, string> LineData(int number, string line) => new(StringComparer.Ordinal)
    {
        ["line"] = number.ToString(CultureInfo.InvariantCulture),
        ["output"] = line,
    };

    private static string Describe(ProcessRequest request) => request switch
    {
        ProcessRequest.DocSet set => $"doc set {set.Path}",
        ProcessRequest.DocInsert insert => $"doc insert {insert.Parent} {insert.Node.Name}",
        _ => request.GetType().Name.ToLowerInvariant(),
    };

    /// <summary>SIGTERM to the group, a grace period for the whole session to end, then SIGKILL.</summary>
    private async Task TerminateAsync(ProcessLaunch launch, Task exited)
    {
        Logger.LogInformation("cancelled: stopping '{Command}' (process group {Group})", _command.Text, launch.ProcessGroup);
        var grace = Stopwatch.StartNew();
        Libc.KillGroup(launch.ProcessGroup, Libc.SigTerm);
        // Jobs that moved to another group of the session get the polite signal too (once: not the
        // processes their TERM handlers start to clean up).
        ProcessReaper.Signal(launch, Libc.SigTerm, rounds: 1);
        try
        {
            await exited.WaitAsync(_context.KillGracePeriod).ConfigureAwait(false);
            // Polling /proc: there is no event for "the last process of a session ended".
            while (grace.Elapsed < _context.KillGracePeriod && ProcessReaper.Members(launch).Any())
                await Task.Delay(PollInterval).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Logger.LogWarning("'{Command}' did not stop within {Grace} of SIGTERM: killing it", _command.Text, _context.KillGracePeriod);
        }
        KillSession(launch);
    }

    private static void KillSession(ProcessLaunch launch)
    {
        Libc.KillGroup(launch.ProcessGroup, Libc.SigKill);
        ProcessReaper.KillOrphans(launch);
    }

    /// <summary>Waits until SIGKILL has done its work, so that returning means nothing of the attempt runs.</summary>
    private async Task WaitForSessionGoneAsync(ProcessLaunch launch)
    {
        var waited = Stopwatch.StartNew();
        while (ProcessReaper.Members(launch).Any())
        {
            if (waited.Elapsed > DeathTimeout)
            {
                Logger.LogWarning("processes of '{Command}' are still alive {Timeout} after SIGKILL", _command.Text, DeathTimeout);
                return;
            }
            await Task.Delay(PollInterval).ConfigureAwait(false);
            ProcessReaper.KillOrphans(launch);
        }
    }

    /// <summary>Reads the output to its end; gives up when a process that left the session holds it open.</summary>
    private async Task DrainAsync(Task stdout, Task stderr)
    {
        try
        {
            await Task.WhenAll(stdout, stderr).WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Logger.LogWarning("the output of '{Command}' is still open {Timeout} after it ended (a process of its own session holds it): no longer read",
                _command.Text, DrainTimeout);
            await _stopReading.CancelAsync().ConfigureAwait(false);
            await _request.ConfigureAwait(false);
        }
    }
}
