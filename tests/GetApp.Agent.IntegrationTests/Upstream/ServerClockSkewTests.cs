using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using GetApp.Agent.IntegrationTests.Reporting;

namespace GetApp.Agent.IntegrationTests.Upstream;

/// <summary>
/// The server applies a discovery's component states only when its <c>snapshotDate</c> is later than the time (its own)
/// it stored for the previous discovery. A device whose clock is behind the server's must still sync: the agent
/// estimates the offset from the server's <c>Date</c> headers and sends server-aligned times.
/// </summary>
public class ServerClockSkewTests
{
    private const string App = "7.demo-app@1.0.0";
    private static readonly TimeSpan TwoHours = TimeSpan.FromHours(2);

    [Fact]
    public async Task ServerClockTwoHoursAhead_NextDiscoverysComponentStatesAreApplied_AlsoFirstAfterARestart()
    {
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App);
        server.ClockOffset = TwoHours;
        using var data = new TempDirectory("getapp-data");
        var logs = new CapturedLogs();
        var agent = await server.StartAgentAsync(dataDir: data.Path, more: logs.AddTo);
        try
        {
            await ReportOutboxTests.WaitForReleaseAsync(agent, App);
            Assert.True((await agent.Releases.MoveAsync(App, ReleaseAction.StartDelivery, null, CancellationToken.None)).Succeeded);
            Assert.True((await agent.Releases.MoveAsync(App, ReleaseAction.FailDelivery, new ReleaseChange { ErrMsg = "disk full" }, CancellationToken.None)).Succeeded);
            // The reports first (they set the state to delivery with error "Error"): only the discovery says "disk full".
            await server.WaitForAsync(s => s.DeliveryReports.Count == 2, "the Start and Error reports");

            (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();

            var last = server.DiscoveryMessages[^1];
            Assert.True(last.Applied, $"snapshotDate {last.SentSnapshotDate:O} was not after the server's previous {server.DiscoveryMessages[^2].SnapshotDate:O}");
            Assert.InRange(last.SentSnapshotDate!.Value - last.SnapshotDate, TimeSpan.FromSeconds(-3), TimeSpan.FromSeconds(3));
            Assert.Equal(("delivery", "disk full"), (server.Component("dev-test-1", App)!.State, server.Component("dev-test-1", App)!.Error));
            var clock = (await agent.Client.GetFromJsonAsync<JsonObject>("/api/v2/device"))!["upstream"]!["serverClock"]!;
            Assert.InRange(clock["offsetMs"]!.GetValue<long>(), TwoHours.TotalMilliseconds - 3000, TwoHours.TotalMilliseconds + 3000);
            Assert.InRange(clock["uncertaintyMs"]!.GetValue<long>(), 0, 1500);
            // Report times are the server's too (what it stores as downloadStart, downloadedAt...).
            var start = server.DeliveryReports.First();
            Assert.InRange(DateTimeOffset.Parse(start["downloadStart"]!.GetValue<string>(), CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow,
                TwoHours - TimeSpan.FromMinutes(1), TwoHours + TimeSpan.FromMinutes(1));

            // After a restart the remembered offset aligns the very first discovery: no second attempt is needed.
            var sentBefore = server.Discoveries.Count;
            var resendsBefore = logs.WithEventId(4302).Count;
            agent = await agent.RestartAsync();
            await server.WaitForAsync(s => s.Discoveries.Count > sentBefore, "the discovery at start");
            await Task.Delay(500);
            Assert.True(server.DiscoveryMessages[^1].Applied);
            Assert.Equal(sentBefore + 1, server.Discoveries.Count);
            Assert.Equal(resendsBefore, logs.WithEventId(4302).Count);
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }

    [Fact]
    public async Task ServerClockJumpsAheadBetweenDiscoveries_TheDiscoveryThatFindsOutIsSentAgainAligned_AndTheNextOnesApply()
    {
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App);
        var logs = new CapturedLogs();
        await using var agent = await server.StartAgentAsync(more: logs.AddTo);
        await ReportOutboxTests.WaitForReleaseAsync(agent, App);

        server.ClockOffset = TwoHours;
        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();
        Assert.True((await agent.Releases.MoveAsync(App, ReleaseAction.StartDelivery, null, CancellationToken.None)).Succeeded);
        Assert.True((await agent.Releases.MoveAsync(App, ReleaseAction.FailDelivery, new ReleaseChange { ErrMsg = "disk full" }, CancellationToken.None)).Succeeded);
        await server.WaitForAsync(s => s.DeliveryReports.Count == 2, "the Start and Error reports");
        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();

        Assert.Single(logs.WithEventId(4302));
        // At start, the one that found out, its aligned repeat, the last one: every one applied.
        Assert.All(server.DiscoveryMessages, m => Assert.True(m.Applied, $"sent {m.SentSnapshotDate:O}, stored {m.SnapshotDate:O}"));
        Assert.Equal("disk full", server.Component("dev-test-1", App)!.Error);
    }
}
