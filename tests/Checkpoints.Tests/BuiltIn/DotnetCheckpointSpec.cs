using Caiman.Checkpoints.BuiltIn;
using Caiman.Checkpoints.Testing;
using Caiman.Checkpoints.Tests.Samples;
using Caiman.Doc.Model;

namespace Caiman.Checkpoints.Tests.BuiltIn;

/// <summary>The <c>dotnet</c> checkpoint loads a checkpoint class from an assembly file and runs it.</summary>
public sealed class DotnetCheckpointSpec : IAsyncLifetime
{
    // This test assembly's own file: the loader gives it a load context of its own.
    private static readonly string SampleAssembly = typeof(Sample).Assembly.Location;

    private readonly CheckpointTestKit _kit = new("dotnet-run");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private CheckpointArgs Args(string className, params (string Key, object Value)[] more) => ArgsFrom(SampleAssembly, className, more);

    private CheckpointArgs ArgsFrom(string assembly, string className, params (string Key, object Value)[] more)
    {
        var args = new Dictionary<string, object> { ["assembly"] = assembly, ["class"] = className };
        foreach (var (key, value) in more) args[key] = value;
        return _kit.Args(args);
    }

    [Fact]
    public async Task Dotnet_checkpoint_should_run_the_class_in_its_own_load_context_with_all_the_args()
    {
        var result = await _kit.RunAsync("dotnet", Args(typeof(Sample).FullName!, ("greeting", "hello")));

        result.EnsureCompleted();
        var node = await _kit.GetAsync("/volatile/sample");
        Assert.Equal(DocValue.From("hello"), node["greeting"]);
        Assert.Equal(DocValue.From("assembly,class,greeting"), node["keys"]);
        Assert.StartsWith("caiman-checkpoint:", node["loadContext"]!.ToText());
        Assert.Equal("dotnet", result.Writer.Checkpoint);
        Assert.Equal(["/volatile/sample"], result.ChangedPaths);
        Assert.Contains(result.Log, line => line.Message == "sample says hello");
    }

    [Fact]
    public async Task Dotnet_checkpoint_should_resolve_a_relative_assembly_path_against_the_base_directory()
    {
        _kit.BaseDirectory = Path.GetDirectoryName(SampleAssembly)!;

        var result = await _kit.RunAsync(new DotnetCheckpointType().Create(ArgsFrom(Path.GetFileName(SampleAssembly), typeof(Sample).FullName!, ("node", "relative"))));

        result.EnsureCompleted();
        Assert.Equal(["/volatile/relative"], result.ChangedPaths);
    }

    [Fact]
    public async Task Dotnet_checkpoint_should_create_a_class_with_a_parameterless_constructor()
    {
        var result = await _kit.RunAsync("dotnet", Args(typeof(ParameterlessSample).FullName!));

        result.EnsureCompleted();
        Assert.Contains(result.Log, line => line.Message == $"parameterless sample ran as {result.Writer}");
    }

    [Fact]
    public async Task Dotnet_checkpoint_should_fail_with_the_exception_the_class_throws()
    {
        var result = await _kit.RunAsync("dotnet", Args(typeof(ThrowingSample).FullName!));

        Assert.Equal(CheckpointOutcome.Failed, result.Outcome);
        Assert.Equal("the sample broke", Assert.IsType<InvalidOperationException>(result.Exception).Message);
    }

    [Fact]
    public void Dotnet_checkpoint_should_take_its_estimate_from_the_loaded_class()
    {
        var type = new DotnetCheckpointType();

        Assert.Equal(TimeSpan.FromSeconds(7), type.Create(Args(typeof(Sample).FullName!)).Estimate);
        Assert.Equal(TimeSpan.FromSeconds(12), type.Create(Args(typeof(Sample).FullName!, ("estimate-seconds", 12))).Estimate);
        Assert.Equal(TimeSpan.FromSeconds(3), type.Create(Args(typeof(ParameterlessSample).FullName!)).Estimate);
    }

    [Fact]
    public async Task Dotnet_checkpoint_should_fail_at_run_time_naming_assembly_and_class_when_the_assembly_is_missing()
    {
        // Given an assembly that does not exist yet, which the entry says an earlier checkpoint builds
        var missing = Path.Combine(Path.GetDirectoryName(SampleAssembly)!, "NotBuiltYet.dll");
        var args = ArgsFrom(missing, "Steps.Configure", ("assembly-built-earlier", true));
        Assert.Empty(new DotnetCheckpointType().Validate(args));

        // When it runs
        var result = await _kit.RunAsync("dotnet", args);

        // Then it fails, saying which assembly and class
        Assert.Equal(CheckpointOutcome.Failed, result.Outcome);
        var failure = Assert.IsType<DotnetCheckpointException>(result.Exception);
        Assert.Equal((missing, "Steps.Configure"), (failure.Assembly, failure.ClassName));
        Assert.Contains("'Steps.Configure'", failure.Message);
        Assert.Contains(missing, failure.Message);
    }

    [Fact]
    public async Task Dotnet_checkpoint_should_fail_at_run_time_when_the_class_is_missing()
    {
        var result = await _kit.RunAsync(new DotnetCheckpointType().Create(Args("Nowhere.Missing")));

        Assert.Equal(CheckpointOutcome.Failed, result.Outcome);
        var failure = Assert.IsType<DotnetCheckpointException>(result.Exception);
        Assert.Contains("class 'Nowhere.Missing' is not in assembly", failure.Message);
        Assert.Equal(SampleAssembly, failure.Assembly);
    }
}

/// <summary>Validation of a <c>dotnet</c> checkpoint: both keys, and a class that can be loaded from a file that is there, unless an earlier checkpoint builds it.</summary>
public sealed class DotnetCheckpointValidationSpec
{
    private static readonly string SampleAssembly = typeof(Sample).Assembly.Location;

    private static IReadOnlyList<string> Validate(string? assembly, string? className, string? builtEarlier = null)
    {
        var args = new Dictionary<string, string>();
        if (assembly is not null) args["assembly"] = assembly;
        if (className is not null) args["class"] = className;
        if (builtEarlier is not null) args["assembly-built-earlier"] = builtEarlier;
        return new DotnetCheckpointType().Validate(CheckpointArgs.FromJson(System.Text.Json.JsonSerializer.Serialize(args)));
    }

    [Fact]
    public void Validate_should_accept_a_checkpoint_class_in_an_existing_assembly()
    {
        Assert.Empty(Validate(SampleAssembly, typeof(Sample).FullName));
        Assert.Empty(Validate(SampleAssembly, typeof(ParameterlessSample).FullName));
    }

    [Fact]
    public void Validate_should_require_assembly_and_class()
    {
        Assert.Equal(
        [
            "assembly is required (the path of the .dll holding the checkpoint class)",
            "class is required (the full name of the checkpoint class)",
        ], Validate(null, null));
        Assert.Equal(["class must not be empty (the full name of the checkpoint class)"], Validate(SampleAssembly, " "));
    }

    [Fact]
    public void Validate_should_report_a_class_that_is_not_in_the_assembly()
    {
        var problem = Assert.Single(Validate(SampleAssembly, "Caiman.Checkpoints.Tests.Samples.Missing"));

        Assert.StartsWith($"class 'Caiman.Checkpoints.Tests.Samples.Missing' is not in assembly '{SampleAssembly}'", problem);
    }

    [Fact]
    public void Validate_should_report_a_class_that_does_not_implement_ICheckpoint()
    {
        var problem = Assert.Single(Validate(SampleAssembly, typeof(NotACheckpoint).FullName));

        Assert.Equal($"class '{typeof(NotACheckpoint).FullName}' in '{SampleAssembly}' does not implement Caiman.Checkpoints.ICheckpoint", problem);
    }

    [Fact]
    public void Validate_should_report_a_class_without_a_usable_constructor()
    {
        var problem = Assert.Single(Validate(SampleAssembly, typeof(NoUsableConstructorSample).FullName));

        Assert.EndsWith("needs a public constructor taking (CheckpointArgs) or none", problem);
    }

    [Fact]
    public void Validate_should_report_a_file_that_is_not_an_assembly()
    {
        var notAnAssembly = Path.Combine(Directory.CreateTempSubdirectory("caiman-dotnet-").FullName, "Broken.dll");
        File.WriteAllText(notAnAssembly, "not a PE file");

        var problem = Assert.Single(Validate(notAnAssembly, "Steps.Configure"));

        Assert.StartsWith($"assembly '{notAnAssembly}' could not be loaded", problem);
        Directory.Delete(Path.GetDirectoryName(notAnAssembly)!, recursive: true);
    }

    [Fact]
    public void Validate_should_refuse_a_missing_assembly_unless_an_earlier_checkpoint_builds_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), "caiman-not-built-" + Guid.NewGuid().ToString("N") + ".dll");

        Assert.Equal([$"assembly '{missing}' does not exist; if an earlier checkpoint builds it, say so with assembly-built-earlier = true"], Validate(missing, "Steps.Configure"));
        Assert.Empty(Validate(missing, "Steps.Configure", builtEarlier: "true"));
        Assert.Equal(["'assembly-built-earlier' must be true or false, not 'soon'"], Validate(missing, "Steps.Configure", builtEarlier: "soon"));
    }

    [Fact]
    public void Validate_should_not_load_an_assembly_an_earlier_checkpoint_builds()
    {
        // Given a file that is there but not an assembly yet (loading it now would also pin this build for the process)
        var directory = Directory.CreateTempSubdirectory("caiman-dotnet-");
        var unbuilt = Path.Combine(directory.FullName, "Steps.dll");
        File.WriteAllText(unbuilt, "not built yet");

        // Then validation leaves it alone
        Assert.Empty(Validate(unbuilt, "Steps.Configure", builtEarlier: "yes"));
        directory.Delete(recursive: true);
    }

    [Fact]
    public void Validate_should_refuse_an_assembly_path_holding_a_nul()
    {
        Assert.Equal(["assembly has a NUL character (\\u0000) at position 4, which a path cannot hold"], Validate("bin\0x.dll", "Steps.Configure"));
    }
}
