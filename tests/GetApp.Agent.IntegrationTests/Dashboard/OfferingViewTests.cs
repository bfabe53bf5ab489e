using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Delivery;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>App offering: what is offered or pushed, with its dependencies, and a Deliver button that starts it.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class OfferingViewTests(DashboardBrowser browser)
{
    private const string Maps = "21.maps@3.2.0";
    private const string Fonts = "9.fonts@1.0.0";

    [BrowserFact]
    public async Task Deliver_OnAnOfferedRelease_ProgressBarMovesWithSpeedAndEta_EndsDownloaded()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var maps = s.Origin.AddFile("maps.bin", 6_000_000, seed: 3);
        maps.Faults.ThrottleBytesPerSecond = 1_000_000; // a loopback origin slow enough to watch
        var fonts = s.Origin.AddFile("fonts.bin", 20_000, seed: 4);
        s.Catalog.AddRaw(CatalogEntries.Http(Maps, maps));
        s.Catalog.AddRaw(CatalogEntries.Http(Fonts, fonts, dependedOnBy: [Maps]));
        await s.StartAgentAsync();
        await using var page = await browser.OpenAsync(s.Agent.BaseAddress);
        await page.GotoAsync("offering");

        // Offered, with its dependency (and where that stands), and only Deliver to do.
        await Expect(page.StateOf(Maps)).ToHaveTextAsync("offered");
        await Expect(page.Release(Maps).Locator($"[data-dependency=\"{Fonts}\"]")).ToContainTextAsync("offering");
        Assert.Equal(["deliver"], await page.VisibleActionsAsync(Maps));
        await page.ScreenshotAsync("offering-before-deliver");

        await page.Action(Maps, "deliver").ClickAsync();

        // It leaves the offering (the offering stream) and shows up in Releases, delivering.
        await Expect(page.Release(Maps)).ToHaveCountAsync(0);
        await page.NavigateAsync("Releases");
        await Expect(page.StateOf(Maps)).ToHaveTextAsync("delivery");
        var first = await ReleasesViewTests.WaitProgressAboveAsync(page, Maps, 0);
        var later = await ReleasesViewTests.WaitProgressAboveAsync(page, Maps, first);
        Assert.True(later > first);
        await Expect(page.Release(Maps).Locator("[data-field=speed]")).ToContainTextAsync("/s");
        await Expect(page.Release(Maps).Locator("[data-field=eta]")).ToContainTextAsync("left");
        await page.ScreenshotAsync("releases-delivering");

        await Expect(page.StateOf(Maps)).ToHaveTextAsync("downloaded", new() { Timeout = 60_000 });
        await Expect(page.ProgressOf(Maps)).ToBeHiddenAsync();
        await Expect(page.StateOf(Fonts)).ToHaveTextAsync("downloaded");
        Assert.Equal(ReleaseState.Downloaded, (await s.Agent.WaitForAsync(Maps, r => r.State == ReleaseState.Downloaded)).State);
        page.AssertNoScriptErrors();
    }
}
