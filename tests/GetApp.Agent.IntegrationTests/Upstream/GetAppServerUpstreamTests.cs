using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.IntegrationTests.Infrastructure;
using GetApp.Agent.IntegrationTests.Reporting;

namespace GetApp.Agent.IntegrationTests.Upstream;

/// <summary>The agent against a GetApp server double over loopback: discovery, prepareDelivery, failover, auth errors.</summary>
public partial class GetAppServerUpstreamTests
{
    private const string App = "7.demo-app@1.0.0";
    private const string Lib = "8.demo-lib@2.1.0";
    private const string Withdrawn = "9.withdrawn@1.0.0";
    private const string Pushed = "11.pushed@1.0.0";
    private const string Broken = "10.broken@0.1.0";

    [Fact]
    public async Task Discovery_RequestBody_IsTheServersDiscoveryMessageV2Dto()
    {
        // Offered, not pushed: the engine would take a pushed release into delivery at once and race the moves below.
        await using var server = (await GetAppServerDouble.StartAsync(secret: "s3cret")).AddRelease(App);
        await using var agent = await server.StartAgentAsync();
        await ReportOutboxTests.WaitForReleaseAsync(agent, App);
        await Move(agent, App, ReleaseAction.StartDelivery);
        await Move(agent, App, ReleaseAction.FailDelivery, new ReleaseChange { ErrMsg = "disk full" });
        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();

        var request = server.Received.Last(r => r.Path == "/api/v2/device/discover/component");
        Assert.Equal("POST", request.Method);
        Assert.Equal("s3cret", request.DeviceAuth);
        var body = request.Body!;
        Assert.Equal("dev-test-1", body["id"]!.GetValue<string>());
        Assert.Equal("get-app", body["discoveryType"]!.GetValue<string>());
        Assert.Equal("agent_linux,zone-a", body["deviceTypeToken"]!.GetValue<string>()); // one comma-joined string (§9.10)
        Assert.Equal("field-unit", body["platform"]!["token"]!.GetValue<string>());
        Assert.Equal("SN-1", body["platform"]!["platformId"]!.GetValue<string>());
        Assert.Matches(IsoUtc(), body["snapshotDate"]!.GetValue<string>());
        // The device facts the discovery service reads (DeviceFactsTests checks them end to end); free-form values go to deviceData.metadata.
        Assert.Equal("dev-test-1", body["general"]!["physicalDevice"]!["ID"]!.GetValue<string>());
        Assert.Equal(body["deviceData"]!["metadata"]!["os"]!.GetValue<string>(), body["general"]!["physicalDevice"]!["OS"]!.GetValue<string>());

        var data = body["deviceData"]!.AsObject();
        Assert.Equal("dev-test-1", data["deviceId"]!.GetValue<string>());
        Assert.Equal(["agent_linux", "zone-a"], data["deviceType"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("field-unit", data["platform"]!.GetValue<string>());
        Assert.Equal([server.BaseUrl], data["urlGetAppServerAvailable"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Contains(data["metadata"]!["os"]!.GetValue<string>(), (string[])["android", "windows", "linux", "macos"]);
        Assert.Equal(JsonValueKind.Number, data["metadata"]!["storageAvailable"]!.GetValueKind());
        Assert.Equal(server.BaseUrl, data["metadata"]!["urlGetAppServerActive"]!.GetValue<string>());

        var component = Assert.Single(body["softwareData"]!["components"]!.AsArray())!;
        Assert.Equal(App, component["catalogId"]!.GetValue<string>());
        Assert.Equal("delivery", component["state"]!.GetValue<string>());
        Assert.Equal("disk full", component["error"]!.GetValue<string>());
        var fields = body["supportedFields"]!.AsArray();
        Assert.Contains(fields, f => f!["name"]!.GetValue<string>() == "$.os" && f["type"]!.GetValue<string>() == "string");
        Assert.Contains(fields, f => f!["name"]!.GetValue<string>() == "$.storageAvailable" && f["type"]!.GetValue<string>() == "number");
    }

    [Fact]
    public async Task Discovery_ServerAnswer_RecordsOffersAndEdgesAndDropsWithdrawnOnesButNeverDeliveredOnes()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        // App is offered (a pushed one would be taken into delivery by the engine at once, see Pushed below).
        server.AddRelease(App).AddRelease(Lib, dependedOnBy: [App]).AddRelease(Withdrawn).AddRelease(Broken, available: false).AddRelease(Pushed, isPush: true);
        server.LatestConfigSemVer = "1.4.0";
        server.Restrictions = [new JsonObject { ["id"] = "r-1", ["type"] = "restriction", ["name"] = "no battery" }];
        await using var agent = await server.StartAgentAsync();
        await ReportOutboxTests.WaitForReleaseAsync(agent, Withdrawn);

        var app = (await agent.Releases.FindAsync(App, CancellationToken.None))!;
        Assert.Equal(ReleaseState.Offering, app.State);
        var pushed = (await agent.Releases.FindAsync(Pushed, CancellationToken.None))!;
        Assert.True(pushed.IsPush);
        Assert.Equal([Lib], app.Dependencies);
        Assert.Equal(ReleaseState.Offering, (await agent.Releases.FindAsync(Lib, CancellationToken.None))!.State);
        Assert.Null(await agent.Releases.FindAsync(Broken, CancellationToken.None));
        var device = await ReportOutboxTests.WaitForDeviceAsync(agent, d => d["latestConfigSemVer"] is not null);
        Assert.Equal("1.4.0", device["latestConfigSemVer"]!.GetValue<string>());
        Assert.Equal("r-1", device["restrictions"]![0]!["id"]!.GetValue<string>());

        await Move(agent, App, ReleaseAction.StartDelivery);
        server.RemoveRelease(App);
        server.RemoveRelease(Withdrawn);
        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();

        Assert.Null(await agent.Releases.FindAsync(Withdrawn, CancellationToken.None));
        var kept = (await agent.Releases.FindAsync(App, CancellationToken.None))!;
        Assert.Equal(ReleaseState.Delivery, kept.State);
        Assert.False(kept.Offered);
    }

    [Fact]
    public async Task PrepareDelivery_ServerStillPreparing_PendingWhilePollingThenPresignedUrlsKeptIntact()
    {
        var content = new byte[5000];
        Random.Shared.NextBytes(content);
        await using var server = (await GetAppServerDouble.StartAsync(secret: "s3cret"))
            .AddRelease(App, files: new Dictionary<string, byte[]> { ["app.bin"] = content }, executable: "app.bin", arguments: "--quiet");
        server.PreparePolls = 2;
        await using var agent = await server.StartAgentAsync();
        var upstream = agent.Get<IUpstream>();

        Assert.Equal(PrepareStatus.Pending, (await upstream.PrepareDeliveryAsync(App, CancellationToken.None)).Status);
        Assert.Equal(PrepareStatus.Pending, (await upstream.PrepareDeliveryAsync(App, CancellationToken.None)).Status);
        Assert.Equal(PrepareStatus.Pending, (await upstream.PrepareDeliveryAsync(App, CancellationToken.None)).Status);
        var prepared = await upstream.PrepareDeliveryAsync(App, CancellationToken.None);

        Assert.Equal(PrepareStatus.Done, prepared.Status);
        var calls = server.Received.Where(r => r.Path.Contains("repare", StringComparison.Ordinal)).Select(r => $"{r.Method} {r.Path}").ToList();
        Assert.Equal(["POST /api/v2/delivery/prepareDelivery", .. Enumerable.Repeat($"GET /api/v2/delivery/preparedDelivery/{App}", 3)], calls);
        var request = server.Received.First(r => r.Path.EndsWith("prepareDelivery", StringComparison.Ordinal)).Body!;
        Assert.Equal(App, request["catalogId"]!.GetValue<string>());
        Assert.Equal("dev-test-1", request["deviceId"]!.GetValue<string>());
        Assert.Equal("software", request["itemType"]!.GetValue<string>());

        var artifact = Assert.Single(prepared.Artifacts);
        Assert.Equal($"{App}@app.bin", artifact.Spec.ItemKey);
        Assert.Equal(5000, artifact.Spec.Size);
        Assert.True(artifact.Spec.IsExecutable);
        Assert.Equal("--quiet", artifact.Spec.Arguments);
        Assert.Equal(server.FileUrl(App, "app.bin"), artifact.Source.OriginalString);

        // The presigned URL works as given, without the device secret, and honours Range.
        using var http = new HttpClient();
        using var range = new HttpRequestMessage(HttpMethod.Get, artifact.Source);
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(1000, null);
        using var partial = await http.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(content[1000..], await partial.Content.ReadAsByteArrayAsync());
        server.ExpireUrls();
        server.PreparePolls = 0;
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(artifact.Source)).StatusCode);
        var again = await upstream.PrepareDeliveryAsync(App, CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(Assert.Single(again.Artifacts).Source)).StatusCode);
    }

    [Fact]
    public async Task PrepareDelivery_ServerError_ErrorCarriesServerCodeAndMessage()
    {
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App);
        server.FailPreparation(App, "DELIVERY.downloadNotAvailable", "Release is not released");
        await using var agent = await server.StartAgentAsync();

        var prepared = await agent.Get<IUpstream>().PrepareDeliveryAsync(App, CancellationToken.None);

        Assert.Equal(PrepareStatus.Error, prepared.Status);
        Assert.Contains("DELIVERY.downloadNotAvailable", prepared.Error);
        Assert.Contains("Release is not released", prepared.Error);
    }

    [Theory]
    [InlineData("rpm", "rpm://demo-app")]
    [InlineData("deb", "deb://demo-app")]
    [InlineData("docker_image", "registry.local/demo/app:1.0")]
    public async Task PrepareDelivery_PackageOrImageArtifact_FailsAsUnsupportedArtifactType(string type, string url)
    {
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App, rawArtifacts:
            [new JsonObject { ["catalogId"] = App, ["itemKey"] = $"{App}@demo", ["artifactType"] = type, ["url"] = url, ["isExecutable"] = false }]);
        await using var agent = await server.StartAgentAsync();

        var prepared = await agent.Get<IUpstream>().PrepareDeliveryAsync(App, CancellationToken.None);

        Assert.Equal(PrepareStatus.Error, prepared.Status);
        Assert.StartsWith("unsupported artifact type", prepared.Error);
        Assert.Contains(url, prepared.Error);
    }

    [Fact]
    public async Task Upstream_FirstUrlRefusesConnections_FailsOverAndShowsTheActiveUrl()
    {
        var deadPort = FreePort();
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App);
        await using var agent = await TestAgent.StartAsync(
            configure: o => server.Configure(o) with { UpstreamUrls = [$"http://127.0.0.1:{deadPort}", server.BaseUrl] },
            configureServices: GetAppServerDouble.AgentServices());

        await ReportOutboxTests.WaitForReleaseAsync(agent, App);

        var device = await ReportOutboxTests.WaitForDeviceAsync(agent, d => d["upstream"]?["urlGetAppServerActive"] is not null);
        Assert.Equal(server.BaseUrl, device["upstream"]!["urlGetAppServerActive"]!.GetValue<string>());
        Assert.Equal(server.BaseUrl, device["metadata"]!["urlGetAppServerActive"]!.GetValue<string>());
        Assert.Equal([$"http://127.0.0.1:{deadPort}", server.BaseUrl], device["urlGetAppServerAvailable"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.Null(device["upstream"]!["lastError"]);
    }

    [Fact]
    public async Task Upstream_ServerUrlsChangedThroughEnrollment_NextRequestsGoToTheNewServer()
    {
        await using var first = (await GetAppServerDouble.StartAsync()).AddRelease(App);
        await using var second = (await GetAppServerDouble.StartAsync()).AddRelease(Lib);
        await using var agent = await first.StartAgentAsync();
        await ReportOutboxTests.WaitForReleaseAsync(agent, App);

        (await agent.Client.PutAsJsonAsync("/api/v2/device/enrollment", new JsonObject { ["urlGetAppServerAvailable"] = new JsonArray(second.BaseUrl) })).EnsureSuccessStatusCode();
        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();

        Assert.Single(second.Discoveries);
        Assert.NotNull(await agent.Releases.FindAsync(Lib, CancellationToken.None));
        var device = (await agent.Client.GetFromJsonAsync<JsonObject>("/api/v2/device"))!;
        Assert.Equal(second.BaseUrl, device["upstream"]!["urlGetAppServerActive"]!.GetValue<string>());
    }

    [Fact]
    public async Task Upstream_WrongSecret_ClearLastErrorInDeviceApiAndLogWithoutCrashOrTightRetryLoop()
    {
        await using var server = (await GetAppServerDouble.StartAsync(secret: "right")).AddRelease(App);
        using var data = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(data.Path, ["--upstream", server.BaseUrl, "--device-secret", "wrong"],
            new Dictionary<string, string> { ["DEVICE_ID"] = "dev-wrong-secret" });

        JsonObject? device = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline && (device?["upstream"]?["lastError"] is null || device["lastDiscovery"] is null))
        {
            device = await agent.Client.GetFromJsonAsync<JsonObject>("/api/v2/device");
            await Task.Delay(100);
        }

        var error = device!["upstream"]!["lastError"]!;
        Assert.Equal(401, error["statusCode"]!.GetValue<int>());
        Assert.Contains("refused the device secret", error["message"]!.GetValue<string>());
        Assert.Equal("discovery", error["operation"]!.GetValue<string>());
        Assert.Contains("refused the device secret", device["lastDiscovery"]!["error"]!.GetValue<string>());
        await WaitForOutputAsync(agent, "refused the device secret");

        await Task.Delay(TimeSpan.FromSeconds(3));
        var attempts = server.Received.Count(r => r.Status == 401);
        Assert.InRange(attempts, 1, 2); // backoff: the next try is 10 s later, then 20 s, 40 s...
        Assert.Equal(HttpStatusCode.OK, (await agent.Client.GetAsync("/api/v2/device")).StatusCode);
        Assert.All(server.Received, r => Assert.Equal("wrong", r.DeviceAuth));
    }

    [Fact]
    public async Task Upstream_SlowServer_TimesOutWithClearErrorAndTriggerAnswers502()
    {
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App);
        await using var agent = await server.StartAgentAsync();
        await ReportOutboxTests.WaitForReleaseAsync(agent, App);
        server.Delay = TimeSpan.FromSeconds(5); // the agent's request timeout is 3 s in tests

        var response = await agent.Client.PostAsync("/api/v2/triggers/discover-component", null);

        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(response.StatusCode == HttpStatusCode.BadGateway, error.ToJsonString());
        Assert.Equal("UpstreamError", error["name"]!.GetValue<string>());
        Assert.Contains("no answer within 3 s", error["message"]!.GetValue<string>());
        var device = await ReportOutboxTests.WaitForDeviceAsync(agent, d => d["upstream"]?["lastError"] is not null);
        Assert.Equal(server.BaseUrl, device["upstream"]!["lastError"]!["url"]!.GetValue<string>());
        Assert.Equal(ReleaseState.Offering, (await agent.Releases.FindAsync(App, CancellationToken.None))!.State); // a failed discovery changes nothing
    }

    [Fact]
    public async Task ServerDouble_MalformedPhysicalDevice_RejectsWholeDiscoveryWith400LikeTheRealServer()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        using var http = new HttpClient();

        var response = await http.PostAsJsonAsync($"{server.BaseUrl}/api/v2/device/discover/component", new JsonObject
        {
            ["id"] = "dev-1", ["discoveryType"] = "get-app",
            ["general"] = new JsonObject { ["physicalDevice"] = new JsonObject { ["MAC"] = "not-a-mac", ["OS"] = "Linux" } },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var messages = (await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.AsArray().Select(m => m!.GetValue<string>()).ToList();
        Assert.Contains(messages, m => m.StartsWith("general.physicalDevice.MAC", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("general.physicalDevice.OS", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Agent_CatalogAndUpstreamBoth_RefusesToStartWithClearMessage()
    {
        using var data = new TempDirectory();
        var start = AgentProcess.StartAsync(data.Path, ["--catalog", RepoPaths.SampleCatalog, "--upstream", "http://127.0.0.1:9"]);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => start);

        Assert.Contains("Both an offline catalog", error.Message);
        Assert.Contains("give only one", error.Message);
    }

    private static async Task WaitForOutputAsync(AgentProcess agent, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!agent.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the log never said '{text}':\n{agent.Output}");
            await Task.Delay(50);
        }
    }

    private static async Task Move(TestAgent agent, string catalogId, ReleaseAction action, ReleaseChange? change = null)
    {
        var result = await agent.Releases.MoveAsync(catalogId, action, change, CancellationToken.None);
        Assert.True(result.Succeeded, result.Message);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex IsoUtc();
}
