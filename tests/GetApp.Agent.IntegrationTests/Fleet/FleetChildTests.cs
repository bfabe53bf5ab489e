using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Fleet;
using GetApp.Agent.Hosting;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static GetApp.Agent.IntegrationTests.Parent.ParentKit;

namespace GetApp.Agent.IntegrationTests.Fleet;

/// <summary>The child's side of fleet control, in process (docs/fleet.md): its flags, its link to the parent, its commands.</summary>
public class FleetChildTests
{
    [Fact]
    public async Task AReactiveChild_ConnectsAndRunsCommands_TheFleetStreamFollowsIt_AndTurningReactiveModeOffTakesItOffTheFleet()
    {
        await using var parent = await StartDetachedParentAsync(catalogDir: RepoPaths.SampleCatalog);
        await using var fleet = await SseClient.ConnectAsync(parent.Client, "/api/cdn/events/fleet");
        Assert.Equal("reset", (await fleet.NextEventAsync()).Event);
        await using var child = await StartChildAsync(parent, "kid", reactiveMode: true);

        var online = await fleet.WaitForAsync(e => !e.IsComment && e.Json.GetProperty("deviceId").GetString() == "kid"
            && e.Json.GetProperty("device").GetProperty("online").GetBoolean());
        Assert.Equal("reactive", online.Json.GetProperty("device").GetProperty("mode").GetString());
        var managed = await FleetKit.ObjectAsync(child.Client, "/api/v2/agent/managed");
        Assert.Equal("connected", managed["state"]!.GetValue<string>());
        Assert.Equal("parent-1", managed["parentId"]!.GetValue<string>());

        // Discovery and MetadataRequest run on the child; each outcome reaches the parent and its fleet stream.
        var discovery = await ActAsync(parent, """{"action":"Discovery","deviceIds":["kid"]}""");
        var done = await FleetKit.WaitForCommandAsync(parent.Client, discovery, ["done", "failed"], TimeSpan.FromSeconds(30));
        Assert.Equal("done", done["status"]!.GetValue<string>());
        Assert.EndsWith("release(s) offered", done["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await fleet.WaitForAsync(e => !e.IsComment && e.Json.GetProperty("deviceId").GetString() == "kid"
            && e.Json.GetProperty("commands").EnumerateArray().Any(c => c.GetProperty("commandId").GetString() == discovery && c.GetProperty("status").GetString() == "done"));

        await child.Client.PutAsync("/api/v2/device/metadata", new StringContent("""{"name":"kiosk 7"}""", Encoding.UTF8, "application/json"));
        var metadata = await ActAsync(parent, """{"action":"MetadataRequest","deviceIds":["kid"]}""");
        Assert.Equal("done", (await FleetKit.WaitForCommandAsync(parent.Client, metadata, ["done", "failed"], TimeSpan.FromSeconds(30)))["status"]!.GetValue<string>());
        Assert.Equal("kiosk 7", (await FleetKit.DevicesAsync(parent.Client))["kid"]["data"]!["metadata"]!["name"]!.GetValue<string>());

        // The child keeps a record of each command, by id.
        managed = await FleetKit.ObjectAsync(child.Client, "/api/v2/agent/managed");
        Assert.Equal([metadata, discovery], managed["commands"]!.AsArray().Select(c => c!["commandId"]!.GetValue<string>()));
        Assert.All(managed["commands"]!.AsArray(), c => Assert.Equal("done", c!["reported"]!.GetValue<string>()));

        // Off: the child leaves the fleet (and its channel closes).
        using var off = await child.Client.PutAsync("/api/v2/agent/configs", new StringContent("""{"reactiveMode":false}""", Encoding.UTF8, "application/json"));
        off.EnsureSuccessStatusCode();
        await EventuallyAsync(async () => (await FleetKit.DevicesAsync(parent.Client))["kid"] is var d && !d["online"]!.GetValue<bool>() && d["mode"]!.GetValue<string>() == "none",
            "the child off the fleet", TimeSpan.FromSeconds(15));
        await EventuallyAsync(async () => (await FleetKit.ObjectAsync(child.Client, "/api/v2/agent/managed"))["state"]!.GetValue<string>() == "off",
            "the child's link off", TimeSpan.FromSeconds(15));
        await HttpAssert.AppErrorAsync(await parent.Client.PostAsync("/api/cdn/devices/action",
            new StringContent("""{"action":"Discovery","deviceIds":["kid"]}""", Encoding.UTF8, "application/json")), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task AnOrchestratedChild_AdoptsThePlatformWhenAccepted_AndDropsItsOrchestrationWhenRefused()
    {
        await using var parent = await StartDetachedParentAsync(catalogDir: RepoPaths.SampleCatalog, configure: o => o);
        await using var child = await StartChildAsync(parent, "member", orchestrateMe: true);
        await EventuallyAsync(async () => (await FleetKit.DevicesAsync(parent.Client, "filter=all&connectivity=online&orchestration=pending")).ContainsKey("member"),
            "the child waiting for approval", TimeSpan.FromSeconds(15));
        Assert.Equal("none", (await FleetKit.ObjectAsync(child.Client, "/api/v2/agent/managed"))["mode"]!.GetValue<string>());
        Assert.Null((await FleetKit.ObjectAsync(child.Client, "/api/v2/device/enrollment"))["orchestratedBy"]);

        await parent.Get<Core.Device.DeviceService>().UpdateEnrollmentAsync(new JsonObject { ["platform"] = "site-b", ["platformId"] = "B-1" }, CancellationToken.None);
        (await parent.Client.PostAsync("/api/cdn/devices/orchestration",
            new StringContent("""{"deviceIds":["member"],"decision":"accept"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        await EventuallyAsync(async () => (await FleetKit.ObjectAsync(child.Client, "/api/v2/device/enrollment")) is var e
            && e["orchestratedBy"]?.GetValue<string>() == "parent-1" && e["platform"]!.GetValue<string>() == "site-b" && e["platformId"]!.GetValue<string>() == "B-1",
            "the accepted child on the parent's platform", TimeSpan.FromSeconds(15));

        (await parent.Client.PostAsync("/api/cdn/devices/orchestration",
            new StringContent("""{"deviceIds":["member"],"decision":"refuse"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        await EventuallyAsync(async () => (await FleetKit.ObjectAsync(child.Client, "/api/v2/device/enrollment"))["orchestratedBy"] is null,
            "the refused child no longer orchestrated", TimeSpan.FromSeconds(15));
        // The platform adopted stays (GetApp keeps it too); the operator changes it if need be.
        Assert.Equal("site-b", (await FleetKit.ObjectAsync(child.Client, "/api/v2/device/enrollment"))["platform"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheFleetFlags_AreLiveSettingsShownInTheEnrollment_WithTheEnvironmentAsTheirDefault()
    {
        await using var agent = await TestAgent.StartAsync(catalogDir: RepoPaths.SampleCatalog,
            configure: o => o with { SettingDefaults = new Dictionary<string, bool> { ["reactiveMode"] = true } });
        var configs = await FleetKit.ObjectAsync(agent.Client, "/api/v2/agent/configs");
        Assert.True(configs["reactiveMode"]!.GetValue<bool>());
        Assert.False(configs["orchestrateMe"]!.GetValue<bool>());

        using var put = await agent.Client.PutAsync("/api/v2/device/enrollment", new StringContent("""{"orchestrateMe":true,"reactiveMode":false}""", Encoding.UTF8, "application/json"));
        put.EnsureSuccessStatusCode();
        configs = await FleetKit.ObjectAsync(agent.Client, "/api/v2/agent/configs");
        Assert.True(configs["orchestrateMe"]!.GetValue<bool>());
        Assert.False(configs["reactiveMode"]!.GetValue<bool>());

        (await agent.Client.DeleteAsync("/api/v2/agent/configs/reactiveMode")).EnsureSuccessStatusCode();
        var enrollment = await FleetKit.ObjectAsync(agent.Client, "/api/v2/device/enrollment");
        Assert.True(enrollment["reactiveMode"]!.GetValue<bool>()); // back to the environment's default
        Assert.True(enrollment["orchestrateMe"]!.GetValue<bool>());
        await HttpAssert.AppErrorAsync(await agent.Client.PutAsync("/api/v2/device/enrollment",
            new StringContent("""{"orchestratedBy":"me"}""", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        await HttpAssert.AppErrorAsync(await agent.Client.PutAsync("/api/v2/agent/configs",
            new StringContent("""{"orchestrateMe":"yes"}""", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        // No GetApp server upstream: nothing to register with, said plainly.
        Assert.Contains("fleet control needs one", (await FleetKit.ObjectAsync(agent.Client, "/api/v2/agent/managed"))["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("yes", "on", true, true)]
    [InlineData("FALSE", "0", false, false)]
    public void TheEnvironmentNames_SetTheFlagsDefaults(string orchestrate, string reactive, bool expectedOrchestrate, bool expectedReactive)
    {
        var env = new Dictionary<string, string> { ["ORCHESTRATE_ME"] = orchestrate, ["REACTIVE_MODE"] = reactive };
        var options = AgentOptionsResolver.Resolve(new CommandLineValues(null, null, null, null, null), k => env.GetValueOrDefault(k), new ConfigurationBuilder().Build());
        Assert.Equal(expectedOrchestrate, options.SettingDefaults["orchestrateMe"]);
        Assert.Equal(expectedReactive, options.SettingDefaults["reactiveMode"]);
    }

    [Fact]
    public void AFlagThatIsNotABoolean_StopsTheStartWithItsName()
    {
        var env = new Dictionary<string, string> { ["REACTIVE_MODE"] = "maybe" };
        var e = Assert.Throws<AgentConfigurationException>(() =>
            AgentOptionsResolver.Resolve(new CommandLineValues(null, null, null, null, null), k => env.GetValueOrDefault(k), new ConfigurationBuilder().Build()));
        Assert.Contains("REACTIVE_MODE='maybe' is not a boolean", e.Message, StringComparison.Ordinal);
    }

    private static Task<TestAgent> StartChildAsync(TestAgent parent, string deviceId, bool orchestrateMe = false, bool reactiveMode = false) =>
        TestAgent.StartAsync(
            configure: o => o with
            {
                UpstreamUrls = [parent.BaseAddress.ToString().TrimEnd('/')],
                SettingDefaults = new Dictionary<string, bool> { ["orchestrateMe"] = orchestrateMe, ["reactiveMode"] = reactiveMode },
            },
            configureServices: GetAppServerDouble.AgentServices(deviceId, s => s.AddSingleton(new FleetOptions { ReconnectMax = TimeSpan.FromSeconds(2) })));

    private static async Task<string> ActAsync(TestAgent parent, string body)
    {
        var answer = await HttpAssert.JsonAsync(await parent.Client.PostAsync("/api/cdn/devices/action", new StringContent(body, Encoding.UTF8, "application/json")), HttpStatusCode.Accepted);
        return answer.GetProperty("commands")[0].GetProperty("commandId").GetString()!;
    }
}
