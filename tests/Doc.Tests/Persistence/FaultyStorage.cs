using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Caiman.Doc.Tests.Persistence;

/// <summary>
/// Storage faults made for real under a temporary directory: small tmpfs mounts, read-only bind
/// mounts, immutable files. Every one is undone on dispose. Where the machine does not allow one
/// (no mount rights, no chattr), the test that needs it is skipped with a message saying so.
/// </summary>
internal sealed class FaultyStorage : IDisposable
{
    private readonly List<string> _mounts = [];
    private readonly List<string> _immutable = [];
    private int _count;

    public string Root { get; } = Directory.CreateTempSubdirectory("caiman-journal-fault-").FullName;

    /// <summary>A new empty directory under <see cref="Root"/>.</summary>
    public string NewDirectory(string name) => Directory.CreateDirectory(Path.Combine(Root, name)).FullName;

    /// <summary>A tmpfs of <paramref name="size"/> (e.g. "4m") mounted on a new directory.</summary>
    public string SmallFileSystem(string size)
    {
        var at = NewDirectory($"tmpfs-{++_count}");
        Require("mount", ["-t", "tmpfs", "-o", $"size={size},mode=0755", "tmpfs", at], "a small tmpfs of its own for a full disk");
        _mounts.Add(at);
        return at;
    }

    /// <summary>A read-only bind mount of <paramref name="source"/>: the same files, on a mount that refuses writes.</summary>
    public string ReadOnlyView(string source)
    {
        var at = NewDirectory($"ro-{++_count}");
        Require("mount", ["--bind", source, at], "a read-only bind mount");
        _mounts.Add(at);
        Require("mount", ["-o", "remount,ro,bind", at], "a read-only bind mount");
        return at;
    }

    /// <summary><c>chattr +i</c>: not even root may change or delete it (or, for a directory, its entries).</summary>
    public void MakeImmutable(string path)
    {
        Require("chattr", ["+i", path], "chattr +i (an immutable file)");
        _immutable.Add(path);
    }

    public void MakeMutable(string path)
    {
        if (_immutable.Remove(path)) Run("chattr", ["-i", path]);
    }

    /// <summary>Writes zeros to a file in <paramref name="directory"/> until the file system is full.</summary>
    public static string Fill(string directory)
    {
        var filler = Path.Combine(directory, "filler");
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        var block = new byte[16 * 1024];
        try
        {
            while (true) stream.Write(block);
        }
        catch (IOException)
        {
            // No space left: what we wanted.
        }
        return filler;
    }

    /// <summary>A small SQLite database in WAL mode with <paramref name="rows"/> rows of 200 bytes, closed (no -wal left).</summary>
    public static string SampleDatabase(string file, int rows = 2000)
    {
        using (var connection = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE journal (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);";
            command.ExecuteNonQuery();
            using var transaction = connection.BeginTransaction();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO journal (payload) VALUES (randomblob(200));";
            for (var i = 0; i < rows; i++) command.ExecuteNonQuery();
            transaction.Commit();
        }
        return file;
    }

    /// <summary>Runs <paramref name="check"/> on a thread of its own whose file-system user is <c>nobody</c>, as a non-root user would.</summary>
    public static T AsNobody<T>(Func<T> check)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            // setfsuid changes this thread's file-system identity only; going back to 0 restores root's capabilities.
            SetFsUid(65534);
            try
            {
                Skip.If(SetFsUid(unchecked((uint)-1)) != 65534, "setfsuid is not permitted here: a read-only file cannot be shown to root");
                result = check();
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                SetFsUid(0);
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw failure;
        return result;
    }

    public void Dispose()
    {
        foreach (var path in _immutable.ToList()) MakeMutable(path);
        SqliteConnection.ClearAllPools();
        foreach (var mount in Enumerable.Reverse(_mounts)) Run("umount", ["-l", mount]);
        Directory.Delete(Root, recursive: true);
    }

    private static void Require(string command, string[] args, string what)
    {
        var (exit, error) = Run(command, args);
        Skip.If(exit != 0, $"this test needs {what}, which this machine does not allow ({command} {string.Join(' ', args)}: exit {exit}, {error.Trim()})");
    }

    private static (int Exit, string Error) Run(string command, string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    [DllImport("libc", EntryPoint = "setfsuid")]
    private static extern int SetFsUid(uint uid);
}
