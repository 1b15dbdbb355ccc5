using System.Diagnostics;
using Akka.Actor;
using Caiman.Doc.Client;

namespace Caiman.Doc.Bench;

/// <summary>
/// The DOC in another process, over Akka.Remote (DotNetty TCP) on 127.0.0.1: this executable is
/// started again with <c>serve</c>, hosts the DOC and an echo actor, and prints its port.
/// </summary>
internal static class RemoteBench
{
    public const string ServerSystem = "docserver";

    /// <summary>The child side: host the DOC until stdin closes (the parent ended or died).</summary>
    public static async Task<int> Serve()
    {
        var system = ActorSystem.Create(ServerSystem, AkkaConfigs.Remote(0));
        DocClient.Start(system, "bench");
        system.ActorOf(EchoActor.Props(), "echo");
        var port = ((ExtendedActorSystem)system).Provider.DefaultAddress.Port;
        Console.WriteLine($"READY {port}");
        Console.Out.Flush();
        await Task.Run(() => { while (Console.In.ReadLine() is not null) { } });
        await system.Terminate();
        return 0;
    }

    public static async Task Run(BenchContext ctx)
    {
        using var child = SelfProcess.Start("serve");
        ActorSystem? system = null;
        try
        {
            var port = await ReadPort(child, TimeSpan.FromSeconds(60));
            ctx.Log($"remote: DOC server pid {child.Id} listening on 127.0.0.1:{port}");
            system = ActorSystem.Create("docclient", AkkaConfigs.Remote(0));
            var address = $"akka.tcp://{ServerSystem}@127.0.0.1:{port}/user";
            var remoteDoc = await system.ActorSelection($"{address}/doc-bench").ResolveOne(TimeSpan.FromSeconds(20));
            var remoteEcho = await system.ActorSelection($"{address}/echo").ResolveOne(TimeSpan.FromSeconds(20));
            var doc = new DocClient(remoteDoc, InProcessBench.BenchWriter, TimeSpan.FromSeconds(60));
            var driver = system.ActorOf(PipelineDriver.Props(), "driver");

            await InProcessBench.EchoFloor(ctx, system, driver, remoteEcho, "remote");

            const int window = 2000;
            var trees = ctx.Quick ? 1 : 3;
            ctx.Log($"remote pipelined: {trees} trees x {InProcessBench.OpsPerTree:N0} ops per rep, window {window}");
            await InProcessBench.Pipelined(doc, driver, "warm-r", trees, window, InProcessBench.BuildChunked);
            var echoPipelined = ctx.Find("remote-echo-pipelined")!;
            var figure = ctx.Figure("remote-pipelined", "Actor DOC in another process over Akka.Remote (127.0.0.1), pipelined", "ops/s",
                "≥ 0.8 × remote echo, pipelined (same run)", v => v >= 0.8 * echoPipelined.Median);
            for (var rep = 0; rep < ctx.Reps; rep++)
            {
                var (rate, result) = await InProcessBench.Pipelined(doc, driver, $"r{rep}", trees, window, InProcessBench.BuildChunked);
                InProcessBench.Expect(ctx, result, "remote pipelined");
                figure.Samples.Add(rate);
                ctx.Log($"  remote rep {rep}: {Fmt.N0(rate)} ops/s");
            }
            figure.Detail = $"{Fmt.Count(trees, "pass", "passes")} of {InProcessBench.OpsPerTree:N0} ops per repetition; Tell from a driver actor in this process to the DOC in a child process, at most {window} unanswered; each message sent by the DOC client straight to its subtree's actor (located once through the DOC actor); messages and replies in the DOC's binary wire format";
            await InProcessBench.Verify(ctx, doc, "/volatile/r0-0", "remote pipelined");

            var awaitedOps = ctx.Quick ? 3_000 : 6_000;
            var echoAwaited = ctx.Find("remote-echo-awaited")!;
            var awaited = ctx.Figure("remote-awaited", "Actor DOC over Akka.Remote, one awaited call per op", "ops/s",
                "≤ 1.5 × a bare remote Ask's round trip (same run)", v => 1 / v <= 1.5 / echoAwaited.Median);
            await InProcessBench.BuildChunked(doc, "warm-ra");
            await InProcessBench.AwaitedOps(doc, Workload.Ops("/volatile/warm-ra", awaitedOps));
            for (var rep = 0; rep < ctx.Reps; rep++)
            {
                await InProcessBench.BuildChunked(doc, $"ra{rep}");
                var ops = Workload.Ops($"/volatile/ra{rep}", awaitedOps);
                var clock = Stopwatch.StartNew();
                await InProcessBench.AwaitedOps(doc, ops);
                awaited.Samples.Add(awaitedOps / clock.Elapsed.TotalSeconds);
            }
            awaited.Detail = $"{awaitedOps:N0} ops per repetition, `await doc.InsertAsync/FindAsync/SetAsync` one at a time (each straight to its subtree); against an awaited Ask to an echo actor in the same child process";
            ctx.Log($"  remote awaited: {Fmt.N0(awaited.Median)} ops/s");
        }
        finally
        {
            if (system is not null) await system.Terminate();
            SelfProcess.Stop(child);
        }
    }

    private static async Task<int> ReadPort(Process child, TimeSpan timeout)
    {
        var read = Task.Run(async () =>
        {
            while (await child.StandardOutput.ReadLineAsync() is { } line)
                if (line.StartsWith("READY ", StringComparison.Ordinal)) return int.Parse(line[6..], System.Globalization.CultureInfo.InvariantCulture);
            throw new InvalidOperationException($"DOC server exited (code {(child.HasExited ? child.ExitCode : -1)}) before it was ready: {await child.StandardError.ReadToEndAsync()}");
        });
        if (await Task.WhenAny(read, Task.Delay(timeout)) != read) throw new TimeoutException("DOC server did not report its port");
        var port = await read;
        // Keep draining the child's output so it never blocks on a full pipe.
        _ = child.StandardOutput.ReadToEndAsync();
        _ = child.StandardError.ReadToEndAsync();
        return port;
    }
}

/// <summary>Starts this same benchmark executable again in a child process.</summary>
internal static class SelfProcess
{
    public static Process Start(params string[] args)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var info = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.FileName = host;
            info.ArgumentList.Add(typeof(SelfProcess).Assembly.Location);
        }
        else info.FileName = host;
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {host}");
    }

    /// <summary>Closes the child's stdin (it exits by itself), then kills it if it has not within a few seconds.</summary>
    public static void Stop(Process child)
    {
        try
        {
            if (child.HasExited) return;
            try { child.StandardInput.Close(); } catch (IOException) { }
            if (!child.WaitForExit(5000)) child.Kill(entireProcessTree: true);
            child.WaitForExit(5000);
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }
}
