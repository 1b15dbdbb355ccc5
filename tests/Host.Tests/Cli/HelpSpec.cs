using System.CommandLine;

namespace Caiman.Host.Tests.Cli;

/// <summary>
/// The verbs' help is part of the interface people learn: it is compared with the approved text.
/// On a difference the test writes help.received.txt beside help.approved.txt; review it and copy it over.
/// </summary>
public sealed class HelpSpec
{
    private static readonly string[][] Verbs =
    [
        [], ["validate"], ["run"], ["resume"], ["pause"], ["cancel"], ["list"], ["status"], ["errors"], ["log"],
        ["doc"], ["doc", "x", "get"], ["doc", "x", "export"], ["doc", "x", "blame"], ["daemon"],
    ];

    [Fact]
    public void Help_of_every_verb_should_match_the_approved_text()
    {
        var help = new StringWriter();
        foreach (var verb in Verbs)
        {
            help.WriteLine($"$ caiman {string.Join(' ', verb)} --help".Replace("  ", " "));
            var output = new StringWriter();
            var exit = global::Caiman.Host.Cli.Parse([.. verb, "--help"]).Invoke(new InvocationConfiguration { Output = output, Error = output });
            Assert.Equal(0, exit);
            // The usage line names the executable, which is the test host here.
            help.WriteLine(output.ToString().Replace("testhost", "caiman").TrimEnd());
            help.WriteLine();
        }
        var actual = help.ToString().ReplaceLineEndings("\n");
        var approvedFile = Path.Combine(AppContext.BaseDirectory, "Cli", "help.approved.txt");
        var approved = File.Exists(approvedFile) ? File.ReadAllText(approvedFile).ReplaceLineEndings("\n") : "";

        if (actual != approved)
        {
            var received = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Cli", "help.received.txt"));
            File.WriteAllText(received, actual);
            Assert.Fail($"the help text changed: review {received} and, if intended, copy it over Cli/help.approved.txt");
        }
    }

    [Fact]
    public async Task Unknown_verbs_and_options_should_be_refused_with_exit_2_and_a_hint()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await global::Caiman.Host.Cli.RunAsync(["rnu", "x.conf"], new InvocationConfiguration { Output = output, Error = error });

        Assert.Equal(2, exit);
        Assert.Contains("'rnu' was not matched. Did you mean one of the following?\nrun", error.ToString().ReplaceLineEndings("\n"));
        Assert.EndsWith("Run 'caiman --help' for usage.", error.ToString().TrimEnd());
        Assert.Equal("", output.ToString());
    }
}
