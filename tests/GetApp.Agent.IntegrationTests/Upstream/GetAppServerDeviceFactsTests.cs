using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Upstream;

/// <summary>
/// The device's facts reach the server: the discovery service fills the device row only from <c>general</c> (and blanks
/// it without), so the agent sends <c>general</c> with values that pass the gateway, and keeps <c>deviceData</c>.
/// </summary>
public partial class GetAppServerDeviceFactsTests
{
    [Fact]
    public async Task Discovery_DeviceFacts_ReachTheServersDeviceRowAndDiscoveryMessage_AndDeviceDataIsKept()
    {
        await using var server = await GetAppServerDouble.StartAsync(secret: "s3cret");
        await using var agent = await server.StartAgentAsync();
        await server.WaitForAsync(s => s.Discoveries.Count >= 1, "the first discovery");
        var put = await agent.Client.PutAsJsonAsync("/api/v2/device/metadata", new JsonObject
        {
            ["name"] = "pump-7", ["location"] = new JsonObject { ["lat"] = 32.0853, ["long"] = 34.7818 }, ["serialNumber"] = "SN-0042",
        });
        put.EnsureSuccessStatusCode();
        var metadata = (await put.Content.ReadFromJsonAsync<JsonObject>())!;

        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();

        var row = server.Device("dev-test-1")!;
        Assert.Equal("pump-7", row.Name);
        Assert.Equal(metadata["os"]!.GetValue<string>(), row.Os);
        Assert.True(long.Parse(row.AvailableStorage!, System.Globalization.CultureInfo.InvariantCulture) > 0, row.AvailableStorage);
        Assert.Equal("SN-0042", row.SerialNumber);
        // MAC and IP are whatever this machine has, sent only when the gateway would take them.
        Assert.Equal(metadata["macAddress"]?.GetValue<string>() is { } mac && Mac().IsMatch(mac) ? mac : null, row.Mac);
        Assert.Equal(metadata["ipAddress"]?.GetValue<string>() is { } ip && Ipv4().IsMatch(ip) ? ip : null, row.Ip);

        var stored = server.DiscoveryMessages[^1];
        Assert.True(stored.Applied);
        Assert.Equal("pump-7", stored.PersonalDevice!["name"]!.GetValue<string>());
        Assert.Equal("32.0853", stored.SituationalDevice!["location"]!["lat"]!.GetValue<string>());
        Assert.Equal("34.7818", stored.SituationalDevice["location"]!["long"]!.GetValue<string>());
        var sent = server.Discoveries[^1];
        Assert.Equal("pump-7", sent["deviceData"]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("SN-0042", sent["deviceData"]!["metadata"]!["serialNumber"]!.GetValue<string>());
    }

    [GeneratedRegex(@"^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})\z")]
    private static partial Regex Mac();

    [GeneratedRegex(@"^(\d{1,3}\.){3}\d{1,3}\z")]
    private static partial Regex Ipv4();
}
