using GetApp.Agent.Core.Fleet;

namespace GetApp.Agent.Tests.Fleet;

public sealed class FleetCommandStoreTests : IAsyncLifetime
{
    private FleetTestDatabase _test = null!;

    public async Task InitializeAsync() => _test = await FleetTestDatabase.CreateAsync();

    public Task DisposeAsync()
    {
        _test.Dispose();
        return Task.CompletedTask;
    }

    private FleetCommandStore Store(FleetOptions? options = null) => new(_test.Database, options ?? new FleetOptions());

    private DateTimeOffset Now => _test.Clock.Now;

    [Fact]
    public async Task CommandsAreDeliveredInOrder_UntilAcknowledged_AndSurviveAReopen()
    {
        var store = Store();
        var first = (await store.EnqueueAsync(["a", "b"], FleetAction.DeliveryStart, "7.x@1", Now, Now.AddDays(7), CancellationToken.None)).Commands!;
        var second = (await store.EnqueueAsync(["a"], FleetAction.DeployStart, "7.x@1", Now, Now.AddDays(7), CancellationToken.None)).Commands!;
        Assert.True(first[0].Seq < second[0].Seq);
        Assert.NotEqual(first[0].CommandId, first[1].CommandId);

        var forA = await store.DeliverableAsync("a", Now, CancellationToken.None);
        Assert.Equal([FleetAction.DeliveryStart, FleetAction.DeployStart], forA.Select(c => c.Action!.Value));

        // Sent but not acknowledged: still to deliver (on the next connection).
        await store.MarkSentAsync([forA[0].Seq], Now, CancellationToken.None);
        var reopened = Store();
        var again = await reopened.DeliverableAsync("a", Now, CancellationToken.None);
        Assert.Equal(FleetCommandStatus.Sent, again[0].Status);
        Assert.Equal(1, again[0].Sends);

        await reopened.ApplyResultAsync("a", again[0].CommandId, FleetCommandStatus.Received, null, Now, CancellationToken.None);
        Assert.Equal([second[0].CommandId], (await reopened.DeliverableAsync("a", Now, CancellationToken.None)).Select(c => c.CommandId));
        Assert.Single(await reopened.DeliverableAsync("b", Now, CancellationToken.None));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1 }, await reopened.PendingCountsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AResult_MovesOnlyForward_AndOnlyForTheDevicesOwnCommand()
    {
        var store = Store();
        var command = (await store.EnqueueAsync(["a"], FleetAction.DeliveryDelete, "7.x@1", Now, Now.AddDays(7), CancellationToken.None)).Commands![0];
        Assert.Null(await store.ApplyResultAsync("b", command.CommandId, FleetCommandStatus.Done, null, Now, CancellationToken.None));
        Assert.Null(await store.ApplyResultAsync("a", "cmd-unknown", FleetCommandStatus.Done, null, Now, CancellationToken.None));

        var refused = await store.ApplyResultAsync("a", command.CommandId, FleetCommandStatus.Refused, "not allowed", Now, CancellationToken.None);
        Assert.Equal(FleetCommandStatus.Refused, refused!.Status);
        var late = await store.ApplyResultAsync("a", command.CommandId, FleetCommandStatus.Received, null, Now, CancellationToken.None);
        Assert.Equal(FleetCommandStatus.Refused, late!.Status);
        Assert.Equal("not allowed", (await store.FindAsync(command.CommandId, CancellationToken.None))!.Message);
    }

    [Fact]
    public async Task ACommandExpires_UnlessTheDeviceTookIt_AndAnExpiredOneIsNeverDelivered()
    {
        var store = Store();
        var waiting = (await store.EnqueueAsync(["a", "b"], FleetAction.Discovery, null, Now, Now.AddMinutes(10), CancellationToken.None)).Commands!;
        await store.ApplyResultAsync("b", waiting[1].CommandId, FleetCommandStatus.Received, null, Now, CancellationToken.None);

        Assert.Empty(await store.ExpireAsync(Now.AddMinutes(9), CancellationToken.None));
        Assert.Empty(await store.DeliverableAsync("a", Now.AddMinutes(10), CancellationToken.None));
        Assert.Equal(["a"], await store.ExpireAsync(Now.AddMinutes(10), CancellationToken.None));
        Assert.Equal(FleetCommandStatus.Expired, (await store.FindAsync(waiting[0].CommandId, CancellationToken.None))!.Status);
        Assert.Equal(FleetCommandStatus.Received, (await store.FindAsync(waiting[1].CommandId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task OnlyACommandNotSentYet_CanBeCancelled()
    {
        var store = Store();
        var commands = (await store.EnqueueAsync(["a", "b"], FleetAction.Discovery, null, Now, Now.AddDays(1), CancellationToken.None)).Commands!;
        await store.MarkSentAsync([commands[1].Seq], Now, CancellationToken.None);

        Assert.True((await store.CancelAsync(commands[0].CommandId, Now, CancellationToken.None)).Cancelled);
        var (sent, cancelled) = await store.CancelAsync(commands[1].CommandId, Now, CancellationToken.None);
        Assert.False(cancelled);
        Assert.Equal(FleetCommandStatus.Sent, sent!.Status);
        Assert.Null((await store.CancelAsync("cmd-unknown", Now, CancellationToken.None)).Command);
        Assert.Empty(await store.DeliverableAsync("a", Now, CancellationToken.None));
    }

    [Fact]
    public async Task ADeviceWithTooManyCommandsWaiting_RefusesTheWholeAction()
    {
        var store = Store(new FleetOptions { MaxPendingPerDevice = 2 });
        await store.EnqueueAsync(["a", "b"], FleetAction.Discovery, null, Now, Now.AddDays(1), CancellationToken.None);
        await store.EnqueueAsync(["a"], FleetAction.Discovery, null, Now, Now.AddDays(1), CancellationToken.None);

        var (commands, full) = await store.EnqueueAsync(["b", "a"], FleetAction.Discovery, null, Now, Now.AddDays(1), CancellationToken.None);
        Assert.Null(commands);
        Assert.Equal(["a"], full);
        Assert.Single(await store.DeliverableAsync("b", Now, CancellationToken.None)); // nothing was queued for b either
    }

    [Fact]
    public async Task FinishedCommands_ArePrunedByAgeAndCount_WaitingOnesNever()
    {
        var store = Store(new FleetOptions { MaxFinishedCommands = 2, FinishedCommandRetention = TimeSpan.FromDays(30) });
        var commands = (await store.EnqueueAsync(["a", "b", "c", "d"], FleetAction.Discovery, null, Now, Now.AddDays(365), CancellationToken.None)).Commands!;
        foreach (var command in commands.Take(3))
        {
            await store.ApplyResultAsync(command.DeviceId, command.CommandId, FleetCommandStatus.Done, null, Now, CancellationToken.None);
        }

        Assert.Equal(1, await store.PruneAsync(Now, CancellationToken.None)); // the oldest finished one beyond the 2 kept
        Assert.Null(await store.FindAsync(commands[0].CommandId, CancellationToken.None));
        Assert.Equal(2, await store.PruneAsync(Now.AddDays(31), CancellationToken.None));
        Assert.NotNull(await store.FindAsync(commands[3].CommandId, CancellationToken.None)); // still waiting for its device
    }

    [Fact]
    public async Task ACommandWhoseStoredActionThisBuildCannotRead_IsNeverSent_ItIsMarkedFailedWithTheReason_AndLogged()
    {
        var logger = new RecordingLogger<FleetCommandStore>();
        var store = new FleetCommandStore(_test.Database, new FleetOptions(), logger);
        var failed = new List<string>();
        store.Failed += failed.Add;
        var first = (await store.EnqueueAsync(["a"], FleetAction.DeliveryStart, "7.x@1", Now, Now.AddDays(7), CancellationToken.None)).Commands![0];
        var second = (await store.EnqueueAsync(["a"], FleetAction.DeployStart, "7.x@1", Now, Now.AddDays(7), CancellationToken.None)).Commands![0];
        // Written by a newer agent (then downgraded), or damaged: an action this build has no name for.
        await _test.ExecuteAsync($"UPDATE fleet_commands SET action = 'Reboot' WHERE command_id = '{first.CommandId}';");

        var deliverable = await store.DeliverableAsync("a", Now, CancellationToken.None);

        // Not sent as anything else (a Discovery, say), not sent at all; what follows it still goes, in order.
        Assert.Equal([second.CommandId], deliverable.Select(c => c.CommandId));
        var stored = (await store.FindAsync(first.CommandId, CancellationToken.None))!;
        Assert.Equal(FleetCommandStatus.Failed, stored.Status);
        Assert.Null(stored.Action);
        Assert.Equal("Reboot", stored.ActionName);
        Assert.Contains("does not know the action 'Reboot'", stored.Message, StringComparison.Ordinal);
        Assert.Equal("Reboot", FleetCommandDto.From(stored).Action);
        Assert.Equal(["a"], failed);
        var warning = Assert.Single(logger.Entries, e => e.Id == 7800);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains(first.CommandId, warning.Message, StringComparison.Ordinal);

        // Final: never deliverable again, and no longer counted as waiting.
        Assert.Equal([second.CommandId], (await store.DeliverableAsync("a", Now, CancellationToken.None)).Select(c => c.CommandId));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1 }, await store.PendingCountsAsync(CancellationToken.None));
    }
}
