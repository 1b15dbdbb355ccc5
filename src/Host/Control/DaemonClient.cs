using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Caiman.Actors;
using Caiman.Actors.Protocol;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;
using Caiman.Doc.Client;
using Caiman.Doc.Protocol;
using Caiman.Host.Service;

namespace Caiman.Host.Control;

/// <summary>
/// A daemon's engine over its control API (HTTP+JSON on the daemon's Unix socket, or on its TCP
/// port with the bearer token). Refusals come back as the <see cref="RunException"/> or
/// <see cref="DocException"/> the engine threw; a daemon that cannot be reached or refuses the
/// caller is a <see cref="DaemonException"/>.
/// </summary>
public sealed class DaemonClient : ICaimanService
{
    /// <summary>How long <see cref="TryConnectAsync"/> waits for a daemon's answer.</summary>
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;

    private DaemonClient(HttpClient http, string where)
    {
        _http = http;
        Where = where;
    }

    /// <summary>The daemon's socket in a data directory.</summary>
    public static string SocketIn(string data) => Path.Combine(Path.GetFullPath(data), "caiman.sock");

    /// <summary>A client of the daemon listening on <paramref name="socketPath"/> (nothing is sent yet).</summary>
    public static DaemonClient ForSocket(string socketPath)
    {
        var endpoint = new UnixDomainSocketEndPoint(Path.GetFullPath(socketPath));
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(endpoint, token).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new DaemonClient(Client(handler, new Uri("http://caiman/")), $"daemon at {Path.GetFullPath(socketPath)}");
    }

    /// <summary>A client of a daemon's TCP listener on 127.0.0.1.</summary>
    public static DaemonClient ForTcp(int port, string token)
    {
        var http = Client(new SocketsHttpHandler(), new Uri($"http://127.0.0.1:{port}/"));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new DaemonClient(http, $"daemon at 127.0.0.1:{port}");
    }

    /// <summary>
    /// The daemon serving the data directory, when its socket exists and the daemon answers; null
    /// when there is no socket or nothing accepts on it (a daemon that crashed leaves its socket).
    /// </summary>
    /// <exception cref="DaemonException">A daemon is there but refuses this caller (another user's daemon).</exception>
    public static async Task<ICaimanService?> TryConnectAsync(string data, CancellationToken cancellationToken)
    {
        var socket = SocketIn(data);
        if (!File.Exists(socket)) return null;
        var client = ForSocket(socket);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(HealthTimeout);
            await client.HealthAsync(timeout.Token).ConfigureAwait(false);
            return client;
        }
        // Refused: nothing accepts on the socket. Not available: the socket went away meanwhile.
        catch (DaemonException e) when (e.InnerException is HttpRequestException { InnerException: SocketException s }
                                        && s.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable)
        {
            client.Dispose();
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw new DaemonException($"{client.Where} accepts connections but does not answer (waited {HealthTimeout.TotalSeconds:0} s)");
        }
        catch (DaemonException e) when (e.InnerException is HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.AccessDenied } })
        {
            client.Dispose();
            throw new DaemonException($"{client.Where} is not for this user (permission denied on its socket); run caiman as the daemon's user", null, e);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public string Where { get; }

    /// <summary>The daemon's pid and data directory; answers once the daemon has recovered its runs.</summary>
    public Task<DaemonHealth> HealthAsync(CancellationToken cancellationToken = default) => GetAsync<DaemonHealth>("health", cancellationToken);

    public Task<RunStatus> StartAsync(string runId, PipelineDefinition pipeline, IReadOnlyList<string> pauseBefore, bool dryRun) =>
        SendAsync<RunStatus>(HttpMethod.Post, "runs", new StartRunRequest(runId, pipeline, pauseBefore, dryRun));

    public Task<RunStatus> ResumeAsync(string runId, string? from, IReadOnlyList<string> pauseBefore) =>
        SendAsync<RunStatus>(HttpMethod.Post, $"{Run(runId)}/resume", new ResumeRunRequest(from, pauseBefore));

    public Task<RunStatus> PauseAsync(string runId) => SendAsync<RunStatus>(HttpMethod.Post, $"{Run(runId)}/pause", null);

    public Task<RunStatus> CancelAsync(string runId) => SendAsync<RunStatus>(HttpMethod.Post, $"{Run(runId)}/cancel", null);

    public Task<RunStatus> StatusAsync(string runId) => GetAsync<RunStatus>(Run(runId));

    public async Task<IReadOnlyList<RunStatus>> ListAsync() => await GetAsync<RunStatus[]>("runs").ConfigureAwait(false);

    public async Task<IReadOnlyList<CheckpointError>> ErrorsAsync(string runId, string? checkpoint, CheckpointErrorKind? kind) =>
        await GetAsync<CheckpointError[]>($"{Run(runId)}/errors{QueryString(("checkpoint", checkpoint), ("kind", kind is { } k ? JsonNamingPolicy.CamelCase.ConvertName(k.ToString()) : null))}").ConfigureAwait(false);

    /// <summary>Follows the run's server-sent events: progress until the final status.</summary>
    public async Task<RunStatus> WaitAsync(string runId, Action<RunProgress> progress, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Run(runId)}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (item.EventType)
                {
                    case RunEvents.Progress:
                        progress(Parse<RunProgress>(item.Data));
                        break;
                    case RunEvents.Status:
                        return Parse<RunStatus>(item.Data);
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw new DaemonException($"{Where} went away while following run '{runId}': {e.Message}", null, e);
        }
        throw new DaemonException($"{Where} stopped while following run '{runId}'; the run goes on when the daemon is back");
    }

    public async Task<string> DocGetAsync(string runId, string path)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, $"{Run(runId)}/doc{QueryString(("path", path))}"), HttpCompletionOption.ResponseContentRead, default).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync().ConfigureAwait(false);
    }

    public async Task<string> DocExportAsync(string runId)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, $"{Run(runId)}/doc/export"), HttpCompletionOption.ResponseContentRead, default).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync().ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<NodeBlame>> DocBlameAsync(string runId, string path) =>
        await GetAsync<NodeBlame[]>($"{Run(runId)}/doc/blame{QueryString(("path", path))}").ConfigureAwait(false);

    public async IAsyncEnumerable<string> LogAsync(string runId, string? checkpoint, bool follow, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = QueryString(("checkpoint", checkpoint), ("follow", follow ? "true" : null));
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, $"{Run(runId)}/log{query}"), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                throw new DaemonException($"{Where} went away while sending the log of run '{runId}': {e.Message}", null, e);
            }
            if (line is null) yield break;
            yield return line;
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Dispose() => _http.Dispose();

    private static HttpClient Client(SocketsHttpHandler handler, Uri baseAddress)
    {
        handler.PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30);
        // Following a run may take hours: each call bounds itself (the engine's asks time out).
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: ControlJson.Options);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, default).ConfigureAwait(false);
        return await ReadAsync<T>(response, default).ConfigureAwait(false);
    }

    /// <summary>Sends; a refusal is thrown as the error it carries.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new DaemonException($"{Where} cannot be reached: {e.Message}", null, e);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response) throw await RefusalAsync(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Exception> RefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ControlError? error = null;
        try
        {
            error = await response.Content.ReadFromJsonAsync<ControlError>(ControlJson.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or HttpRequestException or IOException)
        {
            // Not a control API answer: the status line says what there is to say.
        }
        var status = (int)response.StatusCode;
        return error switch
        {
            { Run: { } run } => new RunException(run),
            { Doc: { } doc } => new DocException(doc),
            { Message: { } message } => new DaemonException($"{Where}: {message} (HTTP {status})", status),
            _ => new DaemonException($"{Where} answered HTTP {status} {response.ReasonPhrase}", status),
        };
    }

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ControlJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new DaemonException($"{Where} answered null where a {typeof(T).Name} was expected");
        }
        catch (JsonException e)
        {
            throw new DaemonException($"{Where} answered JSON this client cannot read as {typeof(T).Name}: {e.Message}", null, e);
        }
    }

    private T Parse<T>(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, ControlJson.Options) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new DaemonException($"{Where} sent an event this client cannot read as {typeof(T).Name}: {e.Message}", null, e);
        }
    }

    /// <summary>The run's resource; a '/' in the id travels as %2F, which the server maps back.</summary>
    private static string Run(string runId) => $"runs/{Uri.EscapeDataString(runId)}";

    private static string QueryString(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join("&", present);
    }
}
