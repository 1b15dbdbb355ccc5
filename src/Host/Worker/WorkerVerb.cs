using System.CommandLine;
using Caiman.Actors.Workers;
using Microsoft.Extensions.Logging;

namespace Caiman.Host.Worker;

/// <summary>
/// `caiman worker`: a worker process of an engine, which starts it itself for checkpoints that run
/// isolated (`isolation = process`). Not for people to run: its options are the engine's.
/// </summary>
internal static class WorkerVerb
{
    public static Command Create()
    {
        var engine = new Option<string>("--engine") { Description = "The engine's Akka address (akka.ssl.tcp://caiman@127.0.0.1:PORT)", Required = true };
        var id = new Option<int>("--worker-id") { Description = "The id the engine gave this worker", Required = true };
        var certificate = new Option<string?>("--certificate") { Description = "The engine's certificate (PKCS#12), which this worker presents to join it" };
        var command = new Command("worker", "Run checkpoint attempts for the engine that started this process (engines start their workers themselves)")
        {
            engine, id, certificate,
        };
        // Engines start their workers: it is left out of the help people read.
        command.Hidden = true;
        command.SetAction(parse =>
        {
            // Its output goes to the engine's log: warnings and errors only, one line each.
            using var loggers = LoggerFactory.Create(logging => logging
                .AddSimpleConsole(console => console.SingleLine = true)
                .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
                .SetMinimumLevel(LogLevel.Warning));
            var options = new WorkerProcessOptions(parse.GetValue(engine)!, parse.GetValue(id), parse.GetValue(certificate));
            return WorkerProcess.RunAsync(options, loggers).GetAwaiter().GetResult();
        });
        return command;
    }
}
