using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Infrastructure.ServerReports;

namespace GetApp.Agent.IntegrationTests.Reporting;

/// <summary>
/// Release moves (through <see cref="ReleaseService.MoveAsync"/>, as the engines make them) become GetApp server reports,
/// queued in the database and sent in order with a strictly increasing <c>currentTime</c>, also across outages and restarts.
/// </summary>
public class ReportOutboxTests
{
    private const string App = "7.demo-app@1.0.0";
    private const string Lib = "8.demo-lib@2.1.0";

    // Offered, not pushed: these tests make every move themselves (as the engines would) to check the exact reports,
    // so the delivery engine must not pick the release up on its own. EndToEnd/ drives the same flow with the engines.
    private static GetAppServerDouble WithAppAndLib(GetAppServerDouble server) => server
        .AddRelease(App, files: new Dictionary<string, byte[]> { ["install.sh"] = "#!/bin/sh\necho ok\n"u8.ToArray() }, executable: "install.sh")
        .AddRelease(Lib, dependedOnBy: [App], files: new Dictionary<string, byte[]> { ["lib.tar"] = new byte[1000] });

    [Fact]
    public async Task Outbox_ReleaseAndDependencyDeliveredAndInstalled_ServerGetsEveryReportInOrderAndNextDiscoveryListsBothInstalled()
    {
        await using var server = WithAppAndLib(await GetAppServerDouble.StartAsync(secret: "s3cret"));
        await using var agent = await server.StartAgentAsync();
        await WaitForReleaseAsync(agent, App);
        await WaitForReleaseAsync(agent, Lib);

        await DeliverAsync(agent.Releases, Lib);
        await DeliverAsync(agent.Releases, App);
        await Move(agent.Releases, App, ReleaseAction.StartDeploy);
        await Move(agent.Releases, App, ReleaseAction.ReportInstalling);
        await Move(agent.Releases, App, ReleaseAction.CompleteDeploy);
        await Move(agent.Releases, Lib, ReleaseAction.InstallAsDependency);

        await server.WaitForAsync(s => s.DeliveryReports.Count >= 8 && s.DeployReports.Count >= 5, "8 delivery and 5 deploy reports");
        Assert.Equal(["Start", "Download", "Download", "Done"], Statuses(server.DeliveryReports, Lib, "deliveryStatus"));
        Assert.Equal(["Start", "Download", "Download", "Done"], Statuses(server.DeliveryReports, App, "deliveryStatus"));
        Assert.Equal(["Start", "Installing", "Done"], Statuses(server.DeployReports, App, "deployStatus"));
        Assert.Equal(["Start", "Done"], Statuses(server.DeployReports, Lib, "deployStatus"));
        Assert.Empty(server.IgnoredReports);
        AssertIncreasingCurrentTime(server);
        Assert.All(server.Received.Where(r => r.Path.Contains("Status", StringComparison.Ordinal)), r => Assert.Equal("s3cret", r.DeviceAuth));

        // Field by field, as the server's DeliveryStatusDto / DeployStatusDto name them (nulls left out).
        Assert.Equal(["deviceId", "catalogId", "itemKey", "deliveryStatus", "state", "type", "downloadStart", "currentTime"],
            server.DeliveryReports.First(r => Is(r, Lib, "deliveryStatus", "Start")).Select(p => p.Key));
        Assert.Equal(["deviceId", "catalogId", "itemKey", "deliveryStatus", "state", "type", "downloadStart", "downloadData", "bitNumber", "downloadSpeed", "downloadEstimateTime", "currentTime"],
            server.DeliveryReports.Last(r => Is(r, Lib, "deliveryStatus", "Download")).Select(p => p.Key));
        Assert.Equal(["deviceId", "catalogId", "itemKey", "deliveryStatus", "state", "type", "downloadStart", "downloadDone", "downloadData", "bitNumber", "currentTime"],
            server.DeliveryReports.First(r => Is(r, Lib, "deliveryStatus", "Done")).Select(p => p.Key));
        Assert.Equal(["deviceId", "catalogId", "deployStatus", "type", "deployStart", "progress", "currentTime"],
            server.DeployReports.First(r => Is(r, App, "deployStatus", "Start")).Select(p => p.Key));
        Assert.Equal(["deviceId", "catalogId", "deployStatus", "type", "deployStart", "deployDone", "progress", "currentTime"],
            server.DeployReports.First(r => Is(r, App, "deployStatus", "Done")).Select(p => p.Key));
        var libDone = server.DeliveryReports.First(r => Is(r, Lib, "deliveryStatus", "Done"));
        Assert.Equal("dev-test-1", libDone["deviceId"]!.GetValue<string>());
        Assert.Equal(Lib, libDone["itemKey"]!.GetValue<string>());
        Assert.Equal("software", libDone["type"]!.GetValue<string>());
        Assert.Equal(1000, libDone["bitNumber"]!.GetValue<long>());
        Assert.Equal(400, server.DeliveryReports.Last(r => Is(r, Lib, "deliveryStatus", "Download"))["bitNumber"]!.GetValue<long>());

        var progress = server.DeliveryReports.Where(r => Is(r, App, "deliveryStatus", "Download")).Last();
        Assert.Equal(40, progress["downloadData"]!.GetValue<double>());
        Assert.Equal(3000, progress["downloadEstimateTime"]!.GetValue<long>());
        Assert.NotNull(progress["downloadStart"]);
        var done = server.DeliveryReports.Single(r => Is(r, App, "deliveryStatus", "Done"));
        Assert.Equal(100, done["downloadData"]!.GetValue<double>());
        Assert.NotNull(done["downloadDone"]);

        var response = await agent.Client.PostAsync("/api/v2/triggers/discover-component", null);
        response.EnsureSuccessStatusCode();
        var components = server.Discoveries[^1]["softwareData"]!["components"]!.AsArray();
        Assert.Contains(components, c => c!["catalogId"]!.GetValue<string>() == App && c["state"]!.GetValue<string>() == "installed");
        Assert.Contains(components, c => c!["catalogId"]!.GetValue<string>() == Lib && c["state"]!.GetValue<string>() == "installed");
    }

    [Fact]
    public async Task Outbox_ServerDownDuringDeliveryAndAgentRestarted_ReportsArriveInOrderAfterServerReturns()
    {
        await using var server = WithAppAndLib(await GetAppServerDouble.StartAsync());
        var agent = await server.StartAgentAsync();
        try
        {
            await WaitForReleaseAsync(agent, App);
            await server.GoDownAsync();

            await Move(agent.Releases, App, ReleaseAction.StartDelivery);
            await Move(agent.Releases, App, ReleaseAction.BeginDownload);
            Assert.True(await agent.Releases.SaveProgressAsync(App, ReleaseState.Delivery, 25, 9, CancellationToken.None));
            // Paused across the restart, so the delivery engine's recovery leaves it to this test.
            await Move(agent.Releases, App, ReleaseAction.PauseDelivery);

            agent = await agent.RestartAsync();
            await Move(agent.Releases, App, ReleaseAction.ResumeDelivery);
            Assert.True(await agent.Releases.SaveProgressAsync(App, ReleaseState.Delivery, 60, 4, CancellationToken.None));
            await Move(agent.Releases, App, ReleaseAction.BeginValidation);
            await Move(agent.Releases, App, ReleaseAction.CompleteDelivery);

            var device = await WaitForDeviceAsync(agent, d => d["upstream"]?["outbox"]?["pending"]?.GetValue<int>() == 7 && d["upstream"]?["lastError"] is not null);
            Assert.Null(device["upstream"]!["lastError"]!["statusCode"]);
            Assert.Empty(server.DeliveryReports);

            await server.ComeBackAsync();
            await server.WaitForAsync(s => s.DeliveryReports.Count == 7, "the 7 queued delivery reports");
            Assert.Equal(["Start", "Download", "Download", "Pause", "Continue", "Download", "Done"], Statuses(server.DeliveryReports, App, "deliveryStatus"));
            Assert.Equal([null, 0.0, 25.0, 25.0, 25.0, 60.0, 100.0], server.DeliveryReports.Select(r => r["downloadData"]?.GetValue<double>()).ToArray());
            Assert.Empty(server.IgnoredReports);
            AssertIncreasingCurrentTime(server);
            await WaitForDeviceAsync(agent, d => d["upstream"]?["outbox"]?["pending"]?.GetValue<int>() == 0);
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }

    [Fact]
    public async Task Outbox_ServerAnswers500_ReportIsKeptAndSentWhenServerRecovers()
    {
        await using var server = WithAppAndLib(await GetAppServerDouble.StartAsync());
        await using var agent = await server.StartAgentAsync();
        await WaitForReleaseAsync(agent, App);
        server.FailWith500 = true;

        await Move(agent.Releases, App, ReleaseAction.StartDelivery);
        await server.WaitForAsync(s => s.Received.Count(r => r.Path.EndsWith("updateDownloadStatus", StringComparison.Ordinal) && r.Status == 500) >= 2, "two refused sends");
        await Move(agent.Releases, App, ReleaseAction.CancelDelivery);
        server.FailWith500 = false;

        await server.WaitForAsync(s => s.DeliveryReports.Count == 2, "both reports after recovery");
        Assert.Equal(["Start", "Cancelled"], Statuses(server.DeliveryReports, App, "deliveryStatus"));
        Assert.NotNull(server.DeliveryReports[1]["downloadStop"]);
    }

    internal static async Task WaitForReleaseAsync(TestAgent agent, string catalogId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await agent.Releases.FindAsync(catalogId, CancellationToken.None) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"discovery never recorded {catalogId}");
            await Task.Delay(50);
        }
    }

    internal static async Task<JsonObject> WaitForDeviceAsync(TestAgent agent, Func<JsonObject, bool> until)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await agent.Client.GetFromJsonAsync<JsonObject>("/api/v2/device");
            if (last is not null && until(last))
            {
                return last;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"GET /api/v2/device never matched; last: {last?.ToJsonString()}");
    }

    private static async Task DeliverAsync(ReleaseService releases, string catalogId)
    {
        await Move(releases, catalogId, ReleaseAction.StartDelivery);
        await Move(releases, catalogId, ReleaseAction.BeginDownload);
        Assert.True(await releases.SaveProgressAsync(catalogId, ReleaseState.Delivery, 40, 3, CancellationToken.None));
        await Move(releases, catalogId, ReleaseAction.BeginValidation);
        await Move(releases, catalogId, ReleaseAction.CompleteDelivery);
    }

    private static async Task Move(ReleaseService releases, string catalogId, ReleaseAction action)
    {
        var result = await releases.MoveAsync(catalogId, action, null, CancellationToken.None);
        Assert.True(result.Succeeded, result.Message);
    }
}
