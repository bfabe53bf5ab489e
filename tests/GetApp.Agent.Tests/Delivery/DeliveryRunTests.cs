using GetApp.Agent.Core.Delivery;

namespace GetApp.Agent.Tests.Delivery;

public class DeliveryRunTests
{
    [Fact]
    public void Stop_AfterTheRunEnded_IsAQuietNo()
    {
        var run = new DeliveryRun("r", CancellationToken.None);
        run.Dispose();

        Assert.False(run.Stop(DeliveryStopReason.Cancel));
        Assert.Equal(DeliveryStopReason.None, run.StopReason);
    }

    [Fact]
    public void Stop_CancelWinsOverAnEarlierPause()
    {
        using var run = new DeliveryRun("r", CancellationToken.None);

        Assert.True(run.Stop(DeliveryStopReason.Pause));
        Assert.True(run.Stop(DeliveryStopReason.Cancel));
        Assert.True(run.Stop(DeliveryStopReason.Pause));

        Assert.Equal(DeliveryStopReason.Cancel, run.StopReason);
        Assert.True(run.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task StopAndDispose_RacingFromManyThreads_NeverThrow()
    {
        for (var i = 0; i < 500; i++)
        {
            var run = new DeliveryRun("r", CancellationToken.None);
            var token = run.Token;
            // The run's own continuation may end it (and dispose it) inline, inside a Stop.
            token.Register(() => run.Dispose());
            using var start = new Barrier(3);
            var stops = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                run.Stop(DeliveryStopReason.Pause);
            })).ToList();
            start.SignalAndWait();
            run.Dispose();
            await Task.WhenAll(stops);
        }
    }
}
