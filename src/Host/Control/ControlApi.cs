using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Caiman.Actors;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Doc.Client;
using Caiman.Doc.Protocol;
using Caiman.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Caiman.Host.Control;

/// <summary>
/// The daemon's HTTP+JSON endpoints, one per <see cref="ICaimanService"/> call (see
/// docs/control-api.md). Refusals are a status code and a <see cref="ControlError"/>.
/// </summary>
internal static class ControlApi
{
    public static void MapControlApi(this IEndpointRouteBuilder app, string dataDirectory)
    {
        var version = typeof(ControlApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        app.MapGet("/health", Reply((_, _) => Task.FromResult(new DaemonHealth(Environment.ProcessId, dataDirectory, version))));

        app.MapPost("/runs", Reply(async (http, service) =>
        {
            var request = await Body<StartRunRequest>(http) ?? throw new BadRequest("a body {runId, pipeline, pauseBefore, dryRun} is required");
            if (string.IsNullOrWhiteSpace(request.RunId) || request.Pipeline is null) throw new BadRequest("runId and pipeline are required");
            return await service.StartAsync(request.RunId, request.Pipeline, request.PauseBefore ?? [], request.DryRun);
        }));
        app.MapGet("/runs", Reply((_, service) => service.ListAsync()));
        app.MapGet("/runs/{id}", Reply((http, service) => service.StatusAsync(RunId(http))));
        app.MapPost("/runs/{id}/pause", Reply((http, service) => service.PauseAsync(RunId(http))));
        app.MapPost("/runs/{id}/cancel", Reply((http, service) => service.CancelAsync(RunId(http))));
        app.MapPost("/runs/{id}/resume", Reply(async (http, service) =>
        {
            var request = await Body<ResumeRunRequest>(http);
            return await service.ResumeAsync(RunId(http), request?.From, request?.PauseBefore ?? []);
        }));
        app.MapGet("/runs/{id}/errors", Reply((http, service) =>
            service.ErrorsAsync(RunId(http), Query(http, "checkpoint"), Kind(Query(http, "kind")))));
        app.MapGet("/runs/{id}/doc", Reply(async (http, service) =>
            new JsonText(await service.DocGetAsync(RunId(http), Query(http, "path") ?? throw new BadRequest("the query parameter 'path' is required")))));
        app.MapGet("/runs/{id}/doc/export", Reply(async (http, service) => new JsonText(await service.DocExportAsync(RunId(http)))));
        app.MapGet("/runs/{id}/doc/blame", Reply((http, service) =>
            service.DocBlameAsync(RunId(http), Query(http, "path") ?? throw new BadRequest("the query parameter 'path' is required"))));
        app.MapGet("/runs/{id}/events", Events);
        app.MapGet("/runs/{id}/log", Log);
    }

    /// <summary>The HTTP status a run's refusal maps to.</summary>
    public static int StatusOf(RunError error) => error switch
    {
        RunError.UnknownRun or RunError.UnknownCheckpoint => StatusCodes.Status404NotFound,
        RunError.InvalidPipeline or RunError.InvalidRunId => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status409Conflict,
    };

    /// <summary>The HTTP status a DOC's refusal maps to.</summary>
    public static int StatusOf(DocError error) => error switch
    {
        DocError.PathNotFound or DocError.NothingMatched => StatusCodes.Status404NotFound,
        DocError.VersionConflict or DocError.RevertConflict or DocError.WriterFenced => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>A request answered with one JSON value, or with the refusal the engine gave.</summary>
    private static RequestDelegate Reply<T>(Func<HttpContext, ICaimanService, Task<T>> work) => async http =>
    {
        if (await ServiceFor(http) is not { } service) return;
        T result;
        try
        {
            result = await work(http, service);
        }
        catch (Exception e) when (Refusal(http, e) is { } refusal)
        {
            await Write(http, refusal.Status, refusal.Error);
            return;
        }
        if (result is JsonText text)
        {
            http.Response.ContentType = "application/json; charset=utf-8";
            await http.Response.WriteAsync(text.Json, http.RequestAborted);
            return;
        }
        await Write(http, StatusCodes.Status200OK, result);
    };

    /// <summary>
    /// Server-sent events: every <see cref="RunProgress"/> of the run as a <c>progress</c> event,
    /// then its final <see cref="RunStatus"/> as a <c>status</c> event when it stops. The stream
    /// ends without a status when the daemon stops first.
    /// </summary>
    private static async Task Events(HttpContext http)
    {
        if (await ServiceFor(http) is not { } service) return;
        var runId = RunId(http);
        try
        {
            await service.StatusAsync(runId); // an unknown run is refused before the stream starts
        }
        catch (Exception e) when (Refusal(http, e) is { } refusal)
        {
            await Write(http, refusal.Status, refusal.Error);
            return;
        }
        using var ending = Ending(http);
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        await http.Response.StartAsync(ending.Token);
        await http.Response.Body.FlushAsync(ending.Token);

        var progress = Channel.CreateUnbounded<RunProgress>(new UnboundedChannelOptions { SingleReader = true });
        var stopped = service.WaitAsync(runId, p => progress.Writer.TryWrite(p), ending.Token);
        _ = stopped.ContinueWith(t =>
        {
            _ = t.Exception; // observed here; the loop below reports it, or has left already
            progress.Writer.TryComplete();
        }, TaskScheduler.Default);
        try
        {
            await foreach (var next in progress.Reader.ReadAllAsync(ending.Token))
                await Event(http, RunEvents.Progress, JsonSerializer.Serialize(next, ControlJson.Options), ending.Token);
            var status = await stopped;
            await Event(http, RunEvents.Status, JsonSerializer.Serialize(status, ControlJson.Options), ending.Token);
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
            // The caller left, or the daemon is stopping: the stream just ends.
        }
    }

    /// <summary>The run's log as plain lines; with follow=true, new lines until the run stops.</summary>
    private static async Task Log(HttpContext http)
    {
        if (await ServiceFor(http) is not { } service) return;
        var runId = RunId(http);
        var follow = Query(http, "follow") is { } text && (text == "" || bool.TryParse(text, out var on) && on || text == "1");
        try
        {
            await service.StatusAsync(runId);
        }
        catch (Exception e) when (Refusal(http, e) is { } refusal)
        {
            await Write(http, refusal.Status, refusal.Error);
            return;
        }
        using var ending = Ending(http);
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.StartAsync(ending.Token);
        try
        {
            await foreach (var line in service.LogAsync(runId, Query(http, "checkpoint"), follow, ending.Token))
            {
                await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), ending.Token);
                if (follow) await http.Response.Body.FlushAsync(ending.Token);
            }
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
        }
    }

    private static async Task Event(HttpContext http, string name, string json, CancellationToken token)
    {
        await http.Response.WriteAsync($"event: {name}\ndata: {json}\n\n", token);
        await http.Response.Body.FlushAsync(token);
    }

    /// <summary>Fires when the caller leaves or the daemon begins to stop, so no stream holds a shutdown up.</summary>
    private static CancellationTokenSource Ending(HttpContext http) =>
        CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);

    /// <summary>The engine, or null after answering 503 (stopping, or failed to start).</summary>
    private static async Task<ICaimanService?> ServiceFor(HttpContext http)
    {
        var lifetime = http.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        if (!lifetime.ApplicationStopping.IsCancellationRequested)
        {
            try
            {
                return await http.RequestServices.GetRequiredService<ServiceSlot>().Service.WaitAsync(http.RequestAborted);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await Write(http, StatusCodes.Status503ServiceUnavailable, new ControlError($"the daemon's engine did not start: {e.Message}"));
                return null;
            }
        }
        await Write(http, StatusCodes.Status503ServiceUnavailable, new ControlError("the daemon is stopping"));
        return null;
    }

    /// <summary>What to answer for an exception; null lets it through (the caller left).</summary>
    private static (int Status, ControlError Error)? Refusal(HttpContext http, Exception exception)
    {
        switch (exception)
        {
            case RunException refused:
                return (StatusOf(refused.Error), new ControlError(refused.Error.Message, Run: refused.Error));
            case DocException refused:
                return (StatusOf(refused.Error), new ControlError(refused.Error.Message, Doc: refused.Error));
            case BadRequest bad:
                return (StatusCodes.Status400BadRequest, new ControlError(bad.Message));
            case JsonException bad:
                return (StatusCodes.Status400BadRequest, new ControlError($"malformed JSON body: {bad.Message}"));
            case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                return null;
            default:
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Caiman.Host.Control")
                    .LogError(exception, "{Method} {Path} failed", http.Request.Method, http.Request.Path);
                return (StatusCodes.Status500InternalServerError, new ControlError(exception.Message));
        }
    }

    private static Task Write<T>(HttpContext http, int status, T value)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(value, ControlJson.Options, http.RequestAborted);
    }

    private static async Task<T?> Body<T>(HttpContext http) where T : class
    {
        if (http.Request.ContentLength == 0) return null;
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(http.RequestAborted);
        return text.Length == 0 ? null : JsonSerializer.Deserialize<T>(text, ControlJson.Options);
    }

    /// <summary>
    /// The run id of the route. Kestrel decodes every escape in a path but <c>%2F</c>, which the
    /// client sends for a '/' in a run id.
    /// </summary>
    private static string RunId(HttpContext http) =>
        ((string)http.Request.RouteValues["id"]!).Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static string? Query(HttpContext http, string name) =>
        http.Request.Query.TryGetValue(name, out var values) ? values.ToString() : null;

    private static CheckpointErrorKind? Kind(string? text) =>
        text is null or "" ? null
        : Enum.TryParse<CheckpointErrorKind>(text.Replace("-", ""), ignoreCase: true, out var kind) ? kind
        : throw new BadRequest($"unknown error kind '{text}' (one of: {string.Join(", ", Enum.GetNames<CheckpointErrorKind>().Select(JsonNamingPolicy.CamelCase.ConvertName))})");

    private sealed class BadRequest(string message) : Exception(message);

    /// <summary>JSON the engine already wrote (the DOC's), passed on as it is.</summary>
    private sealed record JsonText(string Json);
}
