using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Delivery;
using GetApp.Agent.IntegrationTests.Deploy;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>The Releases view: every release on the device, its state live, and the actions the lifecycle allows now.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class ReleasesViewTests(DashboardBrowser browser)
{
    private const string App = "7.demo-app@1.0.0";
    private const string Runtime = "12.demo-runtime@2.1.0";

    [BrowserFact]
    public async Task SampleCatalog_PushedRelease_ShowsInstalled_WithUninstallOnly()
    {
        await using var agent = await TestAgent.StartAsync(RepoPaths.SampleCatalog);
        await using var page = await browser.OpenAsync(agent.BaseAddress);
        await page.GotoAsync("releases");

        // Pushed with autoDeploy: the agent delivers and installs it (and its runtime) by itself; the page follows live.
        await Expect(page.StateOf(App)).ToHaveTextAsync("installed", new() { Timeout = 60_000 });
        await Expect(page.StateOf(Runtime)).ToHaveTextAsync("installed");
        await Expect(page.Release(App).Locator("h3")).ToHaveTextAsync("Demo app");
        await Expect(page.Release(App)).ToContainTextAsync(Runtime);

        Assert.Equal(["uninstall"], await page.VisibleActionsAsync(App));
        await Expect(page.ProgressOf(App)).ToBeHiddenAsync();
        await page.ScreenshotAsync("releases-sample");
        page.AssertNoScriptErrors();
    }

    [BrowserFact]
    public async Task PauseAndResume_FromThePage_TheAgentFollows_NoEtaWhilePaused()
    {
        const string Id = "21.maps@3.2.0";
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("maps.bin", 8_000_000, seed: 21);
        file.Faults.ThrottleBytesPerSecond = 1_000_000;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync();
        await using var page = await browser.OpenAsync(s.Agent.BaseAddress);
        await page.GotoAsync("releases");
        await page.WaitLiveAsync();
        await s.ControlOkAsync("start", Id);
        await Expect(page.StatusOf(Id)).ToHaveTextAsync("download · InProgress");
        await WaitProgressAboveAsync(page, Id, 5);

        await page.Action(Id, "pause").ClickAsync();

        await Expect(page.StatusOf(Id)).ToContainTextAsync("Pause");
        Assert.Equal("Pause", (await s.WaitForStatusAsync(Id, "Pause")).DeviceReleaseStatus);
        Assert.Equal(["resume", "cancel"], await page.VisibleActionsAsync(Id));
        await Expect(page.Release(Id).Locator("[data-field=eta]")).ToHaveTextAsync("");
        var pausedAt = await ProgressAsync(page, Id);
        Assert.InRange(pausedAt, 5, 99);

        await page.Action(Id, "resume").ClickAsync();

        await Expect(page.StatusOf(Id)).ToContainTextAsync("InProgress");
        Assert.Equal(["pause", "cancel"], await page.VisibleActionsAsync(Id));
        await WaitProgressAboveAsync(page, Id, pausedAt + 1);
        await Expect(page.StateOf(Id)).ToHaveTextAsync("downloaded", new() { Timeout = 60_000 });
        Assert.Equal(ReleaseState.Downloaded, (await s.Agent.WaitForAsync(Id, r => r.State == ReleaseState.Downloaded)).State);
        Assert.Equal(["delete", "deploy"], await page.VisibleActionsAsync(Id));
        page.AssertNoScriptErrors();
    }

    [BrowserFact]
    public async Task FailedInstall_MultiLineErrMsg_KeepsItsLines_DeployAgainOffered()
    {
        const string Id = "15.sensor-driver@1.4.2";
        using var catalog = new TestCatalog();
        catalog.Add(Id, files: DeployTestKit.Installer("echo 'checking the sensor bus'; echo 'error: /dev/i2c-1: no such device' >&2; exit 3"), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
        await agent.Client.PostAsync($"/api/v2/delivery/start/{Uri.EscapeDataString(Id)}", null);
        await agent.WaitForAsync(Id, r => r.State == ReleaseState.Downloaded);
        await using var page = await browser.OpenAsync(agent.BaseAddress);
        await page.GotoAsync("releases");

        await page.Action(Id, "deploy").ClickAsync();

        await Expect(page.StatusOf(Id)).ToHaveTextAsync("Error", new() { Timeout = 60_000 });
        var shown = page.Release(Id).Locator("[data-field=errMsg]");
        await Expect(shown).ToBeVisibleAsync();
        var errMsg = (await agent.WaitForAsync(Id, r => r.DeviceReleaseStatus == "Error")).ErrMsg!;
        Assert.Contains('\n', errMsg);
        // Shown as the agent wrote it, line by line (not run together into one line).
        Assert.Equal(errMsg, await shown.TextContentAsync());
        Assert.Equal("pre-wrap", await shown.EvaluateAsync<string>("e => getComputedStyle(e).whiteSpace"));
        var lineHeight = await shown.EvaluateAsync<double>("e => parseFloat(getComputedStyle(e).lineHeight) || 16");
        var box = await shown.BoundingBoxAsync();
        Assert.True(box!.Height >= 2 * lineHeight, $"the error takes {box.Height}px: its lines are not kept");
        Assert.Contains("no such device", await shown.InnerTextAsync());
        Assert.Equal(["deploy"], await page.VisibleActionsAsync(Id));
        await page.ScreenshotAsync("releases-failed-install");
        page.AssertNoScriptErrors();
    }

    internal static async Task<double> ProgressAsync(DashboardPage page, string id) =>
        await page.ProgressOf(id).EvaluateAsync<double>("p => p.value");

    /// <summary>Waits (on the page) until the release's progress bar shows more than <paramref name="percent"/>, below 100.</summary>
    internal static async Task<double> WaitProgressAboveAsync(DashboardPage page, string id, double percent)
    {
        await page.Page.WaitForFunctionAsync(
            "([id, above]) => { const p = document.querySelector(`main [data-release-id=\"${id}\"] progress`); return p && p.checkVisibility() && p.value > above && p.value < 100; }",
            new object[] { id, percent }, new PageWaitForFunctionOptions { Timeout = 60_000 });
        return await ProgressAsync(page, id);
    }
}
