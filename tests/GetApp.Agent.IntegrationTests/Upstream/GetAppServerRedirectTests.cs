using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using GetApp.Agent.IntegrationTests.Reporting;
using static GetApp.Agent.IntegrationTests.Infrastructure.ServerReports;

namespace GetApp.Agent.IntegrationTests.Upstream;

/// <summary>
/// A redirect is never an answer: a report answered with one stays in the outbox; 307/308 are repeated with the same
/// method and body, an http→https redirect on the same host is followed (and the URL to configure logged once), and
/// <c>Device-Auth</c> never goes to another host.
/// </summary>
public class GetAppServerRedirectTests
{
    private const string App = "7.demo-app@1.0.0";

    [Theory]
    [InlineData(302)]
    [InlineData(301)]
    [InlineData(303)]
    public async Task Outbox_ReportAnsweredWithARedirectThatIsNotFollowed_StaysInTheOutboxAndArrivesOnceTheServerAnswers(int status)
    {
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App);
        await using var agent = await server.StartAgentAsync();
        await ReportOutboxTests.WaitForReleaseAsync(agent, App);
        server.Redirect = r => r.Path.Value!.EndsWith("Status", StringComparison.Ordinal) ? (status, $"{server.BaseUrl}/api/v2/moved") : null;

        Assert.True((await agent.Releases.MoveAsync(App, ReleaseAction.StartDelivery, null, CancellationToken.None)).Succeeded);
        await server.WaitForAsync(s => s.Received.Count(r => r.Status == status) >= 2, "the report sent twice and redirected");

        var device = await ReportOutboxTests.WaitForDeviceAsync(agent, d => d["upstream"]?["lastError"]?["statusCode"]?.GetValue<int>() == status);
        Assert.Equal(1, device["upstream"]!["outbox"]!["pending"]!.GetValue<int>());
        Assert.Contains("a redirect is not an answer", device["upstream"]!["lastError"]!["message"]!.GetValue<string>());
        Assert.Null(device["upstream"]!["outbox"]!["lastRejected"]);
        Assert.DoesNotContain(server.Received, r => r.Path == "/api/v2/moved");

        server.Redirect = null;
        await server.WaitForAsync(s => s.DeliveryReports.Count == 1, "the report once the server answers");
        Assert.Equal(["Start"], Statuses(server.DeliveryReports, App, "deliveryStatus"));
    }

    [Fact]
    public async Task Outbox_307ToAnotherHost_RepeatedWithTheSameBodyButNeverWithDeviceAuth_KeptWhileThatHostRefuses()
    {
        await using var server = (await GetAppServerDouble.StartAsync(secret: "s3cret")).AddRelease(App);
        var logs = new CapturedLogs();
        await using var agent = await server.StartAgentAsync(more: logs.AddTo);
        await ReportOutboxTests.WaitForReleaseAsync(agent, App);
        // "localhost" is another host name for the same double: what reaches it there is what another host would get.
        server.Redirect = r => r.Host.Host == "127.0.0.1" && r.Path.Value!.EndsWith("Status", StringComparison.Ordinal)
            ? (307, $"http://localhost:{server.Port}{r.Path}")
            : null;

        Assert.True((await agent.Releases.MoveAsync(App, ReleaseAction.StartDelivery, null, CancellationToken.None)).Succeeded);
        await server.WaitForAsync(s => s.Received.Count(r => r.Host == "localhost") >= 2, "the report repeated at the other host");

        Assert.All(server.Received.Where(r => r.Host == "localhost"), r => Assert.Equal(("POST", null, 401), (r.Method, r.DeviceAuth, r.Status)));
        Assert.All(server.Received.Where(r => r.Host == "127.0.0.1" && r.Path.EndsWith("Status", StringComparison.Ordinal)), r => Assert.Equal("s3cret", r.DeviceAuth));
        Assert.Equal(1, (await agent.Client.GetFromJsonAsync<JsonObject>("/api/v2/device"))!["upstream"]!["outbox"]!["pending"]!.GetValue<int>());
        Assert.Empty(server.DeliveryReports);

        // Once the other host takes reports without the secret, the very report that was sent first arrives there.
        server.Secret = null;
        await server.WaitForAsync(s => s.DeliveryReports.Count == 1, "the report at the other host");
        var accepted = server.Received.Single(r => r.Status == 201 && r.Path.EndsWith("updateDownloadStatus", StringComparison.Ordinal));
        Assert.Equal(("localhost", null), (accepted.Host, accepted.DeviceAuth));
        Assert.Equal("Start", accepted.Body!["deliveryStatus"]!.GetValue<string>());
        Assert.Equal(App, accepted.Body["catalogId"]!.GetValue<string>());
        Assert.Single(logs.WithEventId(4301));
    }

    [Theory]
    [InlineData(308)]
    [InlineData(301)]
    public async Task HttpToHttpsRedirect_DiscoveryDeliveryAndReportsWorkThroughIt_AndTheUrlToConfigureIsLoggedOnce(int status)
    {
        await using var server = (await GetAppServerDouble.StartAsync(secret: "s3cret")).AddRelease(App, isPush: true,
            files: new Dictionary<string, byte[]> { ["install.sh"] = "#!/bin/sh\nexit 0\n"u8.ToArray() }, executable: "install.sh",
            metadata: new JsonObject { ["autoDeploy"] = true });
        server.RedirectToHttps = status;
        var logs = new CapturedLogs();
        await using var agent = await server.StartAgentAsync(more: logs.AddTo);

        await agent.WaitForAsync(App, s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
        await server.WaitForAsync(s => Statuses(s.DeployReports, App, "deployStatus").LastOrDefault() == "Done", "the deploy Done report");

        Assert.Equal(ReleaseState.Installed, (await agent.WaitForAsync(App, _ => true)).State);
        var api = server.Received.Where(r => r.Path.StartsWith("/api/", StringComparison.Ordinal)).ToList();
        Assert.All(api.Where(r => r.Scheme == "http"), r => Assert.Equal(status, r.Status));
        Assert.All(api.Where(r => r.Scheme == "https"), r => Assert.Equal("s3cret", r.DeviceAuth));
        Assert.Contains(api, r => r.Scheme == "https" && r.Path.EndsWith("discover/component", StringComparison.Ordinal) && r.Status == 201);
        Assert.Equal(["Start", "Download", "Done"], Statuses(server.DeliveryReports, App, "deliveryStatus").Distinct());
        var line = Assert.Single(logs.WithEventId(4300));
        Assert.Contains(server.HttpsBaseUrl, line.Message);
        Assert.Null((await agent.Client.GetFromJsonAsync<JsonObject>("/api/v2/device"))!["upstream"]!["lastError"]);
    }
}
