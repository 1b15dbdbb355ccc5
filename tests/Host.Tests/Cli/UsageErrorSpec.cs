namespace Caiman.Host.Tests.Cli;

/// <summary>
/// Usage errors are bad input: the parser's message on stderr, exit 2, no stack trace, nothing
/// written. And an argument is only ever an argument: '@' does not make it a file to read.
/// </summary>
public sealed class UsageErrorSpec : CliSpec
{
    [Theory]
    [InlineData(new[] { "rnu", "x.conf" }, "Unrecognized command or argument 'rnu'")]
    [InlineData(new[] { "validate" }, "Required argument missing for command: 'validate'")]
    [InlineData(new[] { "doc", "r", "get" }, "Required argument missing for command: 'get'")]
    [InlineData(new[] { "list", "r", "--frob" }, "Unrecognized command or argument '--frob'")]
    [InlineData(new[] { "errors", "r", "--kind", "Catastrophe" }, "Catastrophe")]
    [InlineData(new[] { "daemon", "--listen-tcp", "many" }, "many")]
    [InlineData(new string[0], "Required command was not provided")]
    public async Task Usage_errors_should_exit_2_with_the_parsers_message_on_stderr(string[] args, string message)
    {
        var result = await Caiman(args);

        AssertExit(2, result);
        Assert.Contains(message, result.Stderr);
        Assert.Contains("--help' for usage.", result.Stderr);
        Assert.Equal("", result.Stdout);
        Assert.DoesNotContain("   at ", result.Stderr); // never a stack trace
        Assert.False(System.IO.Directory.Exists(Data), "a usage error must not create the data directory");
    }

    [Fact]
    public async Task An_argument_starting_with_at_should_be_taken_as_it_is_not_as_a_file_to_read()
    {
        // Given a file whose lines would become arguments if '@' named a response file
        var secret = Write("secret.txt", "top-secret-line\n");

        // When a verb gets '@' and that path as an argument
        var get = await Caiman("doc", "r", "get", "@" + secret);
        var validate = await Caiman("validate", "@" + secret);

        // Then the file is never read: the argument is a run id or path like any other
        Assert.DoesNotContain("top-secret-line", get.Stdout + get.Stderr);
        Assert.DoesNotContain("top-secret-line", validate.Stdout + validate.Stderr);
        AssertExit(2, validate);
        Assert.Contains($"cannot read pipeline file '@{secret}'", validate.Stderr);
    }

    [Fact]
    public async Task There_should_be_no_demo_verb_that_deletes_the_journal()
    {
        // Given a data directory with a journal (the demo used to delete caiman.db and leave its -wal and -shm)
        System.IO.Directory.CreateDirectory(Data);
        var journal = Path.Combine(Data, "caiman.db");
        File.WriteAllText(journal, "the user's runs");

        // When `caiman demo` is asked for
        var result = await Caiman("demo");

        // Then it is an unknown verb, and the journal is as it was
        AssertExit(2, result);
        Assert.Contains("Unrecognized command or argument 'demo'", result.Stderr);
        Assert.Equal("the user's runs", File.ReadAllText(journal));
    }
}
