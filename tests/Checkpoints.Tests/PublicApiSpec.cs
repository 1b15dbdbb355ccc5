using PublicApiGenerator;

namespace Caiman.Checkpoints.Tests;

/// <summary>
/// The authoring API is what checkpoint authors build against: any change to it must be seen and
/// approved. On a difference the test writes PublicApi.received.txt beside the approved file;
/// review it and copy it over PublicApi.approved.txt.
/// </summary>
public sealed class PublicApiSpec
{
    [Fact]
    public void Public_api_of_the_authoring_assembly_should_match_the_approved_one()
    {
        var api = typeof(ICheckpoint).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }).ReplaceLineEndings("\n");
        var approved = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "PublicApi.approved.txt")).ReplaceLineEndings("\n");

        if (api != approved)
        {
            var source = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "PublicApi.received.txt"));
            File.WriteAllText(source, api);
            Assert.Fail($"the public API of Caiman.Checkpoints changed: review {source} and, if intended, copy it over PublicApi.approved.txt");
        }
    }
}
