using System.Net;
using System.Text.Json;
using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Delivery;
using GetApp.Agent.IntegrationTests.Deploy;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Events.EventStreamTestKit;

namespace GetApp.Agent.IntegrationTests.Events;

/// <summary>The payload of every stream, over a real connection, against the REST answers of the same things.</summary>
public sealed class EventStreamTests
{
    private const string App = "7.demo-app@1.0.0";
    private const string Other = "3.other@1.0.0";

    [Fact]
    public async Task OfferingStream_StartsWithTheOfferingAndSendsItAgainOnEveryChange()
    {
        using var catalog = new TestCatalog();
        catalog.Add(App, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[1000] }).Add(Other).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);
        await using var stream = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/offering");

        // The snapshot is the offering as last published; a discovery still being published follows at once.
        await stream.WaitForAsync(e => e.Id is not null);
        await stream.DrainAsync(TimeSpan.FromMilliseconds(500));
        var initial = stream.Events.ToList();

        Assert.Equal("reset", initial[0].Event);
        Assert.Equal("offering", initial[0].Json.GetProperty("stream").GetString());
        Assert.Null(initial[0].Id);
        Assert.All(initial.Skip(1), e => Assert.Equal("message", e.Event)); // unnamed: an EventSource's onmessage receives them
        Assert.All(initial.Skip(1), e => Assert.NotNull(e.Id));
        Assert.True(SameJson(await GetTextAsync(agent, "/api/v2/device/offering"), initial[^1].Data), initial[^1].Data);

        await agent.Client.PostAsync($"/api/v2/delivery/start/{Uri.EscapeDataString(App)}", null);
        var changed = await stream.NextEventAsync();

        Assert.Equal("message", changed.Event);
        Assert.True(Sequence(changed.Id!) > Sequence(initial[^1].Id!));
        var ids = changed.Json.EnumerateArray().Select(o => o.GetProperty("release").GetProperty("id").GetString()).ToList();
        Assert.Equal([Other], ids);
        Assert.True(SameJson(await GetTextAsync(agent, "/api/v2/device/offering"), changed.Data));
        Assert.Empty(stream.Violations);
    }

    [Fact]
    public async Task OfferingStream_DiscoveryThatChangesNothing_SendsNothing()
    {
        using var catalog = new TestCatalog();
        catalog.Add(App).Add(Other).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);
        await using var stream = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/offering");
        await stream.WaitForAsync(e => e.Id is not null);
        await stream.DrainAsync(TimeSpan.FromMilliseconds(500));
        var before = stream.Events.Count;

        // A periodic discovery of an unchanged catalog (of thousands, perhaps) sends every client nothing.
        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();
        await stream.DrainAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(before, stream.Events.Count);

        catalog.Add("9.third@1.0.0").Write();
        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();
        var changed = await stream.NextEventAsync();
        Assert.Equal(3, changed.Json.GetArrayLength());
        Assert.Empty(stream.Violations);
    }

    [Fact]
    public async Task DeliveryStream_EveryMoveAndProgressStep_IsTheStatusDtoOfTheSeedEndpoint()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 3_000_000, seed: 3);
        file.Faults.ThrottleBytesPerSecond = 1_000_000;
        s.Catalog.AddRaw(CatalogEntries.Http(App, file));
        await s.StartAgentAsync();
        await using var stream = await SseClient.ConnectAsync(s.Agent.Client, "/api/v2/events/delivery");
        Assert.Equal("reset", (await stream.NextEventAsync()).Event);

        await s.ControlOkAsync("start", App);
        await stream.WaitForAsync(e => !e.IsComment && e.Json.GetProperty("state").GetString() == "downloaded", TimeSpan.FromSeconds(30));

        var events = stream.Events.Skip(1).ToList();
        Assert.All(events, e => ContractSchema.AssertValidStatus(e.Json));
        Assert.All(events, e => Assert.Equal(App, e.Json.GetProperty("release").GetProperty("id").GetString()));
        var ids = events.Select(e => Sequence(e.Id!)).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());

        var positions = events.Select(e => $"{e.Json.GetProperty("state").GetString()}/{Text(e.Json, "deliveryState")}/{Text(e.Json, "deviceReleaseStatus")}").Distinct().ToList();
        Assert.Equal(["delivery/prepare/Start", "delivery/download/InProgress", "delivery/validation/InProgress", "downloaded/done/Done"], positions);

        var progress = events.Where(e => e.Json.GetProperty("deliveryState").GetString() == "download").ToList();
        var values = progress.Select(e => e.Json.GetProperty("progress").GetDouble()).ToList();
        Assert.Equal(values.Order(), values);
        Assert.True(values.Distinct().Count() >= 4, $"progress steps: {string.Join(", ", values)}");
        // Coalesced: at most one progress event per 250 ms per release (the agent samples twice a second).
        var gaps = progress.Zip(progress.Skip(1), (a, b) => b.At - a.At).ToList();
        Assert.True(gaps.Count(g => g < TimeSpan.FromMilliseconds(150)) <= 2, string.Join(", ", gaps.Select(g => g.TotalMilliseconds)));
        Assert.True(progress.Any(e => e.Json.GetProperty("eta").ValueKind == JsonValueKind.Number), "an ETA while it downloads");

        var final = events[^1];
        Assert.True(SameJson(await GetTextAsync(s.Agent, $"/api/v2/device/releases/{Uri.EscapeDataString(App)}"), final.Data), final.Data);
        Assert.Equal(JsonValueKind.Null, final.Json.GetProperty("eta").ValueKind);
    }

    [Fact]
    public async Task DeployStream_EveryChange_IsTheDeployDtoOfTheDeployEndpoint()
    {
        using var catalog = new TestCatalog();
        catalog.Add(App, files: DeployTestKit.Installer("echo installing; sleep 0.3; echo done"), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);
        await agent.Client.PostAsync($"/api/v2/delivery/start/{Uri.EscapeDataString(App)}", null);
        await agent.WaitForAsync(App, r => r.State == ReleaseState.Downloaded);
        await using var stream = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/deploy");
        Assert.Equal("reset", (await stream.NextEventAsync()).Event);

        (await DeployTestKit.StartAsync(agent, App)).EnsureSuccessStatusCode();
        await stream.WaitForAsync(e => !e.IsComment && e.Json.GetProperty("status").GetString() == "Done" && e.Json.GetProperty("messageLog").GetString() is { } log && log.Contains("exited with code 0"));

        var events = stream.Events.Skip(1).ToList();
        var statuses = events.Select(e => e.Json.GetProperty("status").GetString()).Distinct().ToList();
        Assert.Equal(["Start", "Installing", "Done"], statuses);
        var rest = Parse(await GetTextAsync(agent, $"/api/v2/deploy/{Uri.EscapeDataString(App)}"));
        var last = events[^1].Json;
        Assert.Equal(rest.EnumerateObject().Select(p => p.Name), last.EnumerateObject().Select(p => p.Name));
        foreach (var property in rest.EnumerateObject().Where(p => p.Name != "currentTime"))
        {
            Assert.Equal(property.Value.ToString(), last.GetProperty(property.Name).ToString());
        }
    }

    [Fact]
    public async Task CombinedStream_NamesEveryEventAfterItsStream_AndRefusesAnUnknownOne()
    {
        using var catalog = new TestCatalog();
        catalog.Add(App).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);

        await using (var stream = await SseClient.ConnectAsync(agent.Client, "/api/v2/events?streams=offering,notifications,agent"))
        {
            var last = await stream.WaitForAsync(e => e.Id is not null);
            var first = stream.Received.TakeWhile(e => e != last).Append(last).ToList();
            Assert.Equal(["reset", "agent", "reset", "offering", "reset"], first.Where(e => !e.IsComment).Select(e => e.Event));
            Assert.Equal(["agent", "offering", "notifications"], first.Where(e => e.Event == "reset").Select(e => e.Json.GetProperty("stream").GetString()));
            Assert.NotNull(first.Where(e => !e.IsComment).Last().Id);
        }

        await HttpAssert.AppErrorAsync(await agent.Client.GetAsync("/api/v2/events?streams=delivery,bogus"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AgentStream_TheDeviceSummary_SameAsTheSummaryEndpoint()
    {
        using var catalog = new TestCatalog();
        catalog.Add(App).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);

        await using var stream = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/agent");
        Assert.Equal("reset", (await stream.NextEventAsync()).Event);
        // The snapshot holds the last summary published; the one after the discovery follows within a second.
        var summary = (await stream.WaitForAsync(e => e.Event == "message" && e.Json.GetProperty("upstream").GetProperty("state").GetString() == "reachable", TimeSpan.FromSeconds(5))).Json;
        var rest = Parse(await GetTextAsync(agent, "/api/v2/agent/summary"));

        Assert.Equal(rest.EnumerateObject().Select(p => p.Name), summary.EnumerateObject().Select(p => p.Name));
        Assert.Equal(rest.GetProperty("deviceId").GetString(), summary.GetProperty("deviceId").GetString());
        Assert.Equal("reachable", summary.GetProperty("upstream").GetProperty("state").GetString());
        Assert.Equal(1, summary.GetProperty("lastDiscovery").GetProperty("offered").GetInt32());
        Assert.True(summary.GetProperty("disk").GetProperty("freeBytes").GetInt64() > 0);
        Assert.Equal(Path.GetFullPath(agent.DataDir), summary.GetProperty("disk").GetProperty("path").GetString());
    }

    [Fact]
    public async Task AgentStream_ListsRunningTransfersWithTheirSpeed_UntilTheyEnd()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 4_000_000, seed: 12);
        file.Faults.ThrottleBytesPerSecond = 1_000_000;
        s.Catalog.AddRaw(CatalogEntries.Http(App, file));
        await s.StartAgentAsync();
        await using var stream = await SseClient.ConnectAsync(s.Agent.Client, "/api/v2/events/agent");

        await s.ControlOkAsync("start", App);
        var moving = await stream.WaitForAsync(e => e.Event == "message" && e.Json.GetProperty("transfers").EnumerateArray()
            .Any(t => t.GetProperty("bytesPerSecond").GetDouble() > 0), TimeSpan.FromSeconds(20));
        var transfer = Assert.Single(moving.Json.GetProperty("transfers").EnumerateArray());
        await s.WaitDownloadedAsync(App);
        await stream.WaitForAsync(e => e.Event == "message" && e.Json.GetProperty("transfers").GetArrayLength() == 0, TimeSpan.FromSeconds(10));

        Assert.Equal(App, transfer.GetProperty("catalogId").GetString());
        Assert.Equal(file.Size, transfer.GetProperty("totalBytes").GetInt64());
        Assert.InRange(transfer.GetProperty("doneBytes").GetInt64(), 1, file.Size);
        // The origin sends 1 MB/s; a busy machine may make it slower, never much faster.
        Assert.InRange(transfer.GetProperty("bytesPerSecond").GetDouble(), 100_000, 1_500_000);
        Assert.Equal(transfer.GetProperty("progress").GetDouble(), 100.0 * transfer.GetProperty("doneBytes").GetInt64() / file.Size, 0);
    }

    [Fact]
    public async Task GetConfigStream_ExistsAndKeepsAliveWithPings()
    {
        await using var agent = await TestAgent.StartAsync(configureServices: With(new EventsOptions { PingInterval = TimeSpan.FromMilliseconds(200) }));
        await using var stream = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/getconfig");

        Assert.Equal("reset", (await stream.NextEventAsync()).Event);
        var pings = new List<SseEvent>();
        while (pings.Count < 3)
        {
            var item = await stream.NextAsync(TimeSpan.FromSeconds(5));
            Assert.True(item.IsComment, $"only pings follow: {item.Event} {item.Data}");
            pings.Add(item);
        }

        Assert.All(pings, p => Assert.Equal("ping", p.Comment));
        Assert.Empty(stream.Violations);
    }

    [Fact]
    public void Ping_ByDefault_EveryTenSeconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), new EventsOptions().PingInterval);
    }

    [Fact]
    public async Task Streams_OnANonLoopbackBind_RequireDeviceAuth()
    {
        await using var agent = await TestAgent.StartAsync(configure: o => o with { Urls = ["http://0.0.0.0:0"], DeviceSecret = "s3cret" });
        using var anonymous = new HttpClient { BaseAddress = agent.BaseAddress };

        foreach (var path in (string[])["/api/v2/events", "/api/v2/events/delivery", "/api/v2/agent/summary", "/health/ready", "/metrics"])
        {
            await HttpAssert.AppErrorAsync(await anonymous.GetAsync(path), HttpStatusCode.Unauthorized);
        }

        await using var stream = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/delivery");
        Assert.Equal("reset", (await stream.NextEventAsync()).Event);
    }

    private static string Text(JsonElement json, string name) => json.GetProperty(name).ValueKind == JsonValueKind.Null ? "" : json.GetProperty(name).GetString()!;
}
