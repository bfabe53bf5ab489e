using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Fleet;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static GetApp.Agent.IntegrationTests.Parent.ParentKit;

namespace GetApp.Agent.IntegrationTests.Fleet;

/// <summary>The fleet routes' contract (docs/fleet.md): bounded, checked inputs answered with AppErrors, and who may call what.</summary>
public class FleetApiTests
{
    [Theory]
    [InlineData("[1]", "must be a JSON object")]
    [InlineData("""{"action":"Reboot"}""", "action must be one of")]
    [InlineData("""{"action":"DeliveryStart"}""", "catalogId (a string) is required by DeliveryStart")]
    [InlineData("""{"action":"DeliveryStart","catalogId":"a/b"}""", "catalogId is not valid")]
    [InlineData("""{"action":"Discovery","catalogId":"7.a@1"}""", "Discovery is about the device: give no catalogId")]
    [InlineData("""{"action":"Discovery","deviceIds":"child-1"}""", "deviceIds must be an array")]
    [InlineData("""{"action":"Discovery","deviceIds":[""]}""", "deviceIds must hold device ids")]
    [InlineData("""{"action":"Discovery","deviceIds":[7]}""", "deviceIds must hold device ids")]
    [InlineData("""{"action":"Discovery","expiresInSeconds":0}""", "expiresInSeconds must be a whole number between 1 and")]
    [InlineData("""{"action":"Discovery","expiresInSeconds":99999999999}""", "expiresInSeconds must be a whole number between 1 and")]
    [InlineData("""{"action":"Discovery","expiresInSeconds":"60"}""", "expiresInSeconds must be a whole number between 1 and")]
    [InlineData("""{"action":"Discovery","reboot":true}""", "'reboot' is not a field of an action")]
    [InlineData("""{"action":"Discovery","action":"Push"}""", "more than once")]
    public async Task BadActions_AreAppErrorsNamingTheProblem_AndQueueNothing(string body, string expected)
    {
        await using var parent = await StartDetachedParentAsync();
        var error = await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/action", body), HttpStatusCode.BadRequest);
        Assert.Contains(expected, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("[]", await parent.Client.GetStringAsync("/api/cdn/devices/commands"));
    }

    [Fact]
    public async Task AnActionNamingMoreThanTheLimitOfDevices_IsRefused()
    {
        await using var parent = await StartDetachedParentAsync();
        var ids = new JsonArray([.. Enumerable.Range(0, 1001).Select(i => (JsonNode?)$"d-{i}")]);
        var error = await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/action", $$"""{"action":"Discovery","deviceIds":{{ids.ToJsonString()}}}"""), HttpStatusCode.BadRequest);
        Assert.Contains("at most 1000", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandsGoOnlyToChildrenThatTakeThem_AnOrchestratedOneOnceAccepted_AndAPendingCommandCanBeCancelled()
    {
        await using var parent = await StartDetachedParentAsync();
        await RegisterAsync(parent.Client, "plain", orchestrateMe: false, reactiveMode: false);
        await RegisterAsync(parent.Client, "asking", orchestrateMe: true, reactiveMode: false);
        await RegisterAsync(parent.Client, "reactive", orchestrateMe: false, reactiveMode: true);

        async Task<string> RefusedAsync(string body, HttpStatusCode status) =>
            (await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/action", body), status)).GetProperty("message").GetString()!;

        Assert.Contains("does not take commands", await RefusedAsync("""{"action":"Discovery","deviceIds":["plain"]}""", HttpStatusCode.Conflict), StringComparison.Ordinal);
        Assert.Contains("accept it first", await RefusedAsync("""{"action":"Discovery","deviceIds":["asking"]}""", HttpStatusCode.Conflict), StringComparison.Ordinal);
        Assert.Contains("is not a child of this agent", await RefusedAsync("""{"action":"Discovery","deviceIds":["ghost"]}""", HttpStatusCode.NotFound), StringComparison.Ordinal);
        Assert.Contains("is this agent itself", await RefusedAsync("""{"action":"Discovery","deviceIds":["parent-1"]}""", HttpStatusCode.NotFound), StringComparison.Ordinal);
        Assert.Contains("no child is orchestrated", await RefusedAsync("""{"action":"Discovery"}""", HttpStatusCode.Conflict), StringComparison.Ordinal);
        Assert.Contains("is not known to this agent", await RefusedAsync("""{"action":"Push","catalogId":"7.unknown@1.0.0","deviceIds":["reactive"]}""", HttpStatusCode.NotFound), StringComparison.Ordinal);
        // Mixed: one refused device refuses the whole action.
        await RefusedAsync("""{"action":"Discovery","deviceIds":["reactive","plain"]}""", HttpStatusCode.Conflict);
        Assert.Equal("[]", await parent.Client.GetStringAsync("/api/cdn/devices/commands"));

        // The reactive child is offline (no channel): the command waits for it.
        var queued = await HttpAssert.JsonAsync(await PostAsync(parent.Client, "/api/cdn/devices/action", """{"action":"MetadataRequest","deviceIds":["reactive"],"expiresInSeconds":3600}"""), HttpStatusCode.Accepted);
        var command = queued.GetProperty("commands")[0];
        Assert.Equal("pending", command.GetProperty("status").GetString());
        var commandId = command.GetProperty("commandId").GetString()!;
        var expires = DateTimeOffset.Parse(command.GetProperty("expiresAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            - DateTimeOffset.Parse(command.GetProperty("createdAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromHours(1), expires);
        var devices = await FleetKit.DevicesAsync(parent.Client);
        Assert.Equal(1, devices["reactive"]["pendingCommands"]!.GetValue<int>());
        Assert.False(devices["reactive"]["online"]!.GetValue<bool>());

        var cancelled = await HttpAssert.JsonAsync(await parent.Client.DeleteAsync($"/api/cdn/devices/commands/{commandId}"));
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        await HttpAssert.AppErrorAsync(await parent.Client.DeleteAsync($"/api/cdn/devices/commands/{commandId}"), HttpStatusCode.Conflict);
        await HttpAssert.AppErrorAsync(await parent.Client.DeleteAsync("/api/cdn/devices/commands/cmd-nope"), HttpStatusCode.NotFound);
        await HttpAssert.AppErrorAsync(await parent.Client.GetAsync("/api/cdn/devices/commands/bad%20id"), HttpStatusCode.BadRequest);
        await HttpAssert.AppErrorAsync(await parent.Client.GetAsync("/api/cdn/devices/commands?status=lost"), HttpStatusCode.BadRequest);
        await HttpAssert.AppErrorAsync(await parent.Client.GetAsync("/api/cdn/devices/commands?limit=0"), HttpStatusCode.BadRequest);

        // Orchestration: only for a child that asked; all or none.
        await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/orchestration", """{"deviceIds":["asking","plain"],"decision":"accept"}"""), HttpStatusCode.Conflict);
        await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/orchestration", """{"deviceIds":["ghost"],"decision":"accept"}"""), HttpStatusCode.NotFound);
        await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/orchestration", """{"deviceIds":["asking"],"decision":"maybe"}"""), HttpStatusCode.BadRequest);
        await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/orchestration", """{"deviceIds":[],"decision":"accept"}"""), HttpStatusCode.BadRequest);
        Assert.Equal("pending", (await FleetKit.DevicesAsync(parent.Client))["asking"]["orchestration"]!.GetValue<string>());
        var accepted = await HttpAssert.JsonAsync(await PostAsync(parent.Client, "/api/cdn/devices/orchestration", """{"deviceIds":["asking"],"decision":"accept"}"""));
        Assert.Equal("orchestrated", accepted[0].GetProperty("mode").GetString());

        // Without deviceIds: the platform, i.e. the orchestrated children only.
        var platform = await HttpAssert.JsonAsync(await PostAsync(parent.Client, "/api/cdn/devices/action", """{"action":"Discovery"}"""), HttpStatusCode.Accepted);
        Assert.Equal("asking", Assert.Single(platform.GetProperty("commands").EnumerateArray()).GetProperty("deviceId").GetString());

        // Forgetting a child drops its commands too.
        Assert.Equal(HttpStatusCode.NoContent, (await parent.Client.DeleteAsync("/api/cdn/devices/asking")).StatusCode);
        await HttpAssert.AppErrorAsync(await parent.Client.DeleteAsync("/api/cdn/devices/asking"), HttpStatusCode.NotFound);
        Assert.DoesNotContain("\"asking\"", await parent.Client.GetStringAsync("/api/cdn/devices/commands"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"orchestrateMe":true,"reactiveMode":false}""", "deviceId must be a string")]
    [InlineData("""{"deviceId":" padded","orchestrateMe":true,"reactiveMode":false}""", "must not start or end with spaces")]
    [InlineData("""{"deviceId":"c","orchestrateMe":"yes","reactiveMode":false}""", "orchestrateMe must be true or false")]
    [InlineData("""{"deviceId":"c","orchestrateMe":true}""", "reactiveMode must be true or false")]
    [InlineData("""{"deviceId":"c","orchestrateMe":true,"reactiveMode":false,"deviceType":"a"}""", "deviceType must be an array")]
    [InlineData("""{"deviceId":"c","orchestrateMe":true,"reactiveMode":false,"platform":7}""", "platform must be a string")]
    [InlineData("""{"deviceId":"c","orchestrateMe":true,"reactiveMode":false,"deviceData":[]}""", "deviceData must be an object")]
    [InlineData("""{"deviceId":"c","orchestrateMe":true,"reactiveMode":false,"admin":true}""", "'admin' is not a field of a registration")]
    public async Task BadRegistrations_AreAppErrors_AndRecordNothing(string body, string expected)
    {
        await using var parent = await StartDetachedParentAsync();
        var error = await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/register", body), HttpStatusCode.BadRequest);
        Assert.Contains(expected, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(await FleetKit.DevicesAsync(parent.Client));
    }

    [Fact]
    public async Task TheFleetStream_GivesEveryChildChangedWhileNobodyFollowedIt_ToANewClientAndToOneResuming()
    {
        await using var parent = await StartDetachedParentAsync();
        await RegisterAsync(parent.Client, "early", orchestrateMe: true, reactiveMode: false);

        string lastId;
        await using (var first = await SseClient.ConnectAsync(parent.Client, "/api/cdn/events/fleet"))
        {
            Assert.Equal("reset", (await first.NextEventAsync()).Event);
            var early = await first.WaitForAsync(e => !e.IsComment && e.Json.GetProperty("deviceId").GetString() == "early");
            Assert.Equal("pending", early.Json.GetProperty("device").GetProperty("orchestration").GetString());
            lastId = early.Id!;
        }

        // Nobody follows now: changes are only noted.
        await RegisterAsync(parent.Client, "late", orchestrateMe: false, reactiveMode: true);
        (await PostAsync(parent.Client, "/api/cdn/devices/orchestration", """{"deviceIds":["early"],"decision":"refuse"}""")).EnsureSuccessStatusCode();
        await Task.Delay(1500);

        await using var resumed = await SseClient.ConnectAsync(parent.Client, "/api/cdn/events/fleet", lastId);
        var late = await resumed.WaitForAsync(e => !e.IsComment && e.Json.GetProperty("deviceId").GetString() == "late");
        Assert.Equal("reactive", late.Json.GetProperty("device").GetProperty("mode").GetString());
        // Each child's latest entry, in the order of their ids: "early" came before "late".
        Assert.Contains(resumed.Events, e => e.Json.GetProperty("deviceId").GetString() == "early"
            && e.Json.GetProperty("device").GetProperty("orchestration").GetString() == "refused");

        Assert.Equal(HttpStatusCode.NoContent, (await parent.Client.DeleteAsync("/api/cdn/devices/late")).StatusCode);
        var removed = await resumed.WaitForAsync(e => !e.IsComment && e.Json.GetProperty("deviceId").GetString() == "late" && e.Json.GetProperty("removed").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, removed.Json.GetProperty("device").ValueKind);
    }

    [Fact]
    public async Task AChildCannotRegisterUnderTheParentsOwnId()
    {
        await using var parent = await StartDetachedParentAsync();
        await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/register", """{"deviceId":"parent-1","orchestrateMe":false,"reactiveMode":true}"""), HttpStatusCode.Conflict);
        Assert.Empty(await FleetKit.DevicesAsync(parent.Client));
    }

    [Fact]
    public async Task CommandResults_AreChecked_AndOnlyForTheDevicesOwnCommands()
    {
        await using var parent = await StartDetachedParentAsync();
        await RegisterAsync(parent.Client, "reactive", orchestrateMe: false, reactiveMode: true);
        await RegisterAsync(parent.Client, "other", orchestrateMe: false, reactiveMode: true);
        var queued = await HttpAssert.JsonAsync(await PostAsync(parent.Client, "/api/cdn/devices/action", """{"action":"Discovery","deviceIds":["reactive"]}"""), HttpStatusCode.Accepted);
        var commandId = queued.GetProperty("commands")[0].GetProperty("commandId").GetString()!;

        await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/commands/result", $$"""{"deviceId":"reactive","commandId":"{{commandId}}","status":"pending"}"""), HttpStatusCode.BadRequest);
        await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/commands/result", $$"""{"deviceId":"reactive","commandId":"{{commandId}}","status":"done","message":"{{new string('x', 4001)}}"}"""), HttpStatusCode.BadRequest);
        await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/commands/result", $$"""{"deviceId":"other","commandId":"{{commandId}}","status":"done"}"""), HttpStatusCode.NotFound);
        Assert.Equal("pending", (await FleetKit.CommandAsync(parent.Client, commandId))["status"]!.GetValue<string>());

        var done = await HttpAssert.JsonAsync(await PostAsync(parent.Client, "/api/cdn/devices/commands/result", $$"""{"deviceId":"reactive","commandId":"{{commandId}}","status":"done","message":"3 release(s) offered"}"""));
        Assert.Equal("done", done.GetProperty("status").GetString());
        // Statuses only move forward: a late "received" changes nothing.
        var late = await HttpAssert.JsonAsync(await PostAsync(parent.Client, "/api/cdn/devices/commands/result", $$"""{"deviceId":"reactive","commandId":"{{commandId}}","status":"received"}"""));
        Assert.Equal("done", late.GetProperty("status").GetString());
        Assert.Equal("3 release(s) offered", late.GetProperty("message").GetString());
    }

    [Fact]
    public async Task AChannelIsOnlyForARegisteredChild()
    {
        await using var parent = await StartDetachedParentAsync();
        await HttpAssert.AppErrorAsync(await parent.Client.GetAsync("/api/cdn/events/managed/ghost"), HttpStatusCode.NotFound);
        await RegisterAsync(parent.Client, "plain", orchestrateMe: false, reactiveMode: false);
        await HttpAssert.AppErrorAsync(await parent.Client.GetAsync("/api/cdn/events/managed/plain"), HttpStatusCode.NotFound);
        await HttpAssert.AppErrorAsync(await parent.Client.GetAsync("/api/cdn/events/managed/%20x"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AParentThatIsItselfOrchestrated_RefusesToManageChildren_ButHearsOneLeaving()
    {
        await using var parent = await StartDetachedParentAsync();
        await RegisterAsync(parent.Client, "reactive", orchestrateMe: false, reactiveMode: true);
        await parent.Get<DeviceService>().SetOrchestrationAsync("hq-1", "hq-1", null, null, CancellationToken.None);

        var message = (await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/register",
            """{"deviceId":"reactive","orchestrateMe":false,"reactiveMode":true}"""), HttpStatusCode.Conflict)).GetProperty("message").GetString();
        Assert.Contains("itself orchestrated by 'hq-1'", message, StringComparison.Ordinal);
        await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/action", """{"action":"Discovery","deviceIds":["reactive"]}"""), HttpStatusCode.Conflict);
        await HttpAssert.AppErrorAsync(await parent.Client.GetAsync("/api/cdn/events/managed/reactive"), HttpStatusCode.Conflict);
        await HttpAssert.AppErrorAsync(await PostAsync(parent.Client, "/api/cdn/devices/orchestration", """{"deviceIds":["reactive"],"decision":"accept"}"""), HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(parent.Client, "/api/cdn/devices/register", """{"deviceId":"reactive","orchestrateMe":false,"reactiveMode":false}""")).StatusCode);
    }

    [Fact]
    public async Task ChildrenSecret_OpensRegistrationChannelAndResults_NeverTheOperatorsRoutes()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        await using var parent = await TestAgent.StartAsync(
            configure: o => server.Configure(o) with { Urls = ["http://0.0.0.0:0"], DeviceSecret = "own-secret", ChildrenSecrets = ["site-a"] },
            configureServices: GetAppServerDouble.AgentServices("parent-1", s => s.AddSingleton(Fast)));
        using var child = Client(parent, "site-a");
        using var owner = Client(parent, "own-secret");
        using var stranger = Client(parent, null);

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(child, "/api/cdn/devices/register", """{"deviceId":"kid","orchestrateMe":false,"reactiveMode":true}""")).StatusCode);
        await HttpAssert.AppErrorAsync(await PostAsync(stranger, "/api/cdn/devices/register", """{"deviceId":"kid","orchestrateMe":false,"reactiveMode":true}"""), HttpStatusCode.Unauthorized);
        await using (var channel = await SseClient.ConnectAsync(child, "/api/cdn/events/managed/kid"))
        {
            var hello = await channel.NextEventAsync();
            Assert.Equal("hello", hello.Event);
            Assert.Equal("reactive", hello.Json.GetProperty("mode").GetString());
            Assert.True(hello.Json.GetProperty("managed").GetBoolean());
        }

        await HttpAssert.AppErrorAsync(await PostAsync(child, "/api/cdn/devices/commands/result", """{"deviceId":"kid","commandId":"cmd-1","status":"done"}"""), HttpStatusCode.NotFound);
        foreach (var (method, path) in ((string, string)[])[("POST", "/api/cdn/devices/action"), ("POST", "/api/cdn/devices/orchestration"), ("GET", "/api/cdn/fleet"),
            ("GET", "/api/cdn/devices/commands"), ("GET", "/api/cdn/device"), ("DELETE", "/api/cdn/devices/kid"), ("GET", "/api/cdn/events/fleet")])
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? new StringContent("{}", Encoding.UTF8, "application/json") : null };
            await HttpAssert.AppErrorAsync(await child.SendAsync(request), HttpStatusCode.Unauthorized);
        }

        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(owner, "/api/cdn/devices/action", """{"action":"Discovery","deviceIds":["kid"]}""")).StatusCode);
    }

    [Fact]
    public async Task AChildSilentForCdnInactiveAfterHours_IsInactive_ForCdnForgetAfterDays_IsForgotten_AndACommandPastItsExpiryExpires()
    {
        await using var parent = await StartDetachedParentAsync();
        await RegisterAsync(parent.Client, "quiet", orchestrateMe: false, reactiveMode: true);
        await RegisterAsync(parent.Client, "recent", orchestrateMe: false, reactiveMode: true);
        var queued = await HttpAssert.JsonAsync(await PostAsync(parent.Client, "/api/cdn/devices/action", """{"action":"Discovery","deviceIds":["recent"],"expiresInSeconds":1}"""), HttpStatusCode.Accepted);
        var commandId = queued.GetProperty("commands")[0].GetProperty("commandId").GetString()!;
        await SetLastSeenAsync(parent, "quiet", TimeSpan.FromHours(25));

        Assert.Equal(["recent"], (await FleetKit.DevicesAsync(parent.Client, "filter=active")).Keys);
        Assert.Equal(["quiet"], (await FleetKit.DevicesAsync(parent.Client, "filter=inactive")).Keys);
        (await parent.Client.PutAsync("/api/v2/agent/configs", new StringContent("""{"cdnInactiveAfterHours":26}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        Assert.Equal(["quiet", "recent"], (await FleetKit.DevicesAsync(parent.Client, "filter=active")).Keys.Order());

        await SetLastSeenAsync(parent, "quiet", TimeSpan.FromDays(31));
        await Task.Delay(1100); // past the command's expiry
        await parent.Get<FleetJanitor>().SweepAsync(CancellationToken.None);
        Assert.Equal(["recent"], (await FleetKit.DevicesAsync(parent.Client)).Keys);
        var expired = await FleetKit.CommandAsync(parent.Client, commandId);
        Assert.Equal("expired", expired["status"]!.GetValue<string>());
        Assert.Equal(0, (await FleetKit.DevicesAsync(parent.Client))["recent"]["pendingCommands"]!.GetValue<int>());
    }

    private static async Task SetLastSeenAsync(TestAgent parent, string deviceId, TimeSpan ago)
    {
        await using var connection = await parent.Get<Core.Storage.AgentDatabase>().OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE children SET last_seen_at = $at WHERE device_id = $id;";
        command.Parameters.AddWithValue("$at", Core.Contracts.UtcDateTimeOffsetConverter.ToWire(DateTimeOffset.UtcNow - ago));
        command.Parameters.AddWithValue("$id", deviceId);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    internal static async Task RegisterAsync(HttpClient client, string deviceId, bool orchestrateMe, bool reactiveMode)
    {
        var answer = await HttpAssert.JsonAsync(await PostAsync(client, "/api/cdn/devices/register",
            $$"""{"deviceId":"{{deviceId}}","orchestrateMe":{{(orchestrateMe ? "true" : "false")}},"reactiveMode":{{(reactiveMode ? "true" : "false")}},"deviceType":["agent_linux"],"platform":"own"}"""));
        Assert.Equal(deviceId, answer.GetProperty("deviceId").GetString());
        Assert.Equal(orchestrateMe ? "pending" : null, answer.GetProperty("orchestration").GetProperty("status").GetString());
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body) =>
        client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    private static HttpClient Client(TestAgent parent, string? secret)
    {
        var client = new HttpClient { BaseAddress = parent.BaseAddress };
        if (secret is not null)
        {
            client.DefaultRequestHeaders.Add("Device-Auth", secret);
        }

        return client;
    }
}
