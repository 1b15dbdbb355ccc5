using System.CommandLine;
using Caiman.Checkpoints;
using Caiman.Actors.Logging;
using Caiman.Host.Output;
using Caiman.Actors;
using Caiman.Host.Service;

namespace Caiman.Host.Verbs;

/// <summary>Verbs that look at runs: their checkpoints, status, errors, log and DOC.</summary>
internal static class QueryVerbs
{
    public static IEnumerable<Command> Create(Globals globals)
    {
        yield return List(globals);
        yield return Status(globals);
        yield return Errors(globals);
        yield return Log(globals);
        yield return Doc(globals);
    }

    private static Option<bool> Json() => new("--json") { Description = "Print the result as JSON" };

    private static Command List(Globals globals)
    {
        var runId = RunVerbs.RunId();
        var json = Json();
        var command = new Command("list", "The run's checkpoints: state, attempts, duration, and an X where it can be resumed from") { runId, json };
        command.SetAction((parse, token) => Connect.WithService(parse, globals, Connect.Use.Inspects, async service =>
        {
            var status = await service.StatusAsync(parse.GetValue(runId)!);
            if (parse.GetValue(json)) Console.WriteLine(Render.Json(status.Checkpoints));
            else Render.Checkpoints(status);
            return ExitCodes.Completed;
        }, token));
        return command;
    }

    private static Command Status(Globals globals)
    {
        var runId = new Argument<string?>("run-id") { Description = "The run (default: every run)", Arity = ArgumentArity.ZeroOrOne };
        var json = Json();
        var command = new Command("status", "A run's phase, progress and checkpoints; without a run id, every run") { runId, json };
        command.SetAction((parse, token) => Connect.WithService(parse, globals, Connect.Use.Inspects, async service =>
        {
            if (parse.GetValue(runId) is { } id)
            {
                var status = await service.StatusAsync(id);
                if (parse.GetValue(json)) Console.WriteLine(Render.Json(status));
                else
                {
                    Render.Run(status);
                    Render.Checkpoints(status);
                }
                return ExitCodes.Completed;
            }
            var runs = await service.ListAsync();
            if (parse.GetValue(json)) Console.WriteLine(Render.Json(runs));
            else Render.Runs(runs);
            return ExitCodes.Completed;
        }, token));
        return command;
    }

    private static Command Errors(Globals globals)
    {
        var runId = RunVerbs.RunId();
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Only this checkpoint's errors" };
        var kind = new Option<CheckpointErrorKind?>("--kind") { Description = "Only errors of this kind: Error, CleanupError, Repaired, Warning" };
        var json = Json();
        var command = new Command("errors", "The run's error service: every error, cleanup error, repair and warning recorded") { runId, checkpoint, kind, json };
        command.SetAction((parse, token) => Connect.WithService(parse, globals, Connect.Use.Inspects, async service =>
        {
            var errors = await service.ErrorsAsync(parse.GetValue(runId)!, parse.GetValue(checkpoint), parse.GetValue(kind));
            if (parse.GetValue(json)) Console.WriteLine(Render.Json(errors));
            else Render.Errors(errors);
            return ExitCodes.Completed;
        }, token));
        return command;
    }

    private static Command Log(Globals globals)
    {
        var runId = RunVerbs.RunId();
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Only this checkpoint's lines" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until the run stops (Ctrl-C to stop following)" };
        var command = new Command("log", "The run's log: one line per entry, with run and checkpoint on each") { runId, checkpoint, follow };
        command.SetAction(async (parse, token) =>
        {
            var directory = globals.DataDirectoryOf(parse);
            var (id, only, following) = (parse.GetValue(runId)!, parse.GetValue(checkpoint), parse.GetValue(follow));
            // A `caiman run` in another terminal owns the journal; its log file can still be read.
            if (await Connect.Daemon(directory, token) is null && DataLock.IsHeld(directory))
                return await Print(LogFile.ReadAsync(RunFiles.Log(directory, id), following, DataLock.ReleasedAsync(directory, token), token), only, token);
            return await Connect.WithService(parse, globals, Connect.Use.Inspects, async service =>
            {
                if (only is not null && !(await service.StatusAsync(id)).Checkpoints.Any(c => c.Name == only))
                    return Connect.Refused($"run '{id}' has no checkpoint '{only}'");
                return await Print(service.LogAsync(id, only, following, token), null, token);
            }, token);
        });
        return command;
    }

    private static async Task<int> Print(IAsyncEnumerable<string> lines, string? checkpoint, CancellationToken token)
    {
        try
        {
            await foreach (var line in lines)
                if (checkpoint is null || LogFile.IsOf(line, checkpoint))
                    Console.WriteLine(line);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Ctrl-C ends following; the run goes on.
        }
        return ExitCodes.Completed;
    }

    private static Command Doc(Globals globals)
    {
        var runId = RunVerbs.RunId();
        var command = new Command("doc", "The run's Data Object Cache at its current state") { runId };

        var getPath = new Argument<string>("path") { Description = "A DOC path, e.g. /persistent/image or //[@File].path" };
        var get = new Command("get", "The nodes (with their subtrees) or property values a path yields, as JSON") { getPath };
        get.SetAction((parse, token) => Connect.WithService(parse, globals, Connect.Use.Inspects, async service =>
        {
            Console.WriteLine(await service.DocGetAsync(parse.GetValue(runId)!, parse.GetValue(getPath)!));
            return ExitCodes.Completed;
        }, token));

        var export = new Command("export", "The whole DOC as JSON (importable)");
        export.SetAction((parse, token) => Connect.WithService(parse, globals, Connect.Use.Inspects, async service =>
        {
            Console.WriteLine(await service.DocExportAsync(parse.GetValue(runId)!));
            return ExitCodes.Completed;
        }, token));

        var blamePath = new Argument<string>("path") { Description = "A DOC path; every node it matches and every node below them" };
        var json = Json();
        var blame = new Command("blame", "Which checkpoint attempt inserted and last changed each node, and set each property") { blamePath, json };
        blame.SetAction((parse, token) => Connect.WithService(parse, globals, Connect.Use.Inspects, async service =>
        {
            var nodes = await service.DocBlameAsync(parse.GetValue(runId)!, parse.GetValue(blamePath)!);
            if (parse.GetValue(json)) Console.WriteLine(Render.Json(nodes));
            else Render.Blame(nodes);
            return ExitCodes.Completed;
        }, token));

        command.Subcommands.Add(get);
        command.Subcommands.Add(export);
        command.Subcommands.Add(blame);
        return command;
    }
}
