using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Events.EventStreamTestKit;

namespace GetApp.Agent.IntegrationTests.Events;

/// <summary>Event ids and <c>Last-Event-ID</c>: a client that reconnects gets what it missed, or a snapshot when that is gone.</summary>
public sealed class ReplayTests
{
    private const string First = "7.demo-app@1.0.0";
    private const string Second = "8.demo-tool@2.0.0";

    [Fact]
    public async Task Reconnect_WithLastEventId_GetsExactlyWhatItMissed_NoSnapshot()
    {
        using var catalog = Catalog();
        await using var agent = await StartAsync(catalog, new EventsOptions());
        await using var watcher = await SseClient.ConnectAsync(agent.Client, "/api/v2/events");
        await watcher.WaitForAsync(e => e.Id is not null);
        await watcher.DrainAsync(TimeSpan.FromMilliseconds(300));
        string lastSeen;
        await using (var leaving = await SseClient.ConnectAsync(agent.Client, "/api/v2/events"))
        {
            await leaving.WaitForAsync(e => e.Id is not null);
        await leaving.DrainAsync(TimeSpan.FromMilliseconds(300));
            lastSeen = leaving.LastEventId!;
        }

        await agent.Client.PostAsync($"/api/v2/delivery/start/{Uri.EscapeDataString(First)}", null);
        await agent.WaitForAsync(First, r => r.State == ReleaseState.Downloaded);
        await watcher.WaitForAsync(e => e.Event == "delivery" && e.Json.GetProperty("state").GetString() == "downloaded");
        await using var back = await SseClient.ConnectAsync(agent.Client, "/api/v2/events", lastSeen);
        await back.WaitForAsync(e => e.Event == "delivery" && e.Json.GetProperty("state").GetString() == "downloaded");
        await back.DrainAsync(TimeSpan.FromMilliseconds(500));
        var replayed = back.Events.ToList();
        await watcher.WaitForAsync(e => e.Id is not null);
        await watcher.DrainAsync(TimeSpan.FromMilliseconds(300));

        Assert.DoesNotContain(replayed, e => e.Event == "reset");
        Assert.Contains(replayed, e => e.Event == "delivery" && e.Json.GetProperty("state").GetString() == "downloaded");
        var missed = watcher.Events.Where(e => e.Id is not null && Sequence(e.Id) > Sequence(lastSeen) && Sequence(e.Id) <= Sequence(replayed[^1].Id!)).ToList();
        Assert.True(missed.Count >= 5, back.Describe());
        Assert.Equal(missed.Select(e => (e.Id, e.Event, e.Data)), replayed.Select(e => (e.Id, e.Event, e.Data)));
        Assert.Contains(missed, e => e.Event == "offering");
    }

    [Fact]
    public async Task Reconnect_ToOneStream_ReplaysOnlyThatStream()
    {
        using var catalog = Catalog();
        await using var agent = await StartAsync(catalog, new EventsOptions());
        string lastSeen;
        await using (var leaving = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/delivery"))
        {
            await leaving.WaitForAsync(e => e.Id is not null);
        await leaving.DrainAsync(TimeSpan.FromMilliseconds(300));
            lastSeen = leaving.LastEventId!;
        }

        await agent.Client.PostAsync($"/api/v2/delivery/start/{Uri.EscapeDataString(First)}", null);
        await agent.WaitForAsync(First, r => r.State == ReleaseState.Downloaded);
        await using var back = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/delivery", lastSeen);
        await back.WaitForAsync(e => e.Event == "message" && e.Json.GetProperty("state").GetString() == "downloaded");
        await back.DrainAsync(TimeSpan.FromMilliseconds(500));
        var replayed = back.Events.ToList();

        Assert.NotEmpty(replayed);
        Assert.All(replayed, e => Assert.Equal("message", e.Event));
        Assert.All(replayed, e => Assert.Equal(First, e.Json.GetProperty("release").GetProperty("id").GetString()));
        Assert.Equal("downloaded", replayed[^1].Json.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Reconnect_IdNoLongerBuffered_GetsAFreshSnapshot()
    {
        using var catalog = Catalog();
        await using var agent = await StartAsync(catalog, new EventsOptions { ReplayBufferSize = 4 });
        string lastSeen;
        await using (var leaving = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/delivery"))
        {
            await leaving.WaitForAsync(e => e.Id is not null);
        await leaving.DrainAsync(TimeSpan.FromMilliseconds(300));
            lastSeen = leaving.LastEventId!;
        }

        foreach (var id in (string[])[First, Second])
        {
            await agent.Client.PostAsync($"/api/v2/delivery/start/{Uri.EscapeDataString(id)}", null);
            await agent.WaitForAsync(id, r => r.State == ReleaseState.Downloaded);
        }

        await using var back = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/delivery", lastSeen);
        await back.WaitForAsync(e => e.Id is not null);
        var items = back.Events.ToList();

        Assert.Equal("reset", items[0].Event);
        Assert.Equal([First, Second], items.Skip(1).Select(e => e.Json.GetProperty("release").GetProperty("id").GetString()).Order());
        Assert.All(items.Skip(1), e => Assert.Equal("downloaded", e.Json.GetProperty("state").GetString()));
        Assert.Null(items[0].Id);
        Assert.True(Sequence(back.LastEventId!) > Sequence(lastSeen));
    }

    [Fact]
    public async Task Reconnect_WithAnIdOfAnEarlierRunOrAMadeUpOne_GetsASnapshot()
    {
        using var catalog = Catalog();
        var agent = await StartAsync(catalog, new EventsOptions());
        try
        {
            string lastSeen;
            await using (var before = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/offering"))
            {
                await before.WaitForAsync(e => e.Id is not null);
        await before.DrainAsync(TimeSpan.FromMilliseconds(300));
                lastSeen = before.LastEventId!;
            }

            agent = await agent.RestartAsync();
            string boot;
            await using (var fresh = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/offering"))
            {
                await fresh.WaitForAsync(e => e.Id is not null);
        await fresh.DrainAsync(TimeSpan.FromMilliseconds(300));
                boot = Boot(fresh.LastEventId!);
            }

            Assert.NotEqual(Boot(lastSeen), boot);
            foreach (var id in (string[])[lastSeen, "bogus", "bogus-1", boot + "-999999", boot + "-x"])
            {
                await using var after = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/offering", id);
                var first = await after.NextEventAsync();
                Assert.Equal("reset", first.Event);
                Assert.Equal(boot, Boot((await after.NextEventAsync()).Id!));
            }
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }

    private static TestCatalog Catalog()
    {
        var catalog = new TestCatalog();
        catalog.Add(First, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[2000] })
            .Add(Second, files: new Dictionary<string, byte[]> { ["tool.bin"] = new byte[3000] })
            .Write();
        return catalog;
    }

    private static async Task<TestAgent> StartAsync(TestCatalog catalog, EventsOptions options)
    {
        var agent = await TestAgent.StartAsync(catalog.Path, configureServices: With(options));
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);
        return agent;
    }
}
