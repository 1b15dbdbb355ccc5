using System.Runtime.Versioning;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Caiman.Host.Tests.Daemon;

/// <summary>
/// Who may use the control API: over TCP only a caller with the exact bearer token, over the Unix
/// socket only the daemon's user or root. Every refusal is answered and logged with its reason.
/// </summary>
[SupportedOSPlatform("linux")] // socket modes and peer credentials
public sealed class DaemonAccessSpec : IDisposable
{
    private const string Token = "0123456789abcdef-the-right-token";
    private readonly string _directory = Directory.CreateTempSubdirectory("caiman-daemon-access-").FullName;

    [Fact]
    public async Task Daemon_should_refuse_tcp_callers_without_the_exact_bearer_token_and_log_why()
    {
        // Given a daemon also listening on TCP
        var tokenFile = Path.Combine(_directory, "token");
        File.WriteAllText(tokenFile, Token + "\n");
        var port = FreePort();
        using var daemon = await DaemonProcess.StartAsync(_directory, Path.Combine(_directory, "data"),
            "--listen-tcp", port.ToString(), "--token-file", tokenFile);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        // When
        var anonymous = await http.GetAsync("runs");
        var wrong = await Get(http, "runs", Token[..^1] + "X");
        var right = await Get(http, "runs", Token);

        // Then
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal("[]", await right.Content.ReadAsStringAsync());
        await daemon.Process.WaitForOutputAsync("wrong bearer token", DaemonProcess.Patience);
        Assert.Matches(@"refused GET /runs over tcp from 127\.0\.0\.1:\d+: no bearer token", daemon.Process.Stdout);
        Assert.Matches(@"refused GET /runs over tcp from 127\.0\.0\.1:\d+: wrong bearer token", daemon.Process.Stdout);
        Assert.DoesNotContain(Token, daemon.Process.Stdout);
    }

    [Fact]
    public async Task Daemon_should_refuse_to_listen_on_tcp_without_a_token_file()
    {
        // When
        var (code, stdout, stderr) = await CaimanProcess.RunAsync(_directory, DaemonProcess.Patience,
            "daemon", "--data", Path.Combine(_directory, "data"), "--listen-tcp", FreePort().ToString());

        // Then
        Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("--listen-tcp needs --token-file", stderr);
        Assert.False(File.Exists(Path.Combine(_directory, "data", "caiman.sock")));
    }

    [Fact]
    public async Task Daemon_should_refuse_a_caller_of_another_user_on_its_socket_and_log_why()
    {
        // Given a daemon whose socket another user can reach (its 0600 mode loosened by hand,
        // the directories above it made traversable): only the peer check stands in the way
        Assert.True(Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root", "switching to another uid needs root");
        var data = Path.Combine(_directory, "data");
        Directory.CreateDirectory(data);
        var traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(_directory, traversable);
        File.SetUnixFileMode(data, traversable);
        using var daemon = await DaemonProcess.StartAsync(_directory, data);
        File.SetUnixFileMode(daemon.Socket, File.GetUnixFileMode(daemon.Socket) | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        // When nobody (uid 65534) asks for the runs
        var (status, body) = await CurlAs(65534, daemon.Socket, "http://caiman/runs");

        // Then
        Assert.Equal("403", status);
        Assert.Contains("uid 65534 is neither the daemon's user", body);
        await daemon.Process.WaitForOutputAsync("uid 65534 pid", DaemonProcess.Patience);
        Assert.Matches(@"refused GET /runs over unix socket from uid 65534 pid \d+: uid 65534 is neither the daemon's user \(uid 0\) nor root", daemon.Process.Stdout);
    }

    private static Task<HttpResponseMessage> Get(HttpClient http, string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http.SendAsync(request);
    }

    /// <summary>curl on the socket as another uid (setpriv, from util-linux); returns the HTTP status and body.</summary>
    private static async Task<(string Status, string Body)> CurlAs(int uid, string socket, string url)
    {
        var start = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "curl", "-s", "--unix-socket", socket, "-w", "\n%{http_code}", url })
            start.ArgumentList.Add(arg);
        using var curl = Process.Start(start)!;
        var output = await curl.StandardOutput.ReadToEndAsync();
        var errors = await curl.StandardError.ReadToEndAsync();
        await curl.WaitForExitAsync();
        Assert.True(curl.ExitCode == 0, $"curl as uid {uid} exited {curl.ExitCode}: {errors}");
        var split = output.LastIndexOf('\n');
        return (output[(split + 1)..].Trim(), output[..Math.Max(split, 0)]);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
