using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Caiman.Host.Control;

/// <summary>The process at the other end of a Unix socket, as the kernel saw it when it connected.</summary>
internal sealed record PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>SO_PEERCRED (Linux): struct ucred { pid_t pid; uid_t uid; gid_t gid; }.</summary>
    public static PeerCredentials? Of(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12];
        try
        {
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) != ucred.Length) return null;
        }
        catch (SocketException)
        {
            return null;
        }
        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }

    /// <summary>This process's effective uid (the second field of /proc/self/status's Uid line).</summary>
    public static uint OwnUid()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                return uint.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[2]);
        throw new InvalidOperationException("/proc/self/status has no Uid line");
    }
}

/// <summary>
/// Who may use the control API. Over the Unix socket: a process of the daemon's own user, or root
/// (the kernel's peer credentials; the socket's 0600 mode already keeps others out, this holds even
/// if the mode is loosened). Over TCP: whoever presents the bearer token. Every refusal is logged.
/// </summary>
internal sealed class PeerAccess(uint daemonUid, string? token, ILogger log)
{
    private readonly byte[]? _tokenHash = token is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        var socket = http.Features.Get<IConnectionSocketFeature>()?.Socket;
        var refusal = socket?.AddressFamily switch
        {
            AddressFamily.Unix => CheckPeer(socket),
            AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 => CheckToken(http),
            _ => (StatusCodes.Status403Forbidden, "unknown", "the transport cannot say who the caller is"),
        };
        if (refusal is not { } refused)
        {
            await next(http);
            return;
        }
        log.LogWarning("refused {Method} {Path} over {Transport} from {Peer}: {Reason}",
            http.Request.Method, http.Request.Path.Value, socket?.AddressFamily == AddressFamily.Unix ? "unix socket" : "tcp", refused.Peer, refused.Reason);
        http.Response.StatusCode = refused.Status;
        if (refused.Status == StatusCodes.Status401Unauthorized) http.Response.Headers.WWWAuthenticate = "Bearer";
        await http.Response.WriteAsJsonAsync(new ControlError($"refused: {refused.Reason}"), ControlJson.Options, http.RequestAborted);
    }

    private (int Status, string Peer, string Reason)? CheckPeer(Socket socket)
    {
        if (PeerCredentials.Of(socket) is not { } peer) return (StatusCodes.Status403Forbidden, "an unknown process", "its credentials could not be read");
        if (peer.Uid == daemonUid || peer.Uid == 0) return null;
        return (StatusCodes.Status403Forbidden, $"uid {peer.Uid} pid {peer.Pid}", $"uid {peer.Uid} is neither the daemon's user (uid {daemonUid}) nor root");
    }

    private (int Status, string Peer, string Reason)? CheckToken(HttpContext http)
    {
        var peer = $"{http.Connection.RemoteIpAddress}:{http.Connection.RemotePort}";
        if (_tokenHash is null) return (StatusCodes.Status401Unauthorized, peer, "this daemon has no token for TCP");
        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return (StatusCodes.Status401Unauthorized, peer, "no bearer token");
        // Hashing first makes the comparison's time independent of where, and of whether the lengths, differ.
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, _tokenHash) ? null : (StatusCodes.Status401Unauthorized, peer, "wrong bearer token");
    }
}
