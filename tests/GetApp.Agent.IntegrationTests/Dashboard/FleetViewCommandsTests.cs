using System.Text.Json.Nodes;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Fleet;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static GetApp.Agent.IntegrationTests.Fleet.FleetKit;
using static GetApp.Agent.IntegrationTests.Parent.ParentKit;
using static Microsoft.Playwright.Assertions;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>
/// The Fleet view with what children send and what the agent refuses: a child's own strings are shown as text, never
/// run as HTML; a command for a device offline waits (and can be cancelled); the agent's AppError is shown as it wrote
/// it; a push shows every child's progress, speed and time left as it runs.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class FleetViewCommandsTests(DashboardBrowser browser)
{
    private const string Hostile = "<img src=x onerror=\"window.__pwned=1\">";
    private const string HostileId = "<img src=y onerror=window.__pwned=2>";

    [BrowserFact]
    public async Task AChildsOwnStrings_NameMetadataTypesAndMessages_RenderAsText_NeverAsHtml()
    {
        await using var parent = await StartDetachedParentAsync();
        await RegisterAsync(parent.Client, "evil-1", new JsonObject
        {
            ["deviceId"] = "evil-1",
            ["orchestrateMe"] = false,
            ["reactiveMode"] = true,
            ["deviceType"] = new JsonArray("<b>bold</b>", "<script>window.__pwned=3</script>"),
            ["platform"] = "<svg onload=window.__pwned=4>",
            ["deviceData"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = Hostile, ["location"] = "<iframe src=javascript:window.__pwned=5>" } },
        });
        await RegisterAsync(parent.Client, HostileId, new JsonObject { ["deviceId"] = HostileId, ["orchestrateMe"] = true, ["reactiveMode"] = false });
        // The child is offline: the command waits; then the child reports a refusal whose message is markup.
        var queued = await PostAsync(parent.Client, "/api/cdn/devices/action", """{"action":"Discovery","deviceIds":["evil-1"]}""");
        Assert.Equal(202, queued.Status);
        var commandId = queued.Body!["commands"]![0]!["commandId"]!.GetValue<string>();
        var message = "<img src=z onerror=\"window.__pwned=6\">\n<b>second line</b>";
        var reported = await PostAsync(parent.Client, "/api/cdn/devices/commands/result",
            new JsonObject { ["deviceId"] = "evil-1", ["commandId"] = commandId, ["status"] = "refused", ["message"] = message }.ToJsonString());
        Assert.Equal(200, reported.Status);

        await using var page = await browser.OpenAsync(parent.BaseAddress);
        // Records whether the page ever claimed "no children" (no page has followed the fleet stream yet: the children
        // come just after the stream's first snapshot, which must not be taken for an empty fleet).
        await page.Page.AddInitScriptAsync("""
            window.__sawNoChildren = false;
            new MutationObserver(() => {
              const none = document.querySelector('.no-children');
              if (none && !none.hidden) window.__sawNoChildren = true;
            }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['hidden'] });
            """);
        await page.GotoAsync("fleet");
        await Expect(page.Page.Locator("main article.child")).ToHaveCountAsync(2);
        Assert.False(await page.Page.EvaluateAsync<bool>("() => window.__sawNoChildren"), "the page said there were no children");

        var titles = await page.Page.Locator("main article.child h3").AllTextContentsAsync();
        Assert.Equal(new[] { HostileId, Hostile }.Order(StringComparer.Ordinal), titles.Order(StringComparer.Ordinal));
        await Expect(page.Child("evil-1").Locator(".child-title .meta").First).ToContainTextAsync("<b>bold</b>, <script>window.__pwned=3</script>");
        await Expect(page.Child("evil-1").Locator(".child-title .meta").First).ToContainTextAsync("platform <svg onload=window.__pwned=4>");
        await Expect(page.Child("evil-1").Locator(".child-title .meta").First).ToContainTextAsync("<iframe src=javascript:window.__pwned=5>");
        var shown = page.ChildCommand("evil-1", "Discovery");
        await Expect(shown.Locator("[data-field=status]")).ToHaveTextAsync("refused");
        Assert.Equal(message, await shown.Locator("[data-field=message]").TextContentAsync());
        Assert.Equal(Hostile, await page.Page.GetByLabel($"Select {Hostile}").EvaluateAsync<string>("e => e.getAttribute('aria-label').slice(7)"));

        // Nothing the children wrote became an element or ran.
        Assert.Equal(0, await page.Page.Locator("main img, main script, main svg, main iframe, main b").CountAsync());
        Assert.Null(await page.Page.EvaluateAsync<int?>("() => window.__pwned ?? null"));
        await page.ScreenshotAsync("fleet-hostile");
        page.AssertNoScriptErrors();
    }

    [BrowserFact]
    public async Task ACommandForADeviceOffline_WaitsAndCanBeCancelled_AndTheAgentsRefusalIsShownInItsOwnWords()
    {
        await using var parent = await TestAgent.StartAsync(configureServices: services =>
        {
            services.AddSingleton(new DeviceSeed { DeviceId = "parent-1", DeviceTypes = ["agent_linux"], MachineIdPath = "/nonexistent" });
            services.AddSingleton(new FleetOptions { MaxPendingPerDevice = 1 });
        });
        await RegisterAsync(parent.Client, "sleeper", new JsonObject { ["deviceId"] = "sleeper", ["orchestrateMe"] = false, ["reactiveMode"] = true });
        await using var page = await browser.OpenAsync(parent.BaseAddress);
        await page.GotoAsync("fleet");
        await Expect(page.ChildField("sleeper", "online")).ToHaveTextAsync("offline");
        var discover = page.Child("sleeper").Locator(".actions button[data-action=Discovery]");

        await discover.ClickAsync();

        await Expect(page.Page.Locator("#toasts")).ToContainTextAsync("1 device offline: it waits for it until");
        var waiting = page.ChildCommand("sleeper", "Discovery");
        await Expect(waiting.Locator("[data-field=status]")).ToHaveTextAsync("pending");
        await Expect(waiting).ToContainTextAsync("waits for the device until");
        await Expect(page.ChildField("sleeper", "lastSeen")).ToContainTextAsync("1 command waiting");

        // One more is beyond what this agent queues for a device: its AppError is shown as it wrote it, and nothing is queued.
        await discover.ClickAsync();
        var error = page.Page.Locator("#toasts .toast-error");
        await Expect(error).ToContainTextAsync("Discover: device(s) 'sleeper' already have 1 commands waiting: cancel some, or let them expire");
        Assert.Single(await ArrayAsync(parent.Client, "/api/cdn/devices/commands?device_id=sleeper"));

        await waiting.GetByRole(AriaRole.Button, new() { Name = "Cancel Discovery before it is sent" }).ClickAsync();

        await Expect(waiting.Locator("[data-field=status]")).ToHaveTextAsync("cancelled");
        await Expect(waiting.Locator("[data-field=message]")).ToHaveTextAsync("cancelled by the operator before it was sent");
        Assert.Equal("cancelled", Assert.Single(await ArrayAsync(parent.Client, "/api/cdn/devices/commands?device_id=sleeper"))!["status"]!.GetValue<string>());
        page.AssertNoScriptErrors();
    }

    [BrowserFact]
    public async Task APushFromThePage_ToEveryChild_ShowsEachOnesProgressSpeedAndTimeLeft_Live_UntilInstalled()
    {
        const string App = "7.fleet-app@2.0.0";
        await using var server = await GetAppServerDouble.StartAsync(secret: Secret);
        server.AddRelease(App, files: Parent.ChildReportsTests.Installable(8_000_000), executable: "install.sh", metadata: new JsonObject { ["autoDeploy"] = true })
            .OfferOnlyTo(App, "parent-1");
        await using var parent = await StartParentAsync(server);
        // Children reach the parent through a throttled relay, so that each download lasts long enough to be watched.
        await using var relay = new TcpRelay(parent.BaseAddress.Port) { ThrottleBytesPerSecond = 1_500_000 };
        await using var north = await StartChildInProcessAsync(relay.BaseUrl, "tablet-north", reactiveMode: true);
        await using var south = await StartChildInProcessAsync(relay.BaseUrl, "tablet-south", reactiveMode: true);
        await using var page = await browser.OpenAsync(parent.BaseAddress);
        await page.GotoAsync("fleet");
        await Expect(page.ChildField("tablet-north", "online")).ToHaveTextAsync("online", new() { Timeout = 30_000 });
        await Expect(page.ChildField("tablet-south", "online")).ToHaveTextAsync("online", new() { Timeout = 30_000 });

        await page.Page.GetByLabel("Select all shown").CheckAsync();
        await page.Page.GetByLabel("Release", new() { Exact = true }).SelectOptionAsync(App);
        await page.FleetButton("Push").ClickAsync();

        foreach (var id in new[] { "tablet-north", "tablet-south" })
        {
            var release = page.Child(id).Locator($"li.fleet-release[data-release-id=\"{App}\"]");
            await page.Page.WaitForFunctionAsync(
                "([id, app]) => { const p = document.querySelector(`main article[data-device-id=\"${id}\"] li[data-release-id=\"${app}\"] progress`); return p && p.checkVisibility() && p.value > 0 && p.value < 100; }",
                new object[] { id, App }, new PageWaitForFunctionOptions { Timeout = 60_000 });
            await Expect(release.Locator("[data-field=speed]")).ToContainTextAsync("/s", new() { Timeout = 15_000 });
            await Expect(release.Locator("[data-field=eta]")).ToContainTextAsync("left");
            await Expect(release.Locator("[data-field=state]")).ToHaveTextAsync("delivery");
        }

        // A bar painted again with a later value, without a reload (the screenshot goes into the docs). Not every bar: a
        // child whose download ended while the others were checked keeps its last value until it installs; and on a slow
        // machine both may be done by now (each was already seen moving on the page loaded before the push).
        await page.Page.WaitForFunctionAsync(
            "() => { const bars = [...document.querySelectorAll('main li.fleet-release progress')].filter(p => p.checkVisibility() && p.value < 100); return bars.length === 0 || bars.map(p => (p.dataset.seen ??= p.value) != p.value).some(Boolean); }",
            null, new PageWaitForFunctionOptions { Timeout = 30_000, PollingInterval = 200 });
        await page.ScreenshotAsync("dashboard-fleet", fullPage: false);
        await page.Page.SetViewportSizeAsync(390, 844);
        var overflow = await page.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"the Fleet view is {overflow}px wider than a phone");
        await page.ScreenshotAsync("fleet-phone");
        await page.Page.SetViewportSizeAsync(1280, 860);
        foreach (var (id, child) in new[] { ("tablet-north", north), ("tablet-south", south) })
        {
            await child.WaitForAsync(App, r => r.State == ReleaseState.Installed, TimeSpan.FromSeconds(120));
            await Expect(page.Child(id).Locator($"li.fleet-release[data-release-id=\"{App}\"] [data-field=state]")).ToHaveTextAsync("installed", new() { Timeout = 30_000 });
            await Expect(page.ChildCommand(id, "Push").Locator("[data-field=status]")).ToHaveTextAsync("done", new() { Timeout = 30_000 });
        }

        page.AssertNoScriptErrors();
    }

    private static async Task RegisterAsync(HttpClient parent, string deviceId, JsonObject body)
    {
        var (status, answer) = await PostAsync(parent, "/api/cdn/devices/register", body.ToJsonString());
        Assert.True(status == 200, $"{deviceId}: {status} {answer?.ToJsonString()}");
    }
}
