using System.Diagnostics;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using static GetApp.Agent.IntegrationTests.Fleet.FleetKit;
using static GetApp.Agent.IntegrationTests.Infrastructure.ServerReports;
using static GetApp.Agent.IntegrationTests.Parent.ChildReportsTests;

namespace GetApp.Agent.IntegrationTests.Fleet;

/// <summary>
/// Fleet control with real agent processes on loopback (docs/fleet.md): a GetApp server double, a parent, and children
/// that ask to be managed — orchestrated ones, approved by the operator, and reactive ones.
/// </summary>
[Collection(TimingSensitive.Name)]
public class FleetEndToEndTests(ITestOutputHelper output)
{
    private const string App = "7.fleet-app@2.0.0";
    private static readonly JsonObject AutoDeploy = new() { ["autoDeploy"] = true };

    [Fact]
    public async Task FiveChildren_ThreeApprovedForOrchestrationTwoReactive_OnePushInstallsOnAll_WhileTheParentShowsEachOnesProgress_AndARefusalCarriesTheLifecyclesMessage()
    {
        await using var server = await GetAppServerDouble.StartAsync(secret: Secret);
        // For the site's master only: its children get it because the operator pushes it.
        server.AddRelease(App, files: Installable(12_000_000), executable: "install.sh", metadata: AutoDeploy).OfferOnlyTo(App, "parent-1");
        using var dirs = new TempDirectory("getapp-fleet");
        await using var parent = await StartParentAsync(dirs.Combine("parent"), server.BaseUrl);
        // Children reach the parent through a throttled relay, so that each download lasts long enough to be watched.
        await using var relay = new TcpRelay(parent.BaseAddress.Port) { ThrottleBytesPerSecond = 2L * 1024 * 1024 };
        var ids = Enumerable.Range(1, 5).Select(i => $"child-{i}").ToArray();
        var children = await Task.WhenAll(ids.Select((id, i) => StartChildAsync(dirs.Combine(id), relay.BaseUrl, id, orchestrateMe: i < 3, reactiveMode: i >= 3)));
        var clock = Stopwatch.StartNew();
        try
        {
            // All five registered and online; the three asking for orchestration wait for the operator.
            await Parent.ParentKit.EventuallyAsync(async () => (await DevicesAsync(parent.Client, "filter=all&connectivity=online")).Count == 5,
                "five children online", TimeSpan.FromSeconds(60), async () => (await ArrayAsync(parent.Client, "/api/cdn/device?filter=all")).ToJsonString());
            var pending = await DevicesAsync(parent.Client, "filter=all&orchestration=pending");
            Assert.Equal(ids[..3], pending.Keys.Order());
            Assert.All(pending.Values, d => Assert.Equal("none", d["mode"]!.GetValue<string>()));
            Assert.Equal(ids[3..], (await DevicesAsync(parent.Client, "filter=all&mode=reactive")).Keys.Order());
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: five children online, three awaiting approval");

            // An action for one awaiting approval is refused, and changes nothing.
            var early = await PostAsync(parent.Client, "/api/cdn/devices/action", $$"""{"action":"Discovery","deviceIds":["{{ids[0]}}"]}""");
            Assert.Equal(409, early.Status);
            Assert.Contains("accept it first", early.Body!["message"]!.GetValue<string>(), StringComparison.Ordinal);

            var approved = await PostAsync(parent.Client, "/api/cdn/devices/orchestration", """{"deviceIds":["child-1","child-2","child-3"],"decision":"accept"}""");
            Assert.Equal(200, approved.Status);
            Assert.All(approved.Body!.AsArray(), d => Assert.Equal("orchestrated", d!["mode"]!.GetValue<string>()));
            foreach (var child in children[..3])
            {
                // Accepted: it records who orchestrates it and adopts the parent's platform.
                await Parent.ParentKit.EventuallyAsync(async () =>
                {
                    var enrollment = await ObjectAsync(child.Client, "/api/v2/device/enrollment");
                    return enrollment["orchestratedBy"]?.GetValue<string>() == "parent-1" && enrollment["orchestratorId"]?.GetValue<string>() == "parent-1"
                        && enrollment["platform"]!.GetValue<string>() == SitePlatform && enrollment["platformId"]!.GetValue<string>() == "SITE-1";
                }, "an approved child adopts the parent's platform", TimeSpan.FromSeconds(30));
            }

            foreach (var child in children[3..])
            {
                var enrollment = await ObjectAsync(child.Client, "/api/v2/device/enrollment");
                Assert.Null(enrollment["orchestratedBy"]);
                Assert.StartsWith("own-", enrollment["platform"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.True(enrollment["reactiveMode"]!.GetValue<bool>());
            }

            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: three approved");

            // One call pushes the release to all five.
            var push = await PostAsync(parent.Client, "/api/cdn/devices/action", $$"""{"action":"Push","catalogId":"{{App}}","deviceIds":{{new JsonArray([.. ids.Select(i => (JsonNode?)i)]).ToJsonString()}}}""");
            Assert.Equal(202, push.Status);
            var pushCommands = push.Body!["commands"]!.AsArray().Select(c => c!["commandId"]!.GetValue<string>()).ToList();
            Assert.Equal(5, pushCommands.Count);

            // While it runs, the parent's views show each child's progress, speed and ETA.
            var seenMoving = new Dictionary<string, (double Progress, double? Speed)>();
            var seenInFleetView = new HashSet<string>();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(240);
            while (true)
            {
                var view = await ArrayAsync(parent.Client, $"/api/cdn/device/releases/{Uri.EscapeDataString(App)}");
                foreach (var entry in view.Select(e => e!.AsObject()).Where(e => !e["isSelf"]!.GetValue<bool>()))
                {
                    var data = entry["data"]!;
                    if (data["state"]!.GetValue<string>() == "delivery" && data["progress"]?.GetValue<double>() is > 0 and < 100 and var progress)
                    {
                        seenMoving[entry["deviceId"]!.GetValue<string>()] = (progress, entry["speed"]?.GetValue<double>());
                    }
                }

                foreach (var device in (await ArrayAsync(parent.Client, "/api/cdn/fleet")).Select(d => d!.AsObject()))
                {
                    if (device["transfers"]!.AsArray().Any(t => t!["catalogId"]!.GetValue<string>() == App && t["progress"]?.GetValue<double>() is > 0 and < 100))
                    {
                        seenInFleetView.Add(device["deviceId"]!.GetValue<string>());
                    }
                }

                if (view.Count(e => !e!["isSelf"]!.GetValue<bool>() && e["data"]!["state"]!.GetValue<string>() == "installed") == 5)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"not installed everywhere: {view.ToJsonString()}");
                await Task.Delay(200);
            }

            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: installed on all five; seen moving: {string.Join(", ", seenMoving.Select(s => $"{s.Key} {s.Value.Progress:0.#}% {s.Value.Speed:0} B/s"))}");
            Assert.Equal(ids, seenMoving.Keys.Order());
            Assert.All(seenMoving.Values, s => Assert.True(s.Speed > 0, "a running download shows its speed"));
            Assert.NotEmpty(seenInFleetView);
            foreach (var child in children)
            {
                Assert.Equal(ReleaseState.Installed, (await WaitForReleaseAsync(child, App, s => s.State == ReleaseState.Installed, TimeSpan.FromSeconds(30))).State);
            }

            foreach (var commandId in pushCommands)
            {
                var command = await WaitForCommandAsync(parent.Client, commandId, ["done"], TimeSpan.FromSeconds(30));
                Assert.Equal(1, command["sends"]!.GetValue<int>());
            }

            // The artifact crossed the uplink once: the parent fetched it for the site.
            Assert.Single(Parent.ParentKit.FileRequests(server, App), r => r.Path.EndsWith("payload.bin", StringComparison.Ordinal));

            // A command the child's lifecycle refuses: the refusal, with the lifecycle's own message, is visible on the parent.
            var delete = await PostAsync(parent.Client, "/api/cdn/devices/action", $$"""{"action":"DeliveryDelete","catalogId":"{{App}}","deviceIds":["child-4"]}""");
            Assert.Equal(202, delete.Status);
            var refused = await WaitForCommandAsync(parent.Client, delete.Body!["commands"]![0]!["commandId"]!.GetValue<string>(), ["refused"], TimeSpan.FromSeconds(30));
            using var direct = await children[3].Client.DeleteAsync($"/api/v2/delivery/{Uri.EscapeDataString(App)}");
            var own = JsonNode.Parse(await direct.Content.ReadAsStringAsync())!;
            Assert.Equal(409, (int)direct.StatusCode);
            Assert.Equal(own["message"]!.GetValue<string>(), refused["message"]!.GetValue<string>());
            Assert.Contains("delivery delete is not allowed while the release is in installed", refused["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(ReleaseState.Installed, (await WaitForReleaseAsync(children[3], App, _ => true, TimeSpan.FromSeconds(5))).State);
            output.WriteLine($"refused on the parent: {refused["message"]}");
        }
        finally
        {
            await Task.WhenAll(children.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task AKilledChild_IsOfflineWithin3Seconds_ADeliveryStartGivenMeanwhileSurvivesAParentRestart_AndRunsOnceWhenTheChildReturns()
    {
        const string Release = "9.queued-app@1.0.0";
        await using var server = await GetAppServerDouble.StartAsync(secret: Secret);
        server.AddRelease(Release, files: Installable(300_000), executable: "install.sh");
        using var dirs = new TempDirectory("getapp-fleet");
        var parent = await StartParentAsync(dirs.Combine("parent"), server.BaseUrl);
        var parentUrl = Url(parent);
        AgentProcess? child = null;
        try
        {
            child = await StartChildAsync(dirs.Combine("child"), parentUrl, "child-r", orchestrateMe: false, reactiveMode: true);
            await Parent.ParentKit.EventuallyAsync(async () => (await DevicesAsync(parent.Client)).GetValueOrDefault("child-r")?["online"]!.GetValue<bool>() == true,
                "the child online", TimeSpan.FromSeconds(60));
            await Parent.ParentKit.EventuallyAsync(async () => (await child.Client.GetStringAsync("/api/v2/device/offering")).Contains(Release, StringComparison.Ordinal),
                "the release offered to the child", TimeSpan.FromSeconds(60));

            await child.KillAsync();
            var killed = Stopwatch.StartNew();
            await Parent.ParentKit.EventuallyAsync(async () => (await DevicesAsync(parent.Client, "filter=all&connectivity=offline")).ContainsKey("child-r"),
                "the killed child offline", TimeSpan.FromSeconds(10));
            var noticed = killed.Elapsed;
            output.WriteLine($"offline on the parent {noticed.TotalMilliseconds:0} ms after the kill");
            Assert.True(noticed <= TimeSpan.FromSeconds(3), $"the parent took {noticed.TotalSeconds:0.0} s to see the child offline");

            var start = await PostAsync(parent.Client, "/api/cdn/devices/action", $$"""{"action":"DeliveryStart","catalogId":"{{Release}}","deviceIds":["child-r"]}""");
            Assert.Equal(202, start.Status);
            var commandId = start.Body!["commands"]![0]!["commandId"]!.GetValue<string>();
            Assert.Equal("pending", start.Body["commands"]![0]!["status"]!.GetValue<string>());

            // The parent dies and comes back: the command is still there, waiting.
            await parent.KillAsync();
            await parent.DisposeAsync();
            parent = await StartParentAsync(dirs.Combine("parent"), server.BaseUrl, url: parentUrl);
            var waiting = await ArrayAsync(parent.Client, "/api/cdn/devices/commands?device_id=child-r&status=pending");
            Assert.Equal(commandId, Assert.Single(waiting)!["commandId"]!.GetValue<string>());
            Assert.Equal(1, (await DevicesAsync(parent.Client))["child-r"]["pendingCommands"]!.GetValue<int>());

            // The child comes back: the command runs, once.
            await child.DisposeAsync();
            child = await StartChildAsync(dirs.Combine("child"), parentUrl, "child-r", orchestrateMe: false, reactiveMode: true);
            var done = await WaitForCommandAsync(parent.Client, commandId, ["done", "failed", "refused"], TimeSpan.FromSeconds(90), () => child.Output);
            Assert.Equal("done", done["status"]!.GetValue<string>());
            Assert.Equal(1, done["sends"]!.GetValue<int>());
            Assert.Equal(ReleaseState.Downloaded, (await WaitForReleaseAsync(child, Release, s => s.State == ReleaseState.Downloaded, TimeSpan.FromSeconds(10))).State);

            var managed = await ObjectAsync(child.Client, "/api/v2/agent/managed");
            var ran = Assert.Single(managed["commands"]!.AsArray(), c => c!["commandId"]!.GetValue<string>() == commandId)!;
            Assert.Equal("done", ran["status"]!.GetValue<string>());
            await server.WaitForAsync(s => Statuses(ForDevice(s.DeliveryReports, "child-r"), Release, "deliveryStatus").Contains("Done"), "the child's delivery reports", TimeSpan.FromSeconds(60));
            Assert.Equal(1, Statuses(ForDevice(server.DeliveryReports, "child-r"), Release, "deliveryStatus").Count(s => s == "Start"));
            Assert.Equal(0, (await DevicesAsync(parent.Client))["child-r"]["pendingCommands"]!.GetValue<int>());
        }
        finally
        {
            if (child is not null)
            {
                await child.DisposeAsync();
            }

            await parent.DisposeAsync();
        }
    }
}
