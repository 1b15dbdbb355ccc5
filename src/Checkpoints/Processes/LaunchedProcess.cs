using System.Diagnostics;
using System.Globalization;
using Caiman.Doc.Protocol;
using Microsoft.Extensions.Logging;

namespace Caiman.Checkpoints.Processes;

/// <summary>
/// One run of one process, from launch to the last line of output: the session (launched, swept
/// and killed by the node's <see cref="ProcessHost"/>), the output pumps and the <c>::caiman</c> requests.
/// </summary>
internal sealed class LaunchedProcess
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

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
        var host = _context.ProcessHost;
        var session = await host.OpenAsync(_command, _context.Launches, cancellationToken).ConfigureAwait(false);
        var closed = false;
        try
        {
            var duration = Stopwatch.StartNew();
            var process = session.Process;
            var stdout = Task.Run(() => PumpStdoutAsync(process.StandardOutput), CancellationToken.None);
            var stderr = Task.Run(() => PumpStderrAsync(process.StandardError), CancellationToken.None);

            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (cancellationToken.Register(() => cancelled.TrySetResult()).ConfigureAwait(false))
            {
                if (await Task.WhenAny(session.Exited, cancelled.Task).ConfigureAwait(false) != session.Exited)
                {
                    Logger.LogInformation("cancelled: stopping '{Command}' (process group {Group})", _command.Text, session.Launch.ProcessGroup);
                    if (await host.TerminateAsync(session, _context.KillGracePeriod).ConfigureAwait(false))
                        Logger.LogWarning("'{Command}' did not stop within {Grace} of SIGTERM: killed it", _command.Text, _context.KillGracePeriod);
                }
            }
            await session.Exited.ConfigureAwait(false);
            duration.Stop();

            var ended = await host.CloseAsync(session).ConfigureAwait(false);
            closed = true;
            if (ended.Leftovers > 0 && !cancellationToken.IsCancellationRequested)
                Logger.LogWarning("killed {Count} process(es) that '{Command}' left running after it exited", ended.Leftovers, _command.Text);
            await DrainAsync(stdout, stderr).ConfigureAwait(false);

            cancellationToken.ThrowIfCancellationRequested();
            return new ProcessResult(ended.Exit?.ExitCode ?? process.ExitCode, ended.Exit?.Signal, duration.Elapsed);
        }
        finally
        {
            // Whatever went wrong on the way, nothing the attempt started may outlive it.
            if (!closed) ProcessHost.Kill(session);
            await _stopReading.CancelAsync().ConfigureAwait(false);
            session.Process.Dispose();
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
