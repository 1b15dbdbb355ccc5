using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Caiman.Bench;

/// <summary>The CPU counters and load average at one moment; two of them give the load over a run.</summary>
internal sealed record CpuSample(long Total, long Idle, long Steal, string LoadAverage)
{
    public static CpuSample Now()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            var load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
            return new CpuSample(cpu.Take(8).Sum(), cpu[3] + cpu[4], cpu.Length > 7 ? cpu[7] : 0, load);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or InvalidOperationException)
        {
            return new CpuSample(0, 0, 0, "unknown");
        }
    }
}

/// <summary>The machine a report was measured on, and how busy it was: the machine is a shared VM, so a report says both.</summary>
internal static class Machine
{
    /// <summary>Cores, CPU model, RAM and operating system.</summary>
    public static string Describe() =>
        $"{Environment.ProcessorCount} cores ({CpuModel()}), {TotalRamGiB():N1} GiB RAM, {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})";

    /// <summary>The .NET runtime, its GC, the build and the Akka.NET version.</summary>
    public static string Runtime() =>
        $"{RuntimeInformation.FrameworkDescription}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC, Release build, TieredPGO on; Akka.NET {typeof(Akka.Actor.ActorSystem).Assembly.GetName().Version}";

    /// <summary>Load average and the share of CPU time the hypervisor took (steal) while the run went on.</summary>
    public static string Load(CpuSample start, CpuSample end)
    {
        var total = end.Total - start.Total;
        var steal = total > 0 ? 100.0 * (end.Steal - start.Steal) / total : 0;
        var idle = total > 0 ? 100.0 * (end.Idle - start.Idle) / total : 0;
        return $"load average {start.LoadAverage} at the start, {end.LoadAverage} at the end; over the run the CPUs were {Fmt.N1(idle)}% idle and {Fmt.N1(steal)}% stolen by the hypervisor";
    }

    // /proc/cpuinfo names the model on x86; on ARM it does not, and lscpu does.
    private static string CpuModel() =>
        ModelFromCpuInfo() ?? ModelFromLscpu() ?? RuntimeInformation.ProcessArchitecture.ToString();

    private static string? ModelFromCpuInfo()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ModelFromLscpu()
    {
        try
        {
            using var lscpu = Process.Start(new ProcessStartInfo("lscpu") { RedirectStandardOutput = true, UseShellExecute = false });
            if (lscpu is null) return null;
            var output = lscpu.StandardOutput.ReadToEnd();
            lscpu.WaitForExit(5000);
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("Model name:", StringComparison.Ordinal));
            return line?["Model name:".Length..].Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static double TotalRamGiB() =>
        MemTotalKiB() is { } kb ? kb / 1024.0 / 1024.0 : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);

    private static long? MemTotalKiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture, out var kb) ? kb : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
