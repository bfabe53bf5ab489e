using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Delivery;
using GetApp.Agent.IntegrationTests.Deploy;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Events.EventStreamTestKit;

namespace GetApp.Agent.IntegrationTests.Events;

/// <summary>The notifications stream: what a person must see, each told once, with the release it is about.</summary>
public sealed class NotificationTests
{
    private const string App = "7.demo-app@1.0.0";

    [Fact]
    public async Task FailedDelivery_OneErrorNotificationNamingTheRelease_AlsoInTheHistory()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 10_000);
        file.Faults.FailStatus = 404;
        file.Faults.FailTimes = int.MaxValue;
        s.Catalog.AddRaw(CatalogEntries.Http(App, file));
        await s.StartAgentAsync();
        await using var stream = await SseClient.ConnectAsync(s.Agent.Client, "/api/v2/events/notifications");
        Assert.Equal("reset", (await stream.NextEventAsync()).Event);

        await s.ControlOkAsync("start", App);
        var notification = (await stream.NextEventAsync()).Json;

        AssertNotification(notification, "deliveryFailed", "error", "delivery");
        Assert.Equal("release", notification.GetProperty("entity").GetProperty("type").GetString());
        Assert.Equal(App, notification.GetProperty("entity").GetProperty("id").GetString());
        Assert.Contains("HTTP 404", notification.GetProperty("message").GetString());
        var history = Parse(await GetTextAsync(s.Agent, "/api/v2/agent/notifications")).EnumerateArray().ToList();
        Assert.Equal(notification.GetProperty("id").GetString(), Assert.Single(history).GetProperty("id").GetString());
        await HttpAssert.AppErrorAsync(await s.Agent.Client.GetAsync("/api/v2/agent/notifications?limit=0"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task RefusedSignature_ASecurityNotification()
    {
        using var key = new CosignKey();
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 50_000);
        var entry = CatalogEntries.Http(App, file);
        entry["artifacts"]![0]!["signature"] = key.Sign(new byte[] { 1, 2, 3 });
        s.Catalog.AddRaw(entry);
        await s.StartAgentAsync(configure: o => o with { CosignPublicKey = key.PublicKeyFile });
        await using var stream = await SseClient.ConnectAsync(s.Agent.Client, "/api/v2/events/notifications");
        await stream.NextEventAsync();

        await s.ControlOkAsync("start", App);
        var notification = (await stream.NextEventAsync()).Json;

        AssertNotification(notification, "signatureRefused", "error", "security");
        Assert.Contains("Signature Validation failed", notification.GetProperty("message").GetString());
        Assert.Empty(await stream.DrainAsync(TimeSpan.FromMilliseconds(500)).ContinueWith(t => t.Result.Where(e => !e.IsComment).ToList()));
    }

    [Fact]
    public async Task FailedInstall_AnErrorNotificationWithTheInstallersOutput()
    {
        using var catalog = new TestCatalog();
        catalog.Add(App, files: DeployTestKit.Installer("echo disk is read-only >&2; exit 3"), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);
        await agent.Client.PostAsync($"/api/v2/delivery/start/{Uri.EscapeDataString(App)}", null);
        await agent.WaitForAsync(App, r => r.State == ReleaseState.Downloaded);
        await using var stream = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/notifications");
        await stream.NextEventAsync();

        await DeployTestKit.StartAsync(agent, App);
        var notification = (await stream.NextEventAsync()).Json;

        AssertNotification(notification, "deployFailed", "error", "deploy");
        Assert.Contains("exited with code 3", notification.GetProperty("message").GetString());
        Assert.Contains("disk is read-only", notification.GetProperty("message").GetString());
    }

    [Fact]
    public async Task UpstreamGoneAndBack_TwoNotifications_TheSummaryFollows_AndTheAgentStaysReady()
    {
        await using var server = await GetAppServerDouble.StartAsync("s3cret");
        server.AddRelease(App, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[100] });
        await using var agent = await server.StartAgentAsync();
        await server.WaitForAsync(d => d.Discoveries.Count > 0, "a discovery");
        await using var stream = await SseClient.ConnectAsync(agent.Client, "/api/v2/events?streams=notifications,agent");
        await stream.WaitForAsync(e => e.Id is not null);

        await server.GoDownAsync();
        await agent.Client.PostAsync("/api/v2/triggers/discover-component", null);
        var gone = await stream.WaitForAsync(e => e.Event == "notification");
        var summary = await stream.WaitForAsync(e => e.Event == "agent" && e.Json.GetProperty("upstream").GetProperty("state").GetString() == "unreachable");
        var ready = await agent.Client.GetAsync("/health/ready");

        AssertNotification(gone.Json, "upstreamUnreachable", "warning", "upstream");
        Assert.Equal(JsonValueKind.Null, gone.Json.GetProperty("entity").ValueKind);
        Assert.Contains("cannot reach the server", summary.Json.GetProperty("upstream").GetProperty("lastError").GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("unreachable", Parse(await ready.Content.ReadAsStringAsync()).GetProperty("upstream").GetProperty("state").GetString());

        await server.ComeBackAsync();
        await agent.Client.PostAsync("/api/v2/triggers/discover-component", null);
        var back = await stream.WaitForAsync(e => e.Event == "notification");

        AssertNotification(back.Json, "upstreamBack", "info", "upstream");
        await stream.WaitForAsync(e => e.Event == "agent" && e.Json.GetProperty("upstream").GetProperty("state").GetString() == "reachable");
        Assert.Equal(2, stream.Events.Count(e => e.Event == "notification"));
    }

    [Fact]
    public async Task DiskSpaceBelowTheDeliveryBuffer_DiskLowAndNotReady_ThenBack()
    {
        await using var agent = await TestAgent.StartAsync();
        var disk = Parse(await GetTextAsync(agent, "/api/v2/agent/summary")).GetProperty("disk");
        Assert.False(disk.GetProperty("low").GetBoolean(), $"this test needs more than 5 % of the disk (or 1 GiB) free: {disk}");
        await using var stream = await SseClient.ConnectAsync(agent.Client, "/api/v2/events/notifications");
        await stream.NextEventAsync();
        Assert.Equal(HttpStatusCode.OK, (await agent.Client.GetAsync("/health/ready")).StatusCode);

        // The setting's maximum (1 TiB): more than the free space of any disk this runs on.
        Assert.True(disk.GetProperty("freeBytes").GetInt64() < 1L << 40, $"this test needs less than 1 TiB free: {disk}");
        await DeployTestKit.SetConfigAsync(agent, """{"deliveryStorageBufferBytes": 1099511627776}""");
        var low = (await stream.NextEventAsync()).Json;
        var notReady = await HttpAssert.AppErrorAsync(await agent.Client.GetAsync("/health/ready"), HttpStatusCode.ServiceUnavailable);

        AssertNotification(low, "diskLow", "warning", "storage");
        Assert.Equal("NotReady", notReady.GetProperty("name").GetString());
        Assert.Contains("diskSpace", notReady.GetProperty("message").GetString());
        Assert.False(notReady.GetProperty("checks").GetProperty("diskSpace").GetProperty("ok").GetBoolean());
        Assert.True(notReady.GetProperty("checks").GetProperty("database").GetProperty("ok").GetBoolean());
        Assert.True(notReady.GetProperty("checks").GetProperty("dataDir").GetProperty("ok").GetBoolean());

        (await agent.Client.DeleteAsync("/api/v2/agent/configs/deliveryStorageBufferBytes")).EnsureSuccessStatusCode();
        var back = (await stream.NextEventAsync()).Json;

        AssertNotification(back, "diskRecovered", "info", "storage");
        Assert.Equal(HttpStatusCode.OK, (await agent.Client.GetAsync("/health/ready")).StatusCode);
    }

    private static void AssertNotification(JsonElement json, string kind, string severity, string category)
    {
        Assert.Equal(["id", "kind", "severity", "category", "message", "entity", "at"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(kind, json.GetProperty("kind").GetString());
        Assert.Equal(severity, json.GetProperty("severity").GetString());
        Assert.Equal(category, json.GetProperty("category").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("message").GetString()));
        Assert.True(DateTimeOffset.TryParse(json.GetProperty("at").GetString(), out _));
    }
}
