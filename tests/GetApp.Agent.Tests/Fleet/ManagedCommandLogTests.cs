using GetApp.Agent.Core.Fleet;

namespace GetApp.Agent.Tests.Fleet;

public sealed class ManagedCommandLogTests : IAsyncLifetime
{
    private FleetTestDatabase _test = null!;

    public async Task InitializeAsync() => _test = await FleetTestDatabase.CreateAsync();

    public Task DisposeAsync()
    {
        _test.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ACommandIsRecordedOnce_AndEachNewStatusIsToBeReportedUntilAcknowledged()
    {
        var log = new ManagedCommandLog(_test.Database, _test.Clock);
        Assert.Null(await log.TryBeginAsync("cmd-1", "parent-1", FleetAction.DeliveryStart, "7.x@1", CancellationToken.None));
        var again = await log.TryBeginAsync("cmd-1", "parent-1", FleetAction.DeliveryStart, "7.x@1", CancellationToken.None);
        Assert.Equal(FleetCommandStatus.Received, again!.Status);

        Assert.Equal(["cmd-1"], (await log.UnreportedAsync(CancellationToken.None)).Select(e => e.CommandId));
        await log.MarkReportedAsync("cmd-1", FleetCommandStatus.Received, CancellationToken.None);
        Assert.Empty(await log.UnreportedAsync(CancellationToken.None));

        await log.SetAsync("cmd-1", FleetCommandStatus.Accepted, null, CancellationToken.None);
        Assert.Equal(FleetCommandStatus.Accepted, Assert.Single(await log.UnreportedAsync(CancellationToken.None)).Status);
        Assert.Equal(["cmd-1"], (await log.UnfinishedAsync(CancellationToken.None)).Select(e => e.CommandId));
        await log.SetAsync("cmd-1", FleetCommandStatus.Done, "delivered", CancellationToken.None);
        await log.MarkReportedAsync("cmd-1", FleetCommandStatus.Done, CancellationToken.None);
        Assert.Empty(await log.UnfinishedAsync(CancellationToken.None));

        // The parent sent it again (it missed the outcome): reported again, not run again.
        await log.ReportAgainAsync("cmd-1", CancellationToken.None);
        var entry = Assert.Single(await log.UnreportedAsync(CancellationToken.None));
        Assert.Equal((FleetCommandStatus.Done, "delivered"), (entry.Status, entry.Message));
    }
}
