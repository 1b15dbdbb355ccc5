using Akka.Configuration;

namespace Caiman.Host.Service;

/// <summary>A configuration file given to `caiman` could not be used; the message names it and the fault.</summary>
internal sealed class ConfigFileException(string message) : Exception(message);

/// <summary>
/// HOCON files layered over the engine's defaults: `--config FILE` (repeatable, later ones win),
/// after `$CAIMAN_CONFIG` (one file). They set engine keys such as <c>caiman.engine.isolation</c>.
/// </summary>
internal static class ConfigFiles
{
    /// <summary>The largest config file read: config is a page of settings, not data.</summary>
    public const long MaxBytes = 1 << 20;

    /// <summary>The files' config, the last given taking precedence; null when there are none.</summary>
    /// <exception cref="ConfigFileException">A file is missing, not a regular file, too large, or not HOCON.</exception>
    public static Config? Load(IReadOnlyList<string> files)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("CAIMAN_CONFIG") is { Length: > 0 } file ? [file] : Array.Empty<string>();
        Config? layered = null;
        foreach (var path in fromEnvironment.Concat(files))
        {
            var config = Read(path);
            layered = layered is null ? config : config.WithFallback(layered);
        }
        return layered;
    }

    private static Config Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new ConfigFileException($"config file '{path}' does not exist");
        if (Directory.Exists(path)) throw new ConfigFileException($"config file '{path}' is a directory");
        if (info.Length > MaxBytes) throw new ConfigFileException($"config file '{path}' is {info.Length} bytes; at most {MaxBytes} are read");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigFileException($"config file '{path}' cannot be read: {e.Message}");
        }
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception e)
        {
            throw new ConfigFileException($"config file '{path}' is not valid HOCON: {e.Message}");
        }
    }
}
