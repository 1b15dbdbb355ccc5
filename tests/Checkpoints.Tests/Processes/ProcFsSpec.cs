using Caiman.Checkpoints.Processes;

namespace Caiman.Checkpoints.Tests.Processes;

/// <summary>Reading /proc/&lt;pid&gt;/stat, whose second field is free text.</summary>
public sealed class ProcFsSpec
{
    [Fact]
    public void ProcFs_should_count_fields_from_after_the_last_parenthesis_of_the_command_name()
    {
        const string stat = "4242 (a) b (c)) S 1 4240 4239 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100";

        var parsed = ProcFs.Parse(4242, stat);

        Assert.Equal(new ProcStat(4242, 'S', 4240, 4239, 987654), parsed);
    }

    [Fact]
    public void ProcFs_should_read_this_process_as_the_kernel_shows_it()
    {
        var self = ProcFs.Read(Environment.ProcessId);

        Assert.NotNull(self);
        Assert.False(self.Value.IsDead);
        Assert.Equal(Procs.Read(Environment.ProcessId)!.StartTime, self.Value.StartTime);
        Assert.Null(ProcFs.Parse(1, "garbage"));
    }
}
