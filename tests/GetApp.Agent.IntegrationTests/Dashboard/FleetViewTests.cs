using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Playwright;
using static GetApp.Agent.IntegrationTests.Fleet.FleetKit;
using static GetApp.Agent.IntegrationTests.Parent.ParentKit;
using static Microsoft.Playwright.Assertions;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>
/// The Fleet view (docs/dashboard.md, docs/fleet.md): a parent's children live, with real child agents on loopback
/// talking to the parent over HTTP as in the field; decisions and commands given from the page reach the parent and the
/// children, and what the children answer comes back to the page.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class FleetViewTests(DashboardBrowser browser)
{
    private const string DemoApp = "7.demo-app@1.0.0";

    [BrowserFact]
    public async Task EveryChild_IsListedWithItsOnlineStateAndMode_AndApprovingAPendingRequestFromThePage_ChangesItOnTheParent()
    {
        await using var parent = await StartDetachedParentAsync();
        await using var asking = await StartChildInProcessAsync(parent.BaseAddress.ToString(), "kiosk-asking", orchestrateMe: true);
        await using var reactive = await StartChildInProcessAsync(parent.BaseAddress.ToString(), "kiosk-reactive", reactiveMode: true);
        await using var page = await browser.OpenAsync(parent.BaseAddress);
        await page.GotoAsync("fleet");

        await Expect(page.ChildField("kiosk-asking", "online")).ToHaveTextAsync("online", new() { Timeout = 30_000 });
        await Expect(page.ChildField("kiosk-asking", "mode")).ToHaveTextAsync("not managed");
        await Expect(page.ChildField("kiosk-asking", "orchestration")).ToHaveTextAsync("awaiting approval");
        await Expect(page.ChildField("kiosk-reactive", "online")).ToHaveTextAsync("online", new() { Timeout = 30_000 });
        await Expect(page.ChildField("kiosk-reactive", "mode")).ToHaveTextAsync("reactive");
        await Expect(page.ChildField("kiosk-reactive", "orchestration")).ToBeHiddenAsync();
        await Expect(page.ChildField("kiosk-reactive", "lastSeen")).ToContainTextAsync("last seen");
        await Expect(page.Page.Locator("main [data-field=summary]")).ToContainTextAsync("2 children · 2 online · 1 awaiting approval");
        // The navigation says a decision is waiting.
        await Expect(page.Page.Locator("nav a[data-view=fleet] .badge")).ToHaveTextAsync("1");
        // Only a child that asked can be approved; only a managed one takes commands.
        await Expect(page.Child("kiosk-reactive").Locator("button[data-action=approve]")).ToBeHiddenAsync();
        await Expect(page.Child("kiosk-asking").Locator("button[data-action=Discovery]")).ToBeHiddenAsync();

        await page.Child("kiosk-asking").Locator("button[data-action=approve]").ClickAsync();

        await EventuallyAsync(async () => (await DevicesAsync(parent.Client))["kiosk-asking"] is var d
            && d["orchestration"]?.GetValue<string>() == "accepted" && d["mode"]!.GetValue<string>() == "orchestrated", "the parent accepted the child", TimeSpan.FromSeconds(15));
        await Expect(page.ChildField("kiosk-asking", "mode")).ToHaveTextAsync("orchestrated");
        await Expect(page.ChildField("kiosk-asking", "orchestration")).ToBeHiddenAsync();
        await Expect(page.Page.Locator("nav a[data-view=fleet] .badge")).ToBeHiddenAsync();
        await Expect(page.Child("kiosk-asking").Locator("button[data-action=Discovery]")).ToBeVisibleAsync();
        // The child heard it on its channel: it is orchestrated by this parent now.
        await EventuallyAsync(async () => (await ObjectAsync(asking.Client, "/api/v2/device/enrollment"))["orchestratedBy"]?.GetValue<string>() == "parent-1",
            "the child records its orchestrator", TimeSpan.FromSeconds(15));
        page.AssertNoScriptErrors();
    }

    [BrowserFact]
    public async Task ACommandForTwoSelectedDevices_ReachesBoth_WithItsOutcome_AndARefusalShowsTheLifecyclesOwnMessage()
    {
        await using var parent = await StartDetachedParentAsync(catalogDir: RepoPaths.SampleCatalog);
        await using var first = await StartChildInProcessAsync(parent.BaseAddress.ToString(), "van-1", reactiveMode: true);
        await using var second = await StartChildInProcessAsync(parent.BaseAddress.ToString(), "van-2", reactiveMode: true);
        await using var page = await browser.OpenAsync(parent.BaseAddress);
        await page.GotoAsync("fleet");
        await Expect(page.ChildField("van-1", "online")).ToHaveTextAsync("online", new() { Timeout = 30_000 });
        await Expect(page.ChildField("van-2", "online")).ToHaveTextAsync("online", new() { Timeout = 30_000 });

        await page.Page.GetByLabel("Select van-1").CheckAsync();
        await page.Page.GetByLabel("Select van-2").CheckAsync();
        await Expect(page.Page.Locator(".fleet-toolbar [data-field=selected]")).ToHaveTextAsync("2 of 2 selected");
        await page.FleetButton("Discovery").ClickAsync();

        foreach (var id in new[] { "van-1", "van-2" })
        {
            var command = page.ChildCommand(id, "Discovery");
            await Expect(command.Locator("[data-field=status]")).ToHaveTextAsync("done", new() { Timeout = 30_000 });
            await Expect(command.Locator("[data-field=message]")).ToContainTextAsync("release(s) offered");
            var onParent = Assert.Single(await ArrayAsync(parent.Client, $"/api/cdn/devices/commands?device_id={id}"))!;
            Assert.Equal(("Discovery", "done"), (onParent["action"]!.GetValue<string>(), onParent["status"]!.GetValue<string>()));
            Assert.Equal(onParent["commandId"]!.GetValue<string>(), await command.GetAttributeAsync("data-command-id"));
        }

        // The parent holds the sample's pushed app; each child takes it from the parent and installs it.
        await first.WaitForAsync(DemoApp, r => r.State == ReleaseState.Installed, TimeSpan.FromSeconds(90));
        await Expect(page.Child("van-1").Locator($"li.fleet-release[data-release-id=\"{DemoApp}\"] [data-field=state]")).ToHaveTextAsync("installed", new() { Timeout = 30_000 });

        // Deleting an installed release: van-1's lifecycle refuses it, and the page shows its own words.
        await page.Page.GetByLabel("Select van-2").UncheckAsync();
        await page.Page.GetByLabel("Release", new() { Exact = true }).SelectOptionAsync(DemoApp);
        await page.FleetButton("DeliveryDelete").ClickAsync();
        await page.Page.GetByRole(AriaRole.Dialog, new() { Name = "Delete" }).GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();

        var refusal = page.ChildCommand("van-1", "DeliveryDelete");
        await Expect(refusal.Locator("[data-field=status]")).ToHaveTextAsync("refused", new() { Timeout = 30_000 });
        using var direct = await first.Client.DeleteAsync($"/api/v2/delivery/{Uri.EscapeDataString(DemoApp)}");
        Assert.Equal(409, (int)direct.StatusCode);
        var lifecycleMessage = JsonNode.Parse(await direct.Content.ReadAsStringAsync())!["message"]!.GetValue<string>();
        Assert.Contains("not allowed while the release is in installed", lifecycleMessage, StringComparison.Ordinal);
        await Expect(refusal.Locator("[data-field=message]")).ToHaveTextAsync(lifecycleMessage);
        // Only the selected device got it.
        Assert.DoesNotContain(await ArrayAsync(parent.Client, "/api/cdn/devices/commands?device_id=van-2"), c => c!["action"]!.GetValue<string>() == "DeliveryDelete");
        await page.ScreenshotAsync("fleet-refusal");
        // Names, roles, labels and contrast with children, their releases and commands, light and dark.
        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            await page.Page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = scheme });
            await AccessibilityTests.AssertNoViolationsAsync(page.Page, $"Fleet with children ({scheme})");
        }

        page.AssertNoScriptErrors();
    }

    [BrowserFact]
    public async Task AChildGoingOffline_IsShownOfflineLive_WithoutAReload()
    {
        await using var parent = await StartDetachedParentAsync();
        TestAgent? child = await StartChildInProcessAsync(parent.BaseAddress.ToString(), "walker", reactiveMode: true);
        await using var page = await browser.OpenAsync(parent.BaseAddress);
        try
        {
            await page.GotoAsync("fleet");
            await Expect(page.ChildField("walker", "online")).ToHaveTextAsync("online", new() { Timeout = 30_000 });
            await page.Page.EvaluateAsync("() => { window.sameDocument = true; }");

            await child.DisposeAsync();
            child = null;

            await Expect(page.ChildField("walker", "online")).ToHaveTextAsync("offline", new() { Timeout = 10_000 });
            await Expect(page.Child("walker")).ToHaveAttributeAsync("data-online", "false");
            await Expect(page.ChildField("walker", "lastSeen")).ToContainTextAsync("offline since");
            await Expect(page.Page.Locator("main [data-field=summary]")).ToContainTextAsync("1 child · 0 online");
            Assert.True(await page.Page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
            Assert.False((await DevicesAsync(parent.Client))["walker"]["online"]!.GetValue<bool>());

            // Filters as the API's: offline children only, then online only.
            await page.Page.GetByLabel("Connection").SelectOptionAsync("online");
            await Expect(page.Child("walker")).ToHaveCountAsync(0);
            await Expect(page.Page.Locator("main")).ToContainTextAsync("No child matches these filters.");
            await page.Page.GetByLabel("Connection").SelectOptionAsync("offline");
            await Expect(page.Child("walker")).ToBeVisibleAsync();
            page.AssertNoScriptErrors();
        }
        finally
        {
            if (child is not null)
            {
                await child.DisposeAsync();
            }
        }
    }

    [BrowserFact]
    public async Task AnAgentWithNoChildren_SaysSoPlainly_AndHowADeviceBecomesOne()
    {
        await using var agent = await StartDetachedParentAsync();
        await using var page = await browser.OpenAsync(agent.BaseAddress);
        await page.GotoAsync("fleet");
        await page.WaitLiveAsync();

        var none = page.Page.Locator("main .no-children");
        await Expect(none).ToBeVisibleAsync();
        await Expect(none).ToContainTextAsync("No device is managed from this agent yet");
        await Expect(none).ToContainTextAsync($"--upstream {agent.BaseAddress.ToString().TrimEnd('/')}");
        await Expect(none).ToContainTextAsync("ORCHESTRATE_ME=true");
        await Expect(none).ToContainTextAsync("REACTIVE_MODE=true");
        await Expect(page.Page.Locator("main .fleet-toolbar")).ToBeHiddenAsync();
        await Expect(page.Page.Locator("main table")).ToHaveCountAsync(0);
        page.AssertNoScriptErrors();
    }
}
