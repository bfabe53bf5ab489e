using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static GetApp.Agent.IntegrationTests.Infrastructure.ServerReports;
using static GetApp.Agent.IntegrationTests.Parent.ParentKit;

namespace GetApp.Agent.IntegrationTests.Parent;

/// <summary>Store-and-forward of children's reports through a parent.</summary>
public class ChildReportsTests
{
    private const string App = "7.site-app@1.0.0";

    internal static Dictionary<string, byte[]> Installable(int size = 200_000) => new()
    {
        ["install.sh"] = "#!/bin/sh\necho installed\n"u8.ToArray(),
        ["payload.bin"] = Files("payload.bin", size)["payload.bin"],
    };

    [Fact]
    public async Task AChildsReports_ReachTheServerInOrder_UnderTheChildsDeviceId_AndTheRegistryFollowsThem()
    {
        await using var server = await GetAppServerDouble.StartAsync(secret: "fleet");
        server.AddRelease(App, isPush: true, files: Installable(), executable: "install.sh", metadata: new JsonObject { ["autoDeploy"] = true });
        await using var parent = await StartParentAsync(server);
        await using var child = await StartChildAsync(parent, "child-1", secret: "fleet");

        var installed = await child.WaitForAsync(App, s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
        Assert.Equal(ReleaseState.Installed, installed.State);
        await server.WaitForAsync(s => Statuses(ForDevice(s.DeployReports, "child-1"), App, "deployStatus").LastOrDefault() == "Done", "the child's deploy Done");

        AssertDeliveredInOrder(server, "child-1", App);
        // The parent's own delivery and install of the pushed release are reported under its own id, beside the child's.
        Assert.Equal("Done", Statuses(ForDevice(server.DeployReports, "parent-1"), App, "deployStatus").Last());

        var releases = await HttpAssert.JsonAsync(await parent.Client.GetAsync("/api/cdn/device/releases?device_id=child-1"));
        var entry = Assert.Single(releases.EnumerateArray());
        Assert.Equal("child-1", entry.GetProperty("deviceId").GetString());
        Assert.False(entry.GetProperty("isSelf").GetBoolean());
        var release = Assert.Single(entry.GetProperty("data").EnumerateArray());
        ContractSchema.AssertValidStatus(release);
        Assert.Equal("installed", release.GetProperty("state").GetString());
        Assert.Equal("Done", release.GetProperty("deviceReleaseStatus").GetString());
        Assert.Equal(App, release.GetProperty("release").GetProperty("id").GetString());
        Assert.Equal("1.0.0", release.GetProperty("release").GetProperty("version").GetString());
    }

    [Fact]
    public async Task AReportNotLaterThanTheLastOneForwarded_IsForwardedJustAfterIt_SoTheServerDoesNotIgnoreIt()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        await using var parent = await StartParentAsync(server);
        var later = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

        (await parent.Client.PostAsJsonAsync("/api/v2/delivery/updateDownloadStatus", Report("Start", later))).EnsureSuccessStatusCode();
        using var second = await parent.Client.PostAsJsonAsync("/api/v2/delivery/updateDownloadStatus", Report("Download", later.AddMinutes(-5)));
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);

        await server.WaitForAsync(s => ForDevice(s.DeliveryReports, "child-z").Count() == 2, "both reports");
        // Moved into the server's clock by the parent's estimate of the offset (under a second on loopback), then kept rising.
        var times = ForDevice(server.DeliveryReports, "child-z").Select(r => DateTimeOffset.Parse(r["currentTime"]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
        Assert.InRange(times[0], later.AddSeconds(-1.5), later.AddSeconds(1.5));
        Assert.Equal(times[0].AddMilliseconds(1), times[1]);
        Assert.Empty(server.IgnoredReports);
        Assert.Equal(50, ForDevice(server.DeliveryReports, "child-z").Last()["downloadData"]!.GetValue<double>());
    }

    [Fact]
    public async Task ServerClockAhead_ChildrensTimesAreRelayedInTheServersClock_SoItsDiscoveriesAndReportsCount()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        server.ClockOffset = TimeSpan.FromHours(2);
        server.AddRelease(App, isPush: true, files: Files("app.bin", 100_000));
        await using var parent = await StartParentAsync(server);
        await using var child = await StartChildAsync(parent, "child-1");
        await child.WaitForAsync(App, s => s.State == ReleaseState.Downloaded, TimeSpan.FromSeconds(60));
        (await child.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();

        // Built in the parent's clock, two hours behind the server's: relayed as they were, the second discovery's
        // components would be ignored (not later than what the server stored) and the reports would be two hours old.
        var discoveries = server.DiscoveryMessages.Where(m => m.DeviceId == "child-1").ToList();
        Assert.True(discoveries.Count >= 2, $"{discoveries.Count} discoveries of child-1"); // the child may also send one again itself
        Assert.All(discoveries, d => Assert.True(d.Applied, $"snapshotDate {d.SentSnapshotDate:O} vs stored {d.SnapshotDate:O}"));
        await server.WaitForAsync(s => Statuses(ForDevice(s.DeliveryReports, "child-1"), App, "deliveryStatus").LastOrDefault() == "Done", "the child's Done");
        var done = ForDevice(server.DeliveryReports, "child-1").Last();
        Assert.InRange(DateTimeOffset.Parse(done["currentTime"]!.GetValue<string>(), CultureInfo.InvariantCulture), server.ServerNow.AddMinutes(-2), server.ServerNow.AddSeconds(5));
    }

    [Theory]
    [InlineData("delivery", """{"catalogId":"7.a@1","deliveryStatus":"Start","type":"software"}""", "deviceId must be a string")]
    [InlineData("delivery", """{"deviceId":"c","catalogId":"7.a@1","deliveryStatus":"Started","type":"software"}""", "deliveryStatus must be one of")]
    [InlineData("delivery", """{"deviceId":"c","catalogId":"7.a@1","deliveryStatus":"Start","type":"app"}""", "type must be one of")]
    [InlineData("delivery", """{"deviceId":"c","catalogId":"7.a@1","deliveryStatus":"Start","type":"software","currentTime":"yesterday"}""", "currentTime must be a valid ISO 8601")]
    [InlineData("delivery", """{"deviceId":"c","catalogId":"7.a@1","deliveryStatus":"Download","type":"software","downloadData":"50"}""", "downloadData must be a number")]
    [InlineData("deploy", """{"deviceId":"c","catalogId":"7.a@1","deployStatus":"Installing","type":"software","progress":101}""", "progress must be an integer between 0 and 100")]
    [InlineData("deploy", """{"deviceId":"c","catalogId":"7.a@1","deployStatus":"Download","type":"software"}""", "deployStatus must be one of")]
    public async Task MalformedReport_Is400WithTheReason_AndNothingIsQueued(string kind, string body, string expected)
    {
        await using var parent = await StartDetachedParentAsync();
        var path = kind == "deploy" ? "/api/v2/deploy/updateDeployStatus" : "/api/v2/delivery/updateDownloadStatus";
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var error = await HttpAssert.AppErrorAsync(await parent.Client.PostAsync(path, content), HttpStatusCode.BadRequest);
        Assert.Contains(expected, error.GetProperty("message").GetString());
        var status = await HttpAssert.JsonAsync(await parent.Client.GetAsync("/api/cdn/status"));
        Assert.Equal(0, status.GetProperty("reports").GetProperty("pending").GetInt32());
        Assert.Equal(0, status.GetProperty("children").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task WithoutAnUpstream_ReportsAreKept_TheOldestDroppedAndCountedPastTheLimit_AndSentOnceAnUpstreamIsConfigured()
    {
        using var data = new TempDirectory("getapp-parent");
        var start = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        await using (var detached = await TestAgent.StartAsync(dataDir: data.Path, configureServices: s => s.AddSingleton(Fast)))
        {
            (await detached.Client.PutAsJsonAsync("/api/v2/agent/configs", new JsonObject { ["parentReportsMax"] = 100 })).EnsureSuccessStatusCode();
            for (var i = 0; i < 105; i++)
            {
                using var response = await detached.Client.PostAsJsonAsync("/api/v2/delivery/updateDownloadStatus", Report("Download", start.AddSeconds(i), progress: i % 100));
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            }

            var status = await HttpAssert.JsonAsync(await detached.Client.GetAsync("/api/cdn/status"));
            Assert.Equal(100, status.GetProperty("reports").GetProperty("pending").GetInt32());
            Assert.Equal(5, status.GetProperty("reports").GetProperty("dropped").GetInt64());
        }

        await using var server = await GetAppServerDouble.StartAsync();
        await using var parent = await StartParentAsync(server, dataDir: data.Path);
        await server.WaitForAsync(s => ForDevice(s.DeliveryReports, "child-z").Count() == 100, "the 100 kept reports", TimeSpan.FromSeconds(60));
        var times = ForDevice(server.DeliveryReports, "child-z").Select(r => DateTimeOffset.Parse(r["currentTime"]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(start.AddSeconds(5), times[0]);
        Assert.Equal(times.Order(), times);
        Assert.Empty(server.IgnoredReports);
    }

    internal static IEnumerable<JsonObject> ForDevice(IEnumerable<JsonObject> reports, string deviceId) =>
        reports.Where(r => r["deviceId"]!.GetValue<string>() == deviceId);

    /// <summary>Start, then Download progress only, then Done; the same for deploy; currentTime rising; nothing ignored.</summary>
    internal static void AssertDeliveredInOrder(GetAppServerDouble server, string deviceId, string catalogId)
    {
        var delivery = Statuses(ForDevice(server.DeliveryReports, deviceId), catalogId, "deliveryStatus");
        Assert.True(delivery.Length >= 2, $"{deviceId}: {string.Join(",", delivery)}");
        Assert.Equal("Start", delivery[0]);
        Assert.Equal("Done", delivery[^1]);
        Assert.All(delivery[1..^1], s => Assert.Equal("Download", s));
        var deploy = Statuses(ForDevice(server.DeployReports, deviceId), catalogId, "deployStatus");
        Assert.Equal("Start", deploy[0]);
        Assert.Equal("Done", deploy[^1]);
        Assert.All(deploy[1..^1], s => Assert.Equal("Installing", s));
        Assert.DoesNotContain(server.IgnoredReports, r => r["deviceId"]!.GetValue<string>() == deviceId);
        var times = server.Received.Where(r => r.Path.EndsWith("Status", StringComparison.Ordinal) && r.Status == 201 && r.Body!["deviceId"]!.GetValue<string>() == deviceId)
            .Select(r => DateTimeOffset.Parse(r.Body!["currentTime"]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
        for (var i = 1; i < times.Count; i++)
        {
            Assert.True(times[i] > times[i - 1], $"{deviceId}: currentTime #{i} is not after #{i - 1}");
        }
    }

    private static JsonObject Report(string status, DateTimeOffset currentTime, double progress = 50) => new()
    {
        ["deviceId"] = "child-z",
        ["catalogId"] = App,
        ["itemKey"] = App,
        ["deliveryStatus"] = status,
        ["type"] = "software",
        ["downloadData"] = progress,
        ["currentTime"] = currentTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };
}
