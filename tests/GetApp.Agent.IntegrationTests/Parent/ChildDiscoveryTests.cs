using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Parent.ParentKit;

namespace GetApp.Agent.IntegrationTests.Parent;

/// <summary>Children's discovery through a parent: relayed while the upstream answers, answered locally when it does not; and the registry it feeds.</summary>
public class ChildDiscoveryTests
{
    private const string Held = "7.site-app@1.0.0";
    private const string OfferedToChild = "8.extra@3.0.0";

    [Fact]
    public async Task ChildDiscovery_IsRelayedAsTheChildSentIt_AndTheChildIsRegistered()
    {
        await using var server = await GetAppServerDouble.StartAsync(secret: "fleet");
        await using var parent = await StartParentAsync(server);
        server.AddRelease(OfferedToChild, files: Files("x.bin", 1000));
        await using var child = await StartChildAsync(parent, "child-1", secret: "fleet");
        await EventuallyAsync(async () => await child.Releases.FindAsync(OfferedToChild, default) is not null, "the child offered the release through the parent");

        var relayed = server.Discoveries.Single(d => d["id"]!.GetValue<string>() == "child-1");
        Assert.Equal("agent_linux,zone-a", relayed["deviceTypeToken"]!.GetValue<string>());
        Assert.Equal("field-unit", relayed["platform"]!["token"]!.GetValue<string>());
        Assert.All(server.Received.Where(r => r.Path.StartsWith("/api/", StringComparison.Ordinal)), r => Assert.Equal("fleet", r.DeviceAuth));

        var devices = await HttpAssert.JsonAsync(await parent.Client.GetAsync("/api/cdn/device"));
        Assert.Equal(["parent-1", "child-1"], devices.EnumerateArray().Select(d => d.GetProperty("deviceId").GetString()));
        var self = devices[0];
        Assert.True(self.GetProperty("isSelf").GetBoolean());
        Assert.Equal("parent-1", self.GetProperty("data").GetProperty("deviceId").GetString());
        var entry = devices[1];
        Assert.False(entry.GetProperty("isSelf").GetBoolean());
        Assert.True(entry.GetProperty("active").GetBoolean());
        Assert.Equal("127.0.0.1", entry.GetProperty("address").GetString());
        Assert.Equal(["agent_linux", "zone-a"], entry.GetProperty("data").GetProperty("deviceType").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("field-unit", entry.GetProperty("data").GetProperty("platform").GetString());
        Assert.Equal(JsonValueKind.Object, entry.GetProperty("data").GetProperty("metadata").ValueKind);

        var chosen = await HttpAssert.JsonAsync(await parent.Client.GetAsync("/api/cdn/device?device_id=child-1&device_id=nobody"));
        Assert.Equal("child-1", Assert.Single(chosen.EnumerateArray()).GetProperty("deviceId").GetString());
        Assert.Empty((await HttpAssert.JsonAsync(await parent.Client.GetAsync("/api/cdn/device?filter=inactive"))).EnumerateArray());
        Assert.Equal(2, (await HttpAssert.JsonAsync(await parent.Client.GetAsync("/api/cdn/device?filter=all"))).GetArrayLength());
        await HttpAssert.AppErrorAsync(await parent.Client.GetAsync("/api/cdn/device?filter=sometimes"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task UpstreamDown_AChildIsAnsweredFromItsLastAnswer_AndANewChildFromWhatTheParentHolds()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        server.AddRelease(Held, isPush: true, files: Files("app.bin", 1000));
        await using var parent = await StartParentAsync(server);
        await parent.WaitForAsync(Held, s => s.State == ReleaseState.Downloaded);
        server.AddRelease(OfferedToChild, files: Files("x.bin", 1000));
        var known = await DiscoverAsync(parent, "child-1");
        Assert.Equal(2, known["releases"]!.AsArray().Count);

        await server.GoDownAsync();
        var again = await DiscoverAsync(parent, "child-1");
        Assert.Equal([Held, OfferedToChild], Ids(again));

        var newcomer = await DiscoverAsync(parent, "child-2");
        var entry = Assert.Single(newcomer["releases"]!.AsArray())!;
        Assert.Equal(Held, entry["release"]!["id"]!.GetValue<string>());
        Assert.True(entry["isPush"]!.GetValue<bool>());
        Assert.Equal("1.0.0", entry["release"]!["version"]!.GetValue<string>());
        Assert.Equal(3, (await HttpAssert.JsonAsync(await parent.Client.GetAsync("/api/cdn/device"))).GetArrayLength());
    }

    [Fact]
    public async Task ServerRefusesTheChildsOwnMessage_TheChildHearsTheServersAnswer()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        await using var parent = await StartParentAsync(server);
        var message = Message("child-1");
        message["general"] = new JsonObject { ["physicalDevice"] = new JsonObject { ["MAC"] = "not-a-mac" } };
        using var response = await parent.Client.PostAsJsonAsync("/api/v2/device/discover/component", message);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("general.physicalDevice.MAC", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("""{"discoveryType":"get-app"}""", "id must be a string")]
    [InlineData("""{"id":"c","discoveryType":"get-everything"}""", "discoveryType must be one of")]
    [InlineData("""{"id":"c","discoveryType":"get-app","platform":{"name":"x"}}""", "platform.token must be a string")]
    [InlineData("""{"id":"c","discoveryType":"get-app","softwareData":{"components":[{"catalogId":"7.a@1","state":"broken"}]}}""", "softwareData.components.state")]
    [InlineData("""{"id":"c","discoveryType":"get-app","softwareData":[1]}""", "softwareData.components must be an array")]
    [InlineData("""{"id":"c","discoveryType":"get-app","softwareData":{"components":[7]}}""", "softwareData.components must hold objects")]
    public async Task BadDiscoveryMessage_Is400WithTheReason_AndRegistersNobody(string body, string expected)
    {
        await using var parent = await StartDetachedParentAsync();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var error = await HttpAssert.AppErrorAsync(await parent.Client.PostAsync("/api/v2/device/discover/component", content), HttpStatusCode.BadRequest);
        Assert.Contains(expected, error.GetProperty("message").GetString());
        Assert.Single((await HttpAssert.JsonAsync(await parent.Client.GetAsync("/api/cdn/device?filter=all"))).EnumerateArray());
    }

    [Fact]
    public async Task ReleaseRoutesOfTheRegistry_AnswerPerDevice_AndAnEmptyListForAReleaseNobodyHas()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        server.AddRelease(Held, isPush: true, files: Files("app.bin", 1000));
        await using var parent = await StartParentAsync(server);
        await parent.WaitForAsync(Held, s => s.State == ReleaseState.Downloaded);
        var message = Message("child-1");
        message["softwareData"] = new JsonObject { ["components"] = new JsonArray(new JsonObject { ["catalogId"] = Held, ["state"] = "downloaded" }) };
        (await parent.Client.PostAsJsonAsync("/api/v2/device/discover/component", message)).EnsureSuccessStatusCode();

        var one = await HttpAssert.JsonAsync(await parent.Client.GetAsync($"/api/cdn/device/releases/{Held}"));
        Assert.Equal(["parent-1", "child-1"], one.EnumerateArray().Select(e => e.GetProperty("deviceId").GetString()));
        foreach (var entry in one.EnumerateArray())
        {
            ContractSchema.AssertValidStatus(entry.GetProperty("data"));
            Assert.Equal("downloaded", entry.GetProperty("data").GetProperty("state").GetString());
        }

        Assert.Empty((await HttpAssert.JsonAsync(await parent.Client.GetAsync("/api/cdn/device/releases/9.nobody@1.0.0"))).EnumerateArray());
        var all = await HttpAssert.JsonAsync(await parent.Client.GetAsync("/api/cdn/device/releases"));
        Assert.Equal(2, all.GetArrayLength());
        Assert.True(all[0].GetProperty("isSelf").GetBoolean());
        await HttpAssert.AppErrorAsync(await parent.Client.GetAsync("/api/cdn/device/releases/a%5Cb"), HttpStatusCode.BadRequest);

        // A child that stops listing a release no longer has it, as the server concludes too.
        message["softwareData"] = new JsonObject { ["components"] = new JsonArray() };
        (await parent.Client.PostAsJsonAsync("/api/v2/device/discover/component", message)).EnsureSuccessStatusCode();
        Assert.Single((await HttpAssert.JsonAsync(await parent.Client.GetAsync($"/api/cdn/device/releases/{Held}"))).EnumerateArray());
    }

    internal static JsonObject Message(string deviceId) => new()
    {
        ["id"] = deviceId,
        ["discoveryType"] = "get-app",
        ["deviceTypeToken"] = "agent_linux",
        ["platform"] = new JsonObject { ["token"] = "field-unit" },
        ["deviceData"] = new JsonObject { ["deviceId"] = deviceId, ["metadata"] = new JsonObject { ["os"] = "linux" } },
        ["softwareData"] = new JsonObject { ["components"] = new JsonArray() },
    };

    private static async Task<JsonObject> DiscoverAsync(TestAgent parent, string deviceId)
    {
        using var response = await parent.Client.PostAsJsonAsync("/api/v2/device/discover/component", Message(deviceId));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static string[] Ids(JsonObject answer) =>
        [.. answer["releases"]!.AsArray().Select(e => e!["release"]!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
}
