using Caiman.Actors.Protocol;
using Caiman.Doc.Client;
using Caiman.Doc.Model;
using Caiman.Doc.Protocol;
using Xunit.Abstractions;

namespace Caiman.Actors.Tests.Runs;

public sealed class CancelSpec(ITestOutputHelper output) : EngineSpec(output)
{
    [Fact]
    public async Task Cancel_should_fire_the_token_revert_partial_changes_and_allow_a_resume()
    {
        var wrote = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = false;
        Scripted.On("copy", async (context, token) =>
        {
            await context.Doc.InsertAsync("/persistent", new NewNode("half-copied", "Partial", PropertyMap.Empty, []));
            if (context.Attempt == 1)
            {
                wrote.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
                catch (OperationCanceledException)
                {
                    cancelled = true;
                    throw;
                }
            }
        });
        await Engine.StartAsync("cancel", Pipeline(Chain("copy", "after")));
        await wrote.Task.WaitAsync(Patience);

        await Engine.CancelAsync("cancel");
        var stopped = await WaitForStop("cancel");

        Assert.True(cancelled);
        Assert.Equal(RunPhase.Cancelled, stopped.Phase);
        Assert.Equal([CheckpointState.Cancelled, CheckpointState.Pending], States(stopped));
        var doc = await Engine.DocAsync("cancel");
        Assert.Empty(await doc.FindAsync("/persistent/[@Partial]"));

        await Engine.ResumeAsync("cancel");
        var done = await WaitForStop("cancel");
        Assert.Equal(RunPhase.Completed, done.Phase);
        Assert.Single(await doc.FindAsync("/persistent/[@Partial]"));
    }

    [Fact]
    public async Task A_checkpoint_that_ignores_its_token_should_be_abandoned_and_its_late_writes_refused()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stubborn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lateWrite = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Scripted.On("stubborn", async (context, _) =>
        {
            await context.Doc.InsertAsync("/persistent", new NewNode("early", "Partial", PropertyMap.Empty, []));
            started.TrySetResult();
            await stubborn.Task; // ignores the token
            try
            {
                await context.Doc.InsertAsync("/persistent", new NewNode("late", "Partial", PropertyMap.Empty, []));
                lateWrite.TrySetResult(null);
            }
            catch (Exception e)
            {
                lateWrite.TrySetResult(e);
            }
        });
        await Engine.StartAsync("abandon", Pipeline(Chain("stubborn")));
        await started.Task.WaitAsync(Patience);

        await Engine.CancelAsync("abandon");
        var stopped = await WaitForStop("abandon");
        stubborn.SetResult();
        var refused = await lateWrite.Task.WaitAsync(Patience);

        Assert.Equal(RunPhase.Cancelled, stopped.Phase);
        var fenced = Assert.IsType<DocException>(refused);
        Assert.IsType<DocError.WriterFenced>(fenced.Error);
        var doc = await Engine.DocAsync("abandon");
        Assert.Empty(await doc.FindAsync("/persistent/[@Partial]"));
    }
}
