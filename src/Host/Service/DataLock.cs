namespace Caiman.Host.Service;

/// <summary>The data directory is owned by another caiman process (a daemon or a `caiman run`).</summary>
public sealed class DataDirectoryInUseException(string directory, string owner)
    : Exception($"data directory '{directory}' is in use by {owner}")
{
    public string Directory { get; } = directory;
}

/// <summary>
/// An exclusive lock on a data directory (the file <c>caiman.lock</c>, locked by the OS, so a
/// killed owner releases it). The owner's pid goes in <c>caiman.pid</c> beside it, for messages:
/// the locked file itself cannot be read by anyone else.
/// </summary>
public sealed class DataLock : IDisposable
{
    private readonly FileStream _file;

    private DataLock(FileStream file) => _file = file;

    public static DataLock Acquire(string directory)
    {
        var path = Path.Combine(directory, "caiman.lock");
        try
        {
            // FileShare.None on Linux takes an advisory lock (flock) that another process's open refuses.
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(Path.Combine(directory, "caiman.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return new DataLock(file);
        }
        catch (IOException)
        {
            string owner;
            try
            {
                owner = $"caiman process {File.ReadAllText(Path.Combine(directory, "caiman.pid")).Trim()}";
            }
            catch (IOException)
            {
                owner = "another caiman process";
            }
            throw new DataDirectoryInUseException(directory, owner);
        }
    }

    /// <summary>Whether another process owns the directory now.</summary>
    public static bool IsHeld(string directory)
    {
        var path = Path.Combine(directory, "caiman.lock");
        if (!File.Exists(path)) return false;
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Completes once no process owns the data directory (the `caiman run` that held it has ended).</summary>
    public static async Task ReleasedAsync(string directory, CancellationToken cancellationToken)
    {
        // A lock held by another process gives no event when it is released.
        while (IsHeld(directory)) await Task.Delay(200, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _file.Dispose();
}
