using System.Runtime.Versioning;
using Caiman.Actors;
using Caiman.Actors.Protocol;
using Caiman.Host.Control;

namespace Caiman.Host.Tests.Daemon;

/// <summary>One daemon serving a data directory, shared by the tests of <see cref="DaemonServeSpec"/>.</summary>
public sealed class ServingDaemon : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("caiman-daemon-").FullName;

    public DaemonProcess Daemon { get; private set; } = null!;

    public async Task InitializeAsync() => Daemon = await DaemonProcess.StartAsync(Directory, Path.Combine(Directory, "data"));

    public Task DisposeAsync()
    {
        Daemon?.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// `caiman daemon` serves the data directory's runs over an owner-only Unix socket and nothing
/// else, the client drives runs through it as it would an engine in its own process, and a
/// second daemon cannot take the same data directory.
/// </summary>
[SupportedOSPlatform("linux")] // socket modes and peer credentials
public sealed class DaemonServeSpec(ServingDaemon serving) : IClassFixture<ServingDaemon>
{
    private const string Echo = """
        pipeline {
          name = greet
          checkpoints = [
            { name = hello, type = process, command = "echo hello from the daemon" }
            { name = bye, type = process, command = "echo bye" }
          ]
        }
        """;

    [Fact]
    public void Daemon_should_listen_on_a_socket_only_its_owner_may_use_and_on_tcp_only_for_its_workers_on_loopback()
    {
        // Given a running daemon (the fixture)
        // When its listeners are looked at
        var mode = File.GetUnixFileMode(serving.Daemon.Socket);
        var tcpListeners = TcpListenersOf(serving.Daemon.Process.Pid);

        // Then the socket is its owner's, and the one TCP port (worker processes join over it) is on 127.0.0.1
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        var listener = Assert.Single(tcpListeners);
        Assert.Contains(listener.Address, new[] { "0100007F", "0000000000000000FFFF00000100007F" });
    }

    [Fact]
    public async Task Daemon_workers_port_should_refuse_a_peer_without_the_engines_certificate()
    {
        // Given the daemon's one TCP port, and a certificate of our own
        var port = Assert.Single(TcpListenersOf(serving.Daemon.Process.Pid)).Port;
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=intruder", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var mine = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        // When a peer presents it
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        var refused = await Record.ExceptionAsync(async () =>
        {
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "caiman",
                ClientCertificates = [mine],
            });
            // TLS 1.3 may finish the client's side first: the server's refusal then ends the stream.
            var buffer = new byte[1];
            if (await tls.ReadAsync(buffer) == 0) throw new IOException("closed by the daemon");
        });

        // Then the daemon will not talk to it
        Assert.NotNull(refused);
        Assert.True(refused is System.Security.Authentication.AuthenticationException or IOException, refused.ToString());
    }

    [Fact]
    public async Task Daemon_client_should_start_a_run_and_follow_it_to_completion()
    {
        // Given
        var pipeline = TestPipelines.Write(serving.Directory, "greet.conf", Echo);
        await using var client = await serving.Daemon.ConnectAsync();
        var progress = new List<RunProgress>();

        // When
        var started = await client.StartAsync("greet-1", pipeline, [], dryRun: false);
        var stopped = await client.WaitAsync("greet-1", p => { lock (progress) progress.Add(p); }, CancellationToken.None);

        // Then
        Assert.Equal($"daemon at {serving.Daemon.Socket}", client.Where);
        Assert.Equal("greet-1", started.RunId);
        Assert.Equal(RunPhase.Completed, stopped.Phase);
        Assert.All(stopped.Checkpoints, c => Assert.Equal(CheckpointState.Completed, c.State));
        Assert.Equal(RunPhase.Completed, (await client.StatusAsync("greet-1")).Phase);
        Assert.Contains(await client.ListAsync(), s => s.RunId == "greet-1");
        var log = new List<string>();
        await foreach (var line in client.LogAsync("greet-1", "hello", follow: false, CancellationToken.None)) log.Add(line);
        Assert.Contains(log, l => l.EndsWith("hello from the daemon", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.EndsWith(" bye", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Daemon_client_should_rethrow_the_engines_refusals_as_their_own_types()
    {
        // Given
        await using var client = await serving.Daemon.ConnectAsync();

        // When
        var refused = await Assert.ThrowsAsync<RunException>(() => client.StatusAsync("no-such-run"));

        // Then
        Assert.Equal(new RunError.UnknownRun("no-such-run"), refused.Error);
    }

    [Fact]
    public async Task A_second_daemon_on_the_same_data_directory_should_exit_2_and_leave_the_first_serving()
    {
        // Given a running daemon (the fixture)
        // When
        var (code, stdout, stderr) = await CaimanProcess.RunAsync(serving.Directory, DaemonProcess.Patience, "daemon", "--data", serving.Daemon.Data);

        // Then
        Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("is in use", stderr);
        Assert.Contains("already serves it", stderr);
        await using var client = await serving.Daemon.ConnectAsync();
        Assert.NotNull(await ((DaemonClient)client).HealthAsync());
    }

    /// <summary>The TCP ports a process listens on: its socket inodes matched against /proc/net/tcp{,6} rows in state LISTEN.</summary>
    private static List<(string Address, int Port)> TcpListenersOf(int pid)
    {
        var inodes = new HashSet<string>();
        foreach (var fd in System.IO.Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                inodes.Add(target["socket:[".Length..^1]);
        var listeners = new List<(string Address, int Port)>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
            foreach (var row in File.ReadLines(table).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
                if (row[3] == "0A" && inodes.Contains(row[9]))
                    listeners.Add((row[1][..row[1].IndexOf(':')], Convert.ToInt32(row[1][(row[1].IndexOf(':') + 1)..], 16)));
        return listeners;
    }
}
