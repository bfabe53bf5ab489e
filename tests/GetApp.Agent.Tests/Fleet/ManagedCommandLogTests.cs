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

    [Fact]
    public async Task ACommandWhoseRecordedActionThisBuildCannotRead_IsNotRunAfterARestart_ItIsRefusedToBeReported_AndLogged()
    {
        var logger = new RecordingLogger<ManagedCommandLog>();
        var log = new ManagedCommandLog(_test.Database, _test.Clock, logger);
        Assert.Null(await log.TryBeginAsync("cmd-1", "parent-1", FleetAction.DeliveryStart, "7.x@1", CancellationToken.None));
        Assert.Null(await log.TryBeginAsync("cmd-2", "parent-1", FleetAction.Discovery, null, CancellationToken.None));
        await log.MarkReportedAsync("cmd-1", FleetCommandStatus.Received, CancellationToken.None);
        // Left by another version of the agent (received, not run yet when it stopped), with an action this one cannot read.
        await _test.ExecuteAsync("UPDATE managed_commands SET action = 'Reboot' WHERE command_id = 'cmd-1';");

        var unfinished = await log.UnfinishedAsync(CancellationToken.None);

        // Only what this build can run is run again at start: never the unknown one, under any other action's name.
        Assert.Equal(["cmd-2"], unfinished.Select(e => e.CommandId));
        var refused = Assert.Single(await log.UnreportedAsync(CancellationToken.None), e => e.CommandId == "cmd-1");
        Assert.Equal(FleetCommandStatus.Refused, refused.Status);
        Assert.Null(refused.Action);
        Assert.Equal("Reboot", refused.ActionName);
        Assert.Contains("does not know the action 'Reboot'", refused.Message, StringComparison.Ordinal);
        Assert.Equal("Reboot", ManagedCommandEntryDto.From(refused).Action);
        Assert.Contains(logger.Entries, e => e.Id == 7810 && e.Message.Contains("cmd-1", StringComparison.Ordinal));
        Assert.Equal(["cmd-2"], (await log.UnfinishedAsync(CancellationToken.None)).Select(e => e.CommandId));
    }

    [Fact]
    public async Task AnActionThisBuildDoesNotKnow_IsRecordedUnderItsOwnName_NeverAsAnother()
    {
        var log = new ManagedCommandLog(_test.Database, _test.Clock);
        Assert.Null(await log.TryBeginAsync("cmd-9", "parent-1", "Reboot", null, CancellationToken.None));

        var entry = Assert.Single(await log.RecentAsync(10, CancellationToken.None));
        Assert.Equal("Reboot", entry.ActionName);
        Assert.Null(entry.Action);
        Assert.Empty(await log.UnfinishedAsync(CancellationToken.None));
    }
}
