using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Delivery;
using GetApp.Agent.IntegrationTests.Deploy;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.CommandLine;

/// <summary>The client verbs as a script uses them: exit codes, --json on success and failure, piped output.</summary>
public sealed class ScriptableCliTests
{
    private const string App = "7.demo-app@1.0.0";

    [Fact]
    public async Task Status_ReleaseInError_ExitCode3_WithTheErrorInFull()
    {
        await using var s = await FailingDeliveryAsync();
        await s.ControlOkAsync("start", App);
        await s.WaitForStatusAsync(App, "Error");

        var (code, output, _) = await CliProcess.RunAsync(s.Agent.BaseAddress, "status", App);

        Assert.Equal(3, code);
        Assert.Contains($"{App}: delivery/download Error", output);
        Assert.Contains("error: artifact", output);
    }

    [Fact]
    public async Task StatusWatch_PipedOutput_PlainLinesNamingTheRelease_ExitsWithTheOutcome()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 3_000_000, seed: 5);
        file.Faults.ThrottleBytesPerSecond = 1_000_000;
        s.Catalog.AddRaw(CatalogEntries.Http(App, file));
        await s.StartAgentAsync();
        using var watch = CliProcess.Start(s.Agent.BaseAddress, ["status", App, "--watch"]);
        await watch.WaitForLineAsync(l => l.Contains("waiting for its delivery", StringComparison.Ordinal)); // the client is up
        await s.ControlOkAsync("start", App);

        var code = await watch.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var (output, error) = (watch.RawOut, watch.Err);

        Assert.True(code == 0, $"exit {code}: {output} {error}");
        Assert.DoesNotContain('\r', output);
        Assert.DoesNotContain('\u001b', output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines.Where(l => !l.StartsWith("  ", StringComparison.Ordinal)), l => Assert.StartsWith($"{App}: ", l));
        Assert.Contains(lines, l => l.Contains("delivery/download InProgress", StringComparison.Ordinal) && l.Contains('%'));
        Assert.Contains("downloaded Done", lines[^2] + lines[^1]);
    }

    [Fact]
    public async Task StatusWatch_DeliveryFails_Exit3_Paused_Exit4()
    {
        await using (var failing = await FailingDeliveryAsync())
        {
            await failing.ControlOkAsync("start", App);
            var (code, output, _) = await CliProcess.RunAsync(failing.Agent.BaseAddress, "status", App, "--watch");
            Assert.True(code == 3, output);
        }

        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 8_000_000, seed: 6);
        file.Faults.ThrottleBytesPerSecond = 1_000_000;
        s.Catalog.AddRaw(CatalogEntries.Http(App, file));
        await s.StartAgentAsync();
        await s.ControlOkAsync("start", App);
        using var watch = CliProcess.Start(s.Agent.BaseAddress, ["status", App, "--watch"]);
        await watch.WaitForLineAsync(l => l.Contains("InProgress", StringComparison.Ordinal));
        await s.ControlOkAsync("pause", App);

        Assert.Equal(4, await watch.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("delivery/download Pause", watch.RawOut);
        Assert.DoesNotContain("eta", watch.OutLines[^1]);
    }

    [Fact]
    public async Task StatusWatch_DeliveryStartsBetweenItsTwoReads_FollowsItInsteadOfCallingItUnknown()
    {
        // The race made certain: the status still says "only offered" (404) while the offering no longer lists it, as
        // when the delivery starts between the watch's two reads. (The agent itself can answer this way only for a moment.)
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        var statusReads = 0;
        app.MapGet("/api/v2/device/releases/{id}", () =>
            Interlocked.Increment(ref statusReads) == 1
                ? Results.Text("""{"message":"release is only offered","name":"NotFound","statusCode":404}""", "application/json", statusCode: 404)
                : Results.Text(
                    $$"""{"artsDirPath":"/d/comps/{{App}}","deliveryState":"done","deviceReleaseStatus":"Done","downloadDuration":1,"errMsg":null,"eta":null,"progress":100,"release":{"id":"{{App}}","version":"1.0.0"},"state":"downloaded"}""",
                    "application/json"));
        app.MapGet("/api/v2/device/offering", () => Results.Text("[]", "application/json"));
        await app.StartAsync();

        var (code, output, error) = await CliProcess.RunAsync(new Uri(app.Urls.First()), "status", App, "--watch");

        Assert.True(code == 0, $"exit {code}: {error}");
        Assert.Contains("downloaded Done", output);
        Assert.Equal(2, statusReads);
    }

    [Fact]
    public async Task StatusWatch_OnAnOfferedRelease_WaitsForItsDeliveryInsteadOfFailing()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 200_000, seed: 7);
        s.Catalog.AddRaw(CatalogEntries.Http(App, file));
        await s.StartAgentAsync();

        using var watch = CliProcess.Start(s.Agent.BaseAddress, ["status", App, "--watch"]);
        await watch.WaitForLineAsync(l => l.Contains("waiting for its delivery to start", StringComparison.Ordinal));
        await Task.Delay(700);
        Assert.Single(watch.OutLines); // told once, not at every poll
        await s.ControlOkAsync("start", App);

        Assert.Equal(0, await watch.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("downloaded Done", watch.RawOut);

        var (unknown, _, error) = await CliProcess.RunAsync(s.Agent.BaseAddress, "status", "1.unknown@1.0.0", "--watch");
        Assert.Equal(1, unknown);
        Assert.Contains("not known to this device", error);
    }

    [Fact]
    public async Task DeployUninstallConfigDevice_PrintForHumans_AndJsonWithJson()
    {
        using var catalog = new TestCatalog();
        catalog.Add(App, files: DeployTestKit.Installer("echo installed"), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);
        await agent.Client.PostAsync($"/api/v2/delivery/start/{Uri.EscapeDataString(App)}", null);
        await agent.WaitForAsync(App, r => r.State == ReleaseState.Downloaded);

        var deploy = await CliProcess.RunAsync(agent.BaseAddress, "deploy", App);
        Assert.Equal(0, deploy.ExitCode);
        Assert.StartsWith($"{App}: deploy Start", deploy.Out);
        await DeployTestKit.WaitInstalledAsync(agent, App);

        var uninstall = await CliProcess.RunAsync(agent.BaseAddress, "uninstall", App);
        Assert.Equal(0, uninstall.ExitCode);
        Assert.StartsWith($"{App}: deploy Uninstall", uninstall.Out);

        var get = await CliProcess.RunAsync(agent.BaseAddress, "config", "get");
        Assert.Matches(@"(?m)^SETTING\s+VALUE$", get.Out);
        Assert.Matches(@"(?m)^maxParallelDeliveries\s+1$", get.Out);

        var set = await CliProcess.RunAsync(agent.BaseAddress, "config", "set", "maxParallelDeliveries=3", "deliveryAutoTrigger=true");
        Assert.Equal("maxParallelDeliveries = 3\ndeliveryAutoTrigger = true\n", set.Out);

        var reset = await CliProcess.RunAsync(agent.BaseAddress, "config", "reset", "maxParallelDeliveries");
        Assert.Equal("maxParallelDeliveries = 1 (default)\n", reset.Out);

        var device = await CliProcess.RunAsync(agent.BaseAddress, "device");
        Assert.Matches(@"(?m)^device id\s+\S+", device.Out);
        Assert.Matches(@"(?m)^upstream\s+offline catalog", device.Out);
        Assert.Matches(@"(?m)^last discovery\s+.*1 release\(s\) offered", device.Out);

        var json = await CliProcess.RunAsync(agent.BaseAddress, "device", "--json");
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(json.Out).RootElement.ValueKind);
    }

    [Fact]
    public async Task Json_ErrorsAreJsonAppErrorsOnStdout()
    {
        await using var agent = await TestAgent.StartAsync();

        var notFound = await CliProcess.RunAsync(agent.BaseAddress, "deploy", "1.unknown@1.0.0", "--json");
        var unreachable = await CliProcess.RunAsync(new Uri("http://127.0.0.1:1/"), "releases", "--json");
        var usage = await CliProcess.RunAsync(agent.BaseAddress, "releases", "--json", "--agent-url", "localhost:2220");

        AssertError(notFound, 1, "NotFound", 404, "not known to this device");
        AssertError(unreachable, 2, "AgentUnreachable", 0, "cannot reach the agent");
        AssertError(usage, 1, "UsageError", 0, "is not an http(s) URL");

        static void AssertError((int ExitCode, string Out, string Err) run, int exit, string name, int status, string message)
        {
            Assert.Equal(exit, run.ExitCode);
            Assert.Equal("", run.Err);
            var json = JsonDocument.Parse(run.Out).RootElement;
            Assert.Equal(["message", "name", "statusCode"], json.EnumerateObject().Select(p => p.Name));
            Assert.Equal(name, json.GetProperty("name").GetString());
            Assert.Equal(status, json.GetProperty("statusCode").GetInt32());
            Assert.Contains(message, json.GetProperty("message").GetString());
        }
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("localhost:2220")]
    [InlineData("ftp://127.0.0.1:2220")]
    public async Task MalformedAgentUrl_IsAUsageError(string url)
    {
        var (code, _, error) = await CliProcess.RunAsync(new Uri("http://127.0.0.1:1/"), "releases", "--agent-url", url);

        Assert.Equal(1, code);
        Assert.Contains($"--agent-url '{url}' is not an http(s) URL", error);
        Assert.DoesNotContain("cannot reach", error);
    }

    [Fact]
    public async Task DeviceSecret_ReadFromGetAppDeviceSecret_AndA401HintsAtTheOption()
    {
        await using var agent = await TestAgent.StartAsync(configure: o => o with { Urls = ["http://0.0.0.0:0"], DeviceSecret = "s3cret" });

        using (var refused = CliProcess.Start(agent.BaseAddress, ["releases"]))
        {
            Assert.Equal(1, await refused.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("give the agent's device secret with --device-secret (or GETAPP_DEVICE_SECRET)", refused.Err);
        }

        foreach (var variable in (string[])["GETAPP_DEVICE_SECRET", "DEVICE_SECRET"])
        {
            using var allowed = CliProcess.Start(agent.BaseAddress, ["releases"], new Dictionary<string, string?> { [variable] = "s3cret" });
            Assert.Equal(0, await allowed.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public async Task Releases_MultiLineErrMsg_StaysOneRowOfTheTable()
    {
        using var catalog = new TestCatalog();
        catalog.Add(App, files: DeployTestKit.Installer("echo first line; echo second line; exit 4"), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);
        await agent.Client.PostAsync($"/api/v2/delivery/start/{Uri.EscapeDataString(App)}", null);
        await agent.WaitForAsync(App, r => r.State == ReleaseState.Downloaded);
        await DeployTestKit.StartAsync(agent, App);
        var failed = await DeployTestKit.WaitDeployErrorAsync(agent, App);
        Assert.Contains('\n', failed.ErrMsg ?? "");

        var table = await CliProcess.RunAsync(agent.BaseAddress, "releases");
        var status = await CliProcess.RunAsync(agent.BaseAddress, "status", App);

        var rows = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, rows.Length);
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(App)}\s+deploy\s+done\s+Error\s+.*exited with code 4.* …$", rows[1]);
        Assert.Equal(3, status.ExitCode);
        Assert.Matches(@"(?m)^  error: the installer exited with code 4.*\n\s+first line\n\s+second line$", status.Out);
    }

    [Fact]
    public async Task Events_TailsAStream_JsonLinesForScripts_HumanLinesOtherwise()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 300_000, seed: 8);
        s.Catalog.AddRaw(CatalogEntries.Http(App, file));
        await s.StartAgentAsync();
        using var json = CliProcess.Start(s.Agent.BaseAddress, ["events", "delivery", "--json"]);
        using var human = CliProcess.Start(s.Agent.BaseAddress, ["events", "delivery"]);
        await json.WaitForLineAsync(l => l.Contains("\"reset\"", StringComparison.Ordinal));
        await DeployTestKit.WaitUntilAsync(() => s.Agent.Get<Core.Events.EventHub>().ClientCount == 2, "both clients connected");

        await s.ControlOkAsync("start", App);
        await json.WaitForLineAsync(l => l.Contains("\"state\":\"downloaded\"", StringComparison.Ordinal));
        await human.WaitForLineAsync(l => l.Contains("downloaded Done", StringComparison.Ordinal));

        foreach (var line in json.OutLines)
        {
            var item = JsonDocument.Parse(line).RootElement;
            Assert.Equal(["id", "event", "data"], item.EnumerateObject().Select(p => p.Name));
        }

        var moves = json.OutLines.Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("event").GetString() == "delivery").ToList();
        Assert.All(moves, e => Assert.Equal(App, e.GetProperty("data").GetProperty("release").GetProperty("id").GetString()));
        Assert.Matches(@"^\d\d:\d\d:\d\d delivery\s+7\.demo-app@1\.0\.0  delivery/prepare Start", human.OutLines.First(l => l.Contains("prepare", StringComparison.Ordinal)));

        var (code, _, error) = await CliProcess.RunAsync(s.Agent.BaseAddress, "events", "bogus");
        Assert.Equal(1, code);
        Assert.Contains("unknown event stream 'bogus'", error);
    }

    private static async Task<DeliveryScenario> FailingDeliveryAsync()
    {
        var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 10_000);
        file.Faults.FailStatus = 404;
        file.Faults.FailTimes = int.MaxValue;
        s.Catalog.AddRaw(CatalogEntries.Http(App, file));
        await s.StartAgentAsync();
        return s;
    }
}
