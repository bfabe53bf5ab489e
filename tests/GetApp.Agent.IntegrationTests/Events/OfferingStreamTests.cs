using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Events;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Events.EventStreamTestKit;

namespace GetApp.Agent.IntegrationTests.Events;

/// <summary>
/// The offering of a large catalog is MiBs: while nobody follows its stream, a change of it is not built or published,
/// only owed. Whoever comes later still gets what the stream promises: a new client the current offering in its
/// snapshot, a client resuming with <c>Last-Event-ID</c> the change it missed.
/// </summary>
public sealed class OfferingStreamTests
{
    private const string App = "7.demo-app@1.0.0";
    private const string Other = "3.other@1.0.0";
    private const string Third = "9.third@1.0.0";

    [Fact]
    public async Task WhileNobodyFollows_AChangeIsNotPublished_AndTheFirstClientsSnapshotIsTheCurrentOffering()
    {
        using var catalog = new TestCatalog();
        catalog.Add(App).Add(Other).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        var hub = agent.Get<EventHub>();
        var published = new List<AgentEvent>();
        hub.Published += e =>
        {
            lock (published)
            {
                published.Add(e);
            }
        };

        await agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
        catalog.Add(Third).Write();
        await DiscoverAndWaitForTheDispatcherAsync(agent, published);

        Assert.DoesNotContain(Snapshot(published), e => e.Stream == EventStreams.Offering);

        await using var stream = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/offering");
        var reset = await stream.WaitForAsync(e => !e.IsComment);
        var snapshot = await stream.WaitForAsync(e => !e.IsComment);

        Assert.Equal("reset", reset.Event);
        Assert.Equal(await GetTextAsync(agent, "/api/v2/device/offering"), snapshot.Data);
        Assert.Equal(3, snapshot.Json.GetArrayLength());
        Assert.Empty(stream.Violations);
    }

    [Fact]
    public async Task AClientResumingWithLastEventId_GetsTheChangeMadeWhileNobodyFollowed()
    {
        using var catalog = new TestCatalog();
        catalog.Add(App).Add(Other).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        var published = new List<AgentEvent>();
        agent.Get<EventHub>().Published += e =>
        {
            lock (published)
            {
                published.Add(e);
            }
        };

        await agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
        string lastSeen;
        await using (var leaving = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/offering"))
        {
            await leaving.WaitForAsync(e => e.Id is not null);
            await leaving.DrainAsync(TimeSpan.FromMilliseconds(300));
            lastSeen = leaving.LastEventId!;
        }

        catalog.Add(Third).Write();
        await DiscoverAndWaitForTheDispatcherAsync(agent, published);
        await using var back = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/offering", lastSeen);
        var missed = await back.WaitForAsync(e => !e.IsComment, TimeSpan.FromSeconds(15));

        Assert.Equal("message", missed.Event);
        Assert.True(Sequence(missed.Id!) > Sequence(lastSeen), back.Describe());
        Assert.Equal(await GetTextAsync(agent, "/api/v2/device/offering"), missed.Data);
        Assert.Equal(3, missed.Json.GetArrayLength());
        Assert.Empty(back.Violations);
    }

    /// <summary>
    /// Runs a discovery and waits until the dispatcher has handled it: it publishes the summary (which counts the
    /// discovery) after it dealt with the offering, in the same round or a later one.
    /// </summary>
    private static async Task DiscoverAndWaitForTheDispatcherAsync(TestAgent agent, List<AgentEvent> published)
    {
        var before = Snapshot(published).Count;
        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!Snapshot(published).Skip(before).Any(e => e.Stream == EventStreams.Agent))
        {
            Assert.True(DateTime.UtcNow < deadline, "no summary published after the discovery");
            await Task.Delay(20);
        }
    }

    private static List<AgentEvent> Snapshot(List<AgentEvent> published)
    {
        lock (published)
        {
            return [.. published];
        }
    }
}
