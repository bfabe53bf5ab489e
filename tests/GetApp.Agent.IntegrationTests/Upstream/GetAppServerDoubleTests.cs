using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Upstream;

/// <summary>
/// The server double itself behaves like the real GetApp server where the agent depends on it (docs/getapp-server.md,
/// "Server behaviours we rely on"): spoken to over plain HTTP, without an agent, so that the double cannot drift into
/// agreeing with the agent instead of the server.
/// </summary>
public class GetAppServerDoubleTests
{
    private const string App = "7.demo-app@1.0.0";
    private const string Lib = "8.demo-lib@2.1.0";
    private const string Bundle = "20.demo-bundle@1.0.0";

    private static readonly HttpClient Http = new(new HttpClientHandler { AllowAutoRedirect = false });

    [Fact]
    public async Task PreparedDelivery_PreparationTheServerDoesNotKnow_StartsANewOneInsteadOf404()
    {
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[10] });
        server.PreparePolls = 1;

        var never = await Http.GetAsync($"{server.BaseUrl}/api/v2/delivery/preparedDelivery/{App}");
        var polled = await Http.GetFromJsonAsync<JsonObject>($"{server.BaseUrl}/api/v2/delivery/preparedDelivery/{App}");
        var done = await Http.GetFromJsonAsync<JsonObject>($"{server.BaseUrl}/api/v2/delivery/preparedDelivery/{App}");

        Assert.Equal(HttpStatusCode.OK, never.StatusCode);
        Assert.Equal("start", (await never.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>());
        Assert.Equal("inProgress", polled!["status"]!.GetValue<string>());
        Assert.Equal("done", done!["status"]!.GetValue<string>());
        Assert.Contains(server.ServerLog, l => l.Contains("start again preparing delivery", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PreparedDelivery_ServerForgetsThePreparationWhileTheAgentPolls_TheAgentStillDelivers()
    {
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[1000] });
        server.PreparePolls = 3;
        var forgotten = 0;
        server.Redirect = request =>
        {
            // After the first poll, the server restarts and forgets what it was preparing.
            if (request.Path.Value!.Contains("preparedDelivery", StringComparison.Ordinal) && Interlocked.Increment(ref forgotten) == 2)
            {
                server.ForgetPreparations();
            }

            return null;
        };
        await using var agent = await server.StartAgentAsync();
        await Reporting.ReportOutboxTests.WaitForReleaseAsync(agent, App);
        await Deploy.DeployTestKit.SetConfigAsync(agent, """{"queryStatusIntervalSec": 1}""");
        (await agent.Client.PostAsync($"/api/v2/delivery/start/{App}", null)).EnsureSuccessStatusCode();

        var app = await agent.WaitForAsync(App, s => s.State == Core.Releases.ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));

        Assert.Equal(Core.Releases.ReleaseState.Downloaded, app.State);
        Assert.Equal(1, server.Received.Count(r => r.Path.EndsWith("prepareDelivery", StringComparison.Ordinal)));
        Assert.Contains(server.ServerLog, l => l.Contains("start again preparing delivery", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PrepareDelivery_ByDefault_ArtifactsCarryACosignSignatureAndNoHash_AsTheOriginSendsThem()
    {
        var content = RandomNumberGenerator.GetBytes(4096);
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App, files: new Dictionary<string, byte[]> { ["app.bin"] = content });

        var answer = await PrepareAsync(server, App);

        var artifact = Assert.Single(answer["artifacts"]!.AsArray())!.AsObject();
        Assert.Null(artifact["hash"]);
        using var verifier = CosignVerifier.FromPem(await File.ReadAllTextAsync(server.PublicKeyFile), server.PublicKeyFile);
        var spec = new ArtifactSpec { ItemKey = artifact["itemKey"]!.GetValue<string>(), Url = "x", Signature = artifact["signature"]!.GetValue<string>() };
        Assert.Null(verifier.Check(spec, SHA256.HashData(content)));

        server.ArtifactHashes = true;
        Assert.NotNull((await PrepareAsync(server, App))["artifacts"]![0]!["hash"]);
    }

    [Fact]
    public async Task PrepareDelivery_Bundle_IsDoneWithEmptyArtifacts_AndItsDependenciesNameIt()
    {
        await using var server = (await GetAppServerDouble.StartAsync())
            .AddRelease(Lib, files: new Dictionary<string, byte[]> { ["lib.bin"] = new byte[10] })
            .AddBundle(Bundle, [Lib]);

        var answer = await PrepareAsync(server, Bundle);
        var discovery = await DiscoverAsync(server, new JsonObject { ["id"] = "dev-1", ["discoveryType"] = "get-app" });

        Assert.Equal("done", answer["status"]!.GetValue<string>());
        Assert.Empty(answer["artifacts"]!.AsArray());
        var lib = discovery["releases"]!.AsArray().Single(r => r!["release"]!["id"]!.GetValue<string>() == Lib)!;
        Assert.Equal([Bundle], lib["dependedOnBy"]!.AsArray().Select(d => d!.GetValue<string>()));
    }

    [Theory]
    [InlineData(308)]
    [InlineData(301)]
    public async Task RedirectToHttps_EveryApiRequestOnHttpIsRedirectedToTheSamePathOnHttps(int status)
    {
        await using var server = await GetAppServerDouble.StartAsync();
        server.RedirectToHttps = status;

        var response = await Http.PostAsync($"{server.BaseUrl}/api/v2/delivery/updateDownloadStatus?x=1", JsonContent.Create(new JsonObject()));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal($"{server.HttpsBaseUrl}/api/v2/delivery/updateDownloadStatus?x=1", response.Headers.Location!.ToString());
        using var trusting = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, c, _, _) => c!.GetCertHashString() == GetAppServerDouble.Certificate.GetCertHashString() });
        var discovery = await trusting.PostAsJsonAsync($"{server.HttpsBaseUrl}/api/v2/device/discover/component", new JsonObject { ["id"] = "dev-1", ["discoveryType"] = "get-app" });
        Assert.Equal(HttpStatusCode.Created, discovery.StatusCode);
        Assert.Equal("https", server.Received[^1].Scheme);
    }

    [Theory]
    [InlineData("bitNumber", "3221225472", "out of range for type integer")]
    [InlineData("bitNumber", "1.5", "invalid input syntax for type integer")]
    [InlineData("downloadEstimateTime", "2592000000", "out of range for type integer")]
    public async Task DeliveryReport_ValueNotFittingA32BitColumn_Answered201ButRejectedAndLoggedLikeTheRealService(string field, string value, string log)
    {
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App);
        var report = JsonNode.Parse($$"""
            {"deviceId":"dev-1","catalogId":"{{App}}","itemKey":"{{App}}","deliveryStatus":"Download","type":"software",
             "currentTime":"2026-01-01T00:00:00.000Z","{{field}}":{{value}}}
            """)!.AsObject();

        var response = await Http.PostAsJsonAsync($"{server.BaseUrl}/api/v2/delivery/updateDownloadStatus", report);
        report[field] = 2147483647;
        report["currentTime"] = "2026-01-01T00:00:01.000Z";
        await Http.PostAsJsonAsync($"{server.BaseUrl}/api/v2/delivery/updateDownloadStatus", report);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(value, Assert.Single(server.RejectedReports)[field]!.ToJsonString());
        Assert.Contains(server.ServerLog, l => l.Contains(log, StringComparison.Ordinal) && l.Contains(App, StringComparison.Ordinal));
        Assert.Equal(2147483647, Assert.Single(server.DeliveryReports)[field]!.GetValue<long>());
        Assert.Equal("delivery", server.Component("dev-1", App)!.State);
    }

    [Fact]
    public async Task DeployReport_EstimateNotFittingA32BitColumn_Answered201ButRejected()
    {
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App);

        var response = await Http.PostAsJsonAsync($"{server.BaseUrl}/api/v2/deploy/updateDeployStatus", new JsonObject
        {
            ["deviceId"] = "dev-1", ["catalogId"] = App, ["deployStatus"] = "Installing", ["type"] = "software",
            ["deployEstimateTime"] = 2147483648L, ["currentTime"] = "2026-01-01T00:00:00.000Z",
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Single(server.RejectedReports);
        Assert.Empty(server.DeployReports);
        Assert.Null(server.Component("dev-1", App));
    }

    [Fact]
    public async Task Discovery_General_ValidatedWithTheGatewaysRules_WholeDiscoveryRefusedOverOneBadValue()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        var general = new JsonObject
        {
            ["physicalDevice"] = new JsonObject { ["OS"] = "Linux", ["MAC"] = "aa:bb:cc:dd:ee:ff\n", ["IP"] = "fe80:0:0:0:0:0:0:1" },
            ["situationalDevice"] = new JsonObject { ["power"] = 101, ["availableStorage"] = 1000, ["location"] = new JsonObject { ["lat"] = 32.1 } },
            ["personalDevice"] = new JsonObject { ["name"] = 7 },
        };

        var response = await Http.PostAsJsonAsync($"{server.BaseUrl}/api/v2/device/discover/component",
            new JsonObject { ["id"] = "dev-1", ["discoveryType"] = "get-app", ["general"] = general });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var messages = (await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.AsArray().Select(m => m!.GetValue<string>()).ToList();
        Assert.Equal(
        [
            "general.personalDevice.name must be a string",
            "general.situationalDevice.power must not be greater than 100",
            "general.situationalDevice.availableStorage must be a string",
            "general.situationalDevice.location.lat must be a string",
            "general.situationalDevice.location.long must be a string",
            // The gateway's IP pattern, as written, lets only dotted IPv4 through; its MAC pattern has a JavaScript end anchor.
            "general.physicalDevice.MAC is not a valid format",
            "general.physicalDevice.IP is not a valid format",
            "general.physicalDevice.OS must be one of the following values: android, windows, linux, macos",
        ], messages);
        Assert.Null(server.Device("dev-1"));
    }

    [Fact]
    public async Task Discovery_General_StoredAsTheDiscoveryServiceStoresIt_FactsNulledWithoutItButTheNameKept()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        var general = new JsonObject
        {
            ["physicalDevice"] = new JsonObject { ["ID"] = "dev-1", ["OS"] = "linux", ["MAC"] = "aa:bb:cc:dd:ee:ff", ["IP"] = "10.1.2.3", ["serialNumber"] = "SN-9", ["extra"] = "x" },
            ["situationalDevice"] = new JsonObject { ["availableStorage"] = "1000", ["power"] = 55, ["location"] = new JsonObject { ["lat"] = "32.1", ["long"] = "34.8" } },
            ["personalDevice"] = new JsonObject { ["name"] = "pump-7" },
        };

        await DiscoverAsync(server, new JsonObject { ["id"] = "dev-1", ["discoveryType"] = "get-app", ["general"] = general });
        var first = server.Device("dev-1")!;
        await DiscoverAsync(server, new JsonObject { ["id"] = "dev-1", ["discoveryType"] = "get-app" });
        var second = server.Device("dev-1")!;

        Assert.Equal(("pump-7", "linux", "aa:bb:cc:dd:ee:ff", "10.1.2.3", "1000", "SN-9"), (first.Name, first.Os, first.Mac, first.Ip, first.AvailableStorage, first.SerialNumber));
        Assert.Equal(("pump-7", null, null, null, null), (second.Name, second.Os, second.Mac, second.Ip, second.AvailableStorage));
        var stored = server.DiscoveryMessages[0];
        Assert.Equal("34.8", stored.SituationalDevice!["location"]!["long"]!.GetValue<string>());
        Assert.Equal("pump-7", stored.PersonalDevice!["name"]!.GetValue<string>());
        Assert.Null(server.DiscoveryMessages[1].PersonalDevice);
    }

    [Fact]
    public async Task Clock_SetAhead_DateHeadersAndStoredTimesFollowIt_AndOlderSnapshotsAreNotApplied()
    {
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App);
        server.ClockOffset = TimeSpan.FromHours(2);
        var deviceNow = DateTimeOffset.UtcNow;

        var response = await Http.PostAsJsonAsync($"{server.BaseUrl}/api/v2/device/discover/component", Discovery(deviceNow, "delivery"));
        await DiscoverAsync(server, Discovery(deviceNow.AddMinutes(1), "installed"));
        await DiscoverAsync(server, Discovery(deviceNow.AddHours(2).AddMinutes(1), "installed"));

        Assert.InRange(response.Headers.Date!.Value - deviceNow, TimeSpan.FromHours(2) - TimeSpan.FromSeconds(5), TimeSpan.FromHours(2) + TimeSpan.FromSeconds(5));
        Assert.Equal([true, false, true], server.DiscoveryMessages.Select(m => m.Applied));
        Assert.InRange(server.DiscoveryMessages[0].SnapshotDate - deviceNow, TimeSpan.FromHours(2) - TimeSpan.FromSeconds(5), TimeSpan.FromHours(2) + TimeSpan.FromSeconds(5));
        Assert.Equal("installed", server.Component("dev-1", App)!.State);
        Assert.Contains(server.ServerLog, l => l.Contains("components not applied", StringComparison.Ordinal));

        JsonObject Discovery(DateTimeOffset snapshot, string state) => new()
        {
            ["id"] = "dev-1", ["discoveryType"] = "get-app", ["snapshotDate"] = snapshot.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["softwareData"] = new JsonObject { ["components"] = new JsonArray(new JsonObject { ["catalogId"] = App, ["state"] = state }) },
        };
    }

    private static async Task<JsonObject> PrepareAsync(GetAppServerDouble server, string catalogId)
    {
        var response = await Http.PostAsJsonAsync($"{server.BaseUrl}/api/v2/delivery/prepareDelivery",
            new JsonObject { ["catalogId"] = catalogId, ["deviceId"] = "dev-1", ["itemType"] = "software" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static async Task<JsonObject> DiscoverAsync(GetAppServerDouble server, JsonObject body)
    {
        var response = await Http.PostAsJsonAsync($"{server.BaseUrl}/api/v2/device/discover/component", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }
}
