using System.Net.Sockets;

namespace Caiman.Host.Daemon;

/// <summary>The daemon's Unix socket file: made ready before binding, and removed at exit.</summary>
internal static class SocketFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Clears the way to bind <paramref name="path"/>: a socket nothing accepts on (left by a daemon
    /// that crashed) is removed. Returns why the path cannot be used, or null.
    /// </summary>
    public static async Task<string?> ClearStaleAsync(string path)
    {
        if (Directory.Exists(path)) return $"socket path '{path}' is a directory";
        if (!File.Exists(path)) return null;
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                await probe.ConnectAsync(new UnixDomainSocketEndPoint(path));
                return $"socket '{path}' is in use by another process";
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nothing accepts on it: stale.
            }
            catch (SocketException e)
            {
                return $"cannot use socket '{path}': {e.Message}";
            }
        }
        // A socket file has no content; a file with some is not ours to delete.
        if (new FileInfo(path).Length > 0) return $"'{path}' exists and is not a socket";
        File.Delete(path);
        return null;
    }

    /// <summary>Removes the socket at exit; a failure only leaves a stale file that the next start replaces.</summary>
    public static void Remove(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
