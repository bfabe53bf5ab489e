using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Device;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace GetApp.Agent.IntegrationTests.Device;

/// <summary>Device identity, enrollment and metadata (GetApp Agent API V7–V11), and how they feed discovery.</summary>
public class DeviceApiTests
{
    [Fact]
    public async Task Enrollment_PartialUpdate_ChangesOnlyGivenFieldsAndFeedsNextDiscovery()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        await using var agent = await server.StartAgentAsync();

        var response = await agent.Client.PutAsJsonAsync("/api/v2/device/enrollment",
            new JsonObject { ["deviceType"] = new JsonArray("edge-server", "zone-b"), ["platform"] = "universal" });

        response.EnsureSuccessStatusCode();
        var enrollment = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("dev-test-1", enrollment["deviceId"]!.GetValue<string>());
        Assert.Equal("SN-1", enrollment["platformId"]!.GetValue<string>());
        Assert.Equal("universal", enrollment["platform"]!.GetValue<string>());
        Assert.Equal("cache", enrollment["deliverySource"]!.GetValue<string>());
        Assert.Null(enrollment["orchestratedBy"]!?.GetValue<string>());
        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();
        var discovery = server.Discoveries[^1];
        Assert.Equal("edge-server,zone-b", discovery["deviceTypeToken"]!.GetValue<string>());
        Assert.Equal("universal", discovery["platform"]!["token"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"deliverySource\":\"remote\"}", "read-only")]
    [InlineData("{\"deviceType\":\"edge-server\"}", "deviceType")]
    [InlineData("{\"urlGetAppServerAvailable\":[\"ftp://x\"]}", "urlGetAppServerAvailable")]
    [InlineData("{\"platform\":\"x\",\"colour\":\"red\"}", "colour")]
    public async Task Enrollment_InvalidUpdate_Answers400AndChangesNothing(string body, string mentioned)
    {
        await using var server = await GetAppServerDouble.StartAsync();
        await using var agent = await server.StartAgentAsync();

        var response = await agent.Client.PutAsync("/api/v2/device/enrollment", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(400, error["statusCode"]!.GetValue<int>());
        Assert.Contains(mentioned, error["message"]!.GetValue<string>());
        var enrollment = (await agent.Client.GetFromJsonAsync<JsonObject>("/api/v2/device/enrollment"))!;
        Assert.Equal("field-unit", enrollment["platform"]!.GetValue<string>());
    }

    [Fact]
    public async Task Metadata_CustomKeysAndNameStoredNullDeletesAndValuesFeedDiscovery()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        await using var agent = await server.StartAgentAsync();

        (await agent.Client.PutAsJsonAsync("/api/v2/device/metadata", new JsonObject
        {
            ["name"] = "field-unit-7", ["location"] = new JsonObject { ["lat"] = "32.08", ["long"] = "34.78" }, ["fleet"] = "field-ops", ["site"] = "alpha",
        })).EnsureSuccessStatusCode();
        var response = await agent.Client.PutAsJsonAsync("/api/v2/device/metadata", new JsonObject { ["site"] = null });

        response.EnsureSuccessStatusCode();
        var metadata = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("field-unit-7", metadata["name"]!.GetValue<string>());
        Assert.Equal("field-ops", metadata["fleet"]!.GetValue<string>());
        Assert.False(metadata.ContainsKey("site"));
        Assert.True(metadata.ContainsKey("storageAvailable"));
        Assert.True(metadata.ContainsKey("urlGetAppServerActive"));
        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();
        var sent = server.Discoveries[^1]["deviceData"]!["metadata"]!;
        Assert.Equal("field-unit-7", sent["name"]!.GetValue<string>());
        Assert.Equal("field-ops", sent["fleet"]!.GetValue<string>());
        Assert.Equal("32.08", sent["location"]!["lat"]!.GetValue<string>());
        Assert.Null(sent["site"]);

        var refused = await agent.Client.PutAsJsonAsync("/api/v2/device/metadata", new JsonObject { ["os"] = "windows" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("read-only", (await refused.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeviceId_NothingConfigured_GeneratedOnceAndStableAcrossRestarts()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        var agent = await TestAgent.StartAsync(configure: o => server.Configure(o),
            configureServices: s => s.AddSingleton(new DeviceSeed { MachineIdPath = "/nonexistent/machine-id" }));
        try
        {
            var first = (await agent.Client.GetFromJsonAsync<JsonObject>("/api/v2/device"))!["deviceId"]!.GetValue<string>();
            Assert.Equal(first, File.ReadAllText(Path.Combine(agent.DataDir, DeviceIdentity.FileName)).Trim());

            agent = await agent.RestartAsync();

            var second = (await agent.Client.GetFromJsonAsync<JsonObject>("/api/v2/device"))!["deviceId"]!.GetValue<string>();
            Assert.Equal(first, second);
            (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();
            Assert.NotEmpty(server.Discoveries);
            Assert.All(server.Discoveries, d => Assert.Equal(first, d["id"]!.GetValue<string>()));
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }

    [Fact]
    public async Task DeviceId_ChangedThroughEnrollment_KeptAcrossRestartsAndUsedInReports()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        var agent = await server.StartAgentAsync();
        try
        {
            (await agent.Client.PutAsJsonAsync("/api/v2/device/enrollment", new JsonObject { ["deviceId"] = "renamed-7" })).EnsureSuccessStatusCode();

            agent = await agent.RestartAsync();

            var device = (await agent.Client.GetFromJsonAsync<JsonObject>("/api/v2/device"))!;
            Assert.Equal("renamed-7", device["deviceId"]!.GetValue<string>());
            await server.WaitForAsync(s => s.Discoveries.Any(d => d["id"]!.GetValue<string>() == "renamed-7"), "a discovery with the new id");
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }

    [Fact]
    public async Task Device_OfflineCatalogUpstream_AnswersWithIdentityAndUpstreamDescription()
    {
        await using var agent = await TestAgent.StartAsync(RepoPaths.SampleCatalog,
            configureServices: s => s.AddSingleton(new DeviceSeed { DeviceId = "usb-1", MachineIdPath = "/nonexistent" }));

        var device = (await agent.Client.GetFromJsonAsync<JsonObject>("/api/v2/device"))!;

        Assert.Equal("usb-1", device["deviceId"]!.GetValue<string>());
        Assert.Empty(device["urlGetAppServerAvailable"]!.AsArray());
        Assert.Contains("offline catalog", device["upstream"]!["description"]!.GetValue<string>());
        Assert.Null(device["metadata"]!["urlGetAppServerActive"]);
        Assert.Empty(device["restrictions"]!.AsArray());
    }

    [Fact]
    public async Task OpenApi_Document_DescribesTheDeviceRoutes()
    {
        await using var agent = await TestAgent.StartAsync();

        var paths = (await agent.Client.GetFromJsonAsync<JsonObject>("/api-docs/v2/openapi.json"))!["paths"]!.AsObject();

        Assert.NotNull(paths["/api/v2/device"]?["get"]);
        Assert.NotNull(paths["/api/v2/device/enrollment"]?["put"]);
        Assert.NotNull(paths["/api/v2/device/metadata"]?["put"]);
    }
}
