using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using Caiman.Actors;
using Caiman.Checkpoints;
using Caiman.Checkpoints.Pipelines;

namespace Caiman.Workers.Bench;

/// <summary>
/// The engine's own cost per step, which the attempt path decides: no-op checkpoints of an
/// in-process type on the in-memory journal, in one wide graph and in many small runs at once,
/// with a journal floor (trivial persistent actors doing as many writes) from the same run.
/// </summary>
internal static class StepBench
{
    private const int Width = 5000;
    private const int Runs = 100;
    private const int PerRun = 10;

    public static async Task Run(BenchContext ctx)
    {
        var wide = ctx.Figure("steps-wide", $"Wide graph of {Width:N0} no-op checkpoints, parallelism 64, in-memory journal", "checkpoints/s", "≥ 50,000", v => v >= 50_000);
        var wideCpu = ctx.Figure("steps-wide-cpu", "CPU time per checkpoint, the same wide graph (all threads)", "µs/checkpoint");
        var many = ctx.Figure("steps-many", $"{Runs} runs of {PerRun} no-op checkpoints started together, in-memory journal", "runs/s", "≥ 5,000", v => v >= 5_000);
        var manyCpu = ctx.Figure("steps-many-cpu", "CPU time per checkpoint, the same runs (all threads)", "µs/checkpoint");
        var floor = ctx.Figure("steps-floor", $"Journal floor: {Runs} trivial persistent actors doing a run's writes each, together, in-memory journal", "runs/s");
        for (var rep = -2; rep < ctx.Reps; rep++)
        {
            var (rate, cpu) = await WideAsync();
            var (runs, manyPerCheckpoint) = await ManyAsync();
            var floorRate = await FloorAsync();
            if (rep < 0) continue;
            wide.Samples.Add(rate);
            wideCpu.Samples.Add(cpu);
            many.Samples.Add(runs);
            manyCpu.Samples.Add(manyPerCheckpoint);
            floor.Samples.Add(floorRate);
            ctx.Log($"rep {rep}: wide {Fmt.N0(rate)}/s ({Fmt.N1(cpu)} µs CPU), many {Fmt.N0(runs)} runs/s ({Fmt.N1(manyPerCheckpoint)} µs CPU), floor {Fmt.N0(floorRate)} runs/s");
        }
        wide.Baseline = $"{Fmt.N1(wideCpu.Median)} µs of CPU per checkpoint";
        many.Baseline = $"journal floor {Fmt.N0(floor.Median)} runs/s; {Fmt.N1(manyCpu.Median)} µs of CPU per checkpoint";
        wide.How = $"a new actor system and engine on the in-memory journal per repetition (after two unmeasured); a root and {Width:N0} checkpoints after it of an in-process no-op type, the pipeline's `parallelism = 64`, from `StartAsync` until `WaitAsync` returns Completed";
        many.How = $"the same kind of engine; {Runs} runs of a {PerRun}-checkpoint chain started at once, from the first `StartAsync` until the last run completed";
        floor.How = $"{Runs} persistent actors on the in-memory journal, each persisting {PerRun * 2 + 2} small events in {PerRun + 2} batches one after another, all at once";
    }

    private static CheckpointTypes Types() => CheckpointTypes.BuiltIn().Add(new NoOpType());

    private static PipelineDefinition Graph(string name, IEnumerable<CheckpointDefinition> checkpoints, int? parallelism) =>
        new(name, null, true, parallelism, [.. checkpoints]) { BaseDirectory = Environment.CurrentDirectory };

    private static async Task<(double Rate, double CpuMicros)> WideAsync()
    {
        var (system, engine) = Engines.InMemory(Types());
        try
        {
            var checkpoints = new List<CheckpointDefinition> { new("root", NoOpType.TypeName, CheckpointArgs.Empty, []) };
            checkpoints.AddRange(Enumerable.Range(0, Width).Select(i => new CheckpointDefinition($"w{i}", NoOpType.TypeName, CheckpointArgs.Empty, ["root"])));
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await engine.StartAsync("wide", Graph("wide", checkpoints, 64));
            await engine.WaitAsync("wide");
            var elapsed = clock.Elapsed;
            var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            return ((Width + 1) / elapsed.TotalSeconds, used.TotalMicroseconds / (Width + 1));
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static async Task<(double RunsPerSecond, double CpuMicros)> ManyAsync()
    {
        var (system, engine) = Engines.InMemory(Types());
        try
        {
            var chain = Enumerable.Range(0, PerRun).Select(i => new CheckpointDefinition($"c{i}", NoOpType.TypeName, CheckpointArgs.Empty, i == 0 ? [] : [$"c{i - 1}"]));
            var pipeline = Graph("chain", chain, null);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Runs).Select(i => engine.StartAsync($"r{i}", pipeline)));
            await Task.WhenAll(Enumerable.Range(0, Runs).Select(i => engine.WaitAsync($"r{i}")));
            var elapsed = clock.Elapsed;
            var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            return (Runs / elapsed.TotalSeconds, used.TotalMicroseconds / (Runs * PerRun));
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static async Task<double> FloorAsync()
    {
        var (system, _) = Engines.InMemory(Types());
        try
        {
            var clock = Stopwatch.StartNew();
            var done = Enumerable.Range(0, Runs).Select(i =>
            {
                var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                system.ActorOf(Props.Create(() => new Writer($"floor-{i}", PerRun + 2, finished)));
                return finished.Task;
            }).ToList();
            await Task.WhenAll(done);
            return Runs / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>Persists its batches one after another, each once the one before is durable, as a run's steps are.</summary>
    private sealed class Writer : ReceivePersistentActor
    {
        private readonly TaskCompletionSource _finished;
        private int _left;

        public Writer(string id, int batches, TaskCompletionSource finished)
        {
            PersistenceId = id;
            _left = batches;
            _finished = finished;
            Recover<string>(_ => { });
            Recover<RecoveryCompleted>(_ => Next());
        }

        public override string PersistenceId { get; }

        private void Next()
        {
            if (_left-- == 0)
            {
                _finished.TrySetResult();
                return;
            }
            var batch = new[] { "started", "completed" };
            PersistAll(batch, e => { if (ReferenceEquals(e, batch[^1])) Next(); });
        }
    }

    private sealed class NoOpType : ICheckpointType
    {
        public const string TypeName = "noop";

        public string Name => TypeName;

        public IReadOnlyList<string> Validate(CheckpointArgs args) => [];

        public ICheckpoint Create(CheckpointArgs args) => new NoOp();
    }
}
