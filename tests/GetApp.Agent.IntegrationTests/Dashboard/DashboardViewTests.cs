using GetApp.Agent.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>The Dashboard view: the device, its upstream and the upstream's last error, storage, notifications, all live.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class DashboardViewTests(DashboardBrowser browser)
{
    [BrowserFact]
    public async Task UpstreamGoesDown_TheDashboardShowsItLive_WithTheLastErrorAndANotification()
    {
        await using var server = await GetAppServerDouble.StartAsync("s3cret");
        server.AddRelease("7.demo-app@1.0.0", files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[100] });
        await using var agent = await server.StartAgentAsync(deviceId: "dev-dash-1");
        await server.WaitForAsync(d => d.Discoveries.Count > 0, "a discovery");
        await using var page = await browser.OpenAsync(agent.BaseAddress);
        await page.GotoAsync();
        var facts = page.Page.Locator("main");

        await Expect(facts.Locator("[data-field=deviceId]")).ToHaveTextAsync("dev-dash-1");
        await Expect(facts.Locator("[data-field=deviceType]")).ToHaveTextAsync("agent_linux, zone-a");
        await Expect(facts.Locator("[data-field=platform]")).ToHaveTextAsync("field-unit");
        await Expect(facts.Locator("[data-field=upstreamState]")).ToHaveTextAsync("reachable");
        await Expect(facts.Locator("[data-field=activeUrl]")).ToHaveTextAsync(server.BaseUrl);
        await Expect(facts.Locator("[data-field=freeBytes]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+(\.\d+)? (B|KB|MB|GB|TB)$"));
        await Expect(facts.Locator("[data-field=upstreamError]")).ToBeHiddenAsync();
        await Expect(page.Page.GetByText("Nothing to report.")).ToBeVisibleAsync();

        await server.GoDownAsync();
        await agent.Client.PostAsync("/api/v2/triggers/discover-component", null);

        // No reload: the agent stream brings the new upstream state, the notifications stream the warning.
        await Expect(facts.Locator("[data-field=upstreamState]")).ToHaveTextAsync("unreachable");
        await Expect(facts.Locator("[data-field=upstreamError]")).ToContainTextAsync("cannot reach the server");
        var notification = page.Page.Locator("main .notification[data-kind=upstreamUnreachable]");
        await Expect(notification).ToBeVisibleAsync();
        await Expect(notification.Locator(".severity")).ToHaveTextAsync("warning");
        await page.ScreenshotAsync("dashboard-upstream-down");

        await server.ComeBackAsync();
        await agent.Client.PostAsync("/api/v2/triggers/discover-component", null);

        await Expect(facts.Locator("[data-field=upstreamState]")).ToHaveTextAsync("reachable");
        await Expect(page.Page.Locator("main .notification[data-kind=upstreamBack]")).ToBeVisibleAsync();
        // Newest first.
        await Expect(page.Page.Locator("main .notification").First).ToHaveAttributeAsync("data-kind", "upstreamBack");
        page.AssertNoScriptErrors();
    }
}
