using GetApp.Agent.IntegrationTests.Delivery;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>The page's live connection: it comes back by itself after the agent restarts, and it asks for the secret once.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class ConnectionTests(DashboardBrowser browser)
{
    private const string Id = "5.app@1.0.0";
    private const string Other = "6.tools@2.0.0";

    [BrowserFact]
    public async Task AgentRestarts_ThePageReconnectsByItself_WithLastEventId_AndFollowsTheNewRun()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        s.Catalog.AddRaw(CatalogEntries.Http(Id, s.Origin.AddFile("app.bin", 50_000, seed: 5)));
        s.Catalog.AddRaw(CatalogEntries.Http(Other, s.Origin.AddFile("tools.bin", 50_000, seed: 6)));
        await s.StartAgentAsync();
        await s.ControlOkAsync("start", Id);
        await s.WaitDownloadedAsync(Id);
        await using var page = await browser.OpenAsync(s.Agent.BaseAddress);
        await page.GotoAsync("releases");
        await page.WaitLiveAsync();
        await Expect(page.StateOf(Id)).ToHaveTextAsync("downloaded");
        // Marks this document, and records every state of the connection indicator from now on.
        await page.Page.EvaluateAsync("""
            () => {
              window.sameDocument = true;
              window.connectionStates = [];
              new MutationObserver(() => window.connectionStates.push(document.getElementById('connection').dataset.state))
                .observe(document.getElementById('connection'), { attributes: true, attributeFilter: ['data-state'] });
            }
            """);
        var streamsBefore = page.Requests.Count(IsStream);

        await s.RestartAgentAsync(); // same data dir, same port

        await page.WaitLiveAsync();
        await page.Page.WaitForFunctionAsync("() => window.connectionStates.includes('reconnecting') && window.connectionStates.at(-1) === 'live'");
        Assert.True(await page.Page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
        var reconnect = page.Requests.Where(IsStream).Skip(streamsBefore).Last();
        Assert.False(string.IsNullOrEmpty(await reconnect.HeaderValueAsync("last-event-id")), "the page reconnected without Last-Event-ID");

        // What the new run does shows up live.
        await s.ControlOkAsync("start", Other);
        await Expect(page.StateOf(Other)).ToHaveTextAsync("downloaded");
        await Expect(page.StateOf(Id)).ToHaveTextAsync("downloaded");
        await Expect(page.Page.Locator("#banner")).ToBeHiddenAsync();
        page.AssertNoScriptErrors();
    }

    [BrowserFact]
    public async Task AgentStopped_ThePageSaysSo_AndShowsTheLastKnownState()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        s.Catalog.AddRaw(CatalogEntries.Http(Id, s.Origin.AddFile("app.bin", 50_000, seed: 5)));
        await s.StartAgentAsync();
        await using var page = await browser.OpenAsync(s.Agent.BaseAddress);
        await page.GotoAsync("offering");
        await page.WaitLiveAsync();
        await Expect(page.StateOf(Id)).ToHaveTextAsync("offered");

        await s.Agent.App.StopAsync();

        await Expect(page.Connection).ToHaveAttributeAsync("data-state", "reconnecting");
        await Expect(page.Connection).ToHaveTextAsync("Reconnecting…");
        await Expect(page.Page.Locator("#banner")).ToContainTextAsync("connection to the agent was lost");
        await Expect(page.StateOf(Id)).ToHaveTextAsync("offered");
        page.AssertNoScriptErrors();
    }

    [BrowserFact]
    public async Task DeviceAuthRequired_ThePageAsksOnce_SendsTheSecretOnlyInTheHeader_NeverInAUrl()
    {
        const string Secret = "Zq7-dashboard-secret";
        using var catalog = new TestCatalog();
        catalog.Add(Id, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[1000] }).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path, configure: o => o with { Urls = ["http://0.0.0.0:0"], DeviceSecret = Secret });
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);
        await using var page = await browser.OpenAsync(agent.BaseAddress);
        await page.Page.GotoAsync(agent.BaseAddress.ToString());
        var dialog = page.Page.GetByRole(AriaRole.Dialog, new() { Name = "Device secret" });

        await Expect(dialog).ToBeVisibleAsync();
        await Expect(page.Connection).ToHaveAttributeAsync("data-state", "auth");
        await page.ScreenshotAsync("device-secret-prompt", fullPage: false);

        // A wrong secret: asked again, saying so.
        await dialog.GetByLabel("Secret").FillAsync("not-the-secret");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();
        await Expect(dialog.Locator("#auth-error")).ToContainTextAsync("did not accept");
        await dialog.GetByLabel("Secret").FillAsync(Secret);
        var beforeSecret = page.Requests.Count;
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();

        await Expect(dialog).ToBeHiddenAsync();
        await page.WaitLiveAsync();
        await Expect(page.Page.Locator("main [data-field=deviceId]")).Not.ToHaveTextAsync("–");
        await page.NavigateAsync("App offering");
        await page.Action(Id, "deliver").ClickAsync();
        await page.NavigateAsync("Releases");
        await Expect(page.StateOf(Id)).ToHaveTextAsync("downloaded");

        // Once per tab: a reload does not ask again.
        await page.Page.ReloadAsync();
        await page.WaitLiveAsync();
        await Expect(dialog).ToBeHiddenAsync();

        var requests = page.Requests;
        Assert.Contains(requests, r => r.Url.Contains("/api/v2/events", StringComparison.Ordinal));
        Assert.All(requests, r => Assert.DoesNotContain(Secret, r.Url, StringComparison.Ordinal));
        Assert.All(requests, r => Assert.DoesNotContain("not-the-secret", r.Url, StringComparison.Ordinal));
        Assert.All(requests, r => Assert.DoesNotContain("lastEventId", r.Url, StringComparison.Ordinal));
        // Every call from then on carries it, in the header (the agent answering them all is the proof it got them).
        var calls = requests.Skip(beforeSecret).Where(r => r.Url.Contains("/api/", StringComparison.Ordinal)).ToList();
        Assert.Contains(calls, r => r.Method == "POST");
        Assert.True(calls.Count(IsStream) >= 2, "the stream was not opened again after the reload");
        foreach (var request in calls)
        {
            Assert.True(request.Headers.TryGetValue("device-auth", out var sent) && sent == Secret, $"{request.Method} {request.Url} went without the secret");
        }

        Assert.All(page.ConsoleMessages, m => Assert.DoesNotContain(Secret, m, StringComparison.Ordinal));
        Assert.DoesNotContain(Secret, page.Page.Url, StringComparison.Ordinal);
        Assert.Equal(Secret, await page.Page.EvaluateAsync<string>("() => sessionStorage.getItem('getapp-agent.device-secret')"));
        Assert.Null(await page.Page.EvaluateAsync<string?>("() => localStorage.length ? 'something' : null"));

        // Another tab (a new session) is asked again.
        await using var other = await browser.OpenAsync(agent.BaseAddress);
        await other.Page.GotoAsync(agent.BaseAddress.ToString());
        await Expect(other.Page.GetByRole(AriaRole.Dialog, new() { Name = "Device secret" })).ToBeVisibleAsync();
        page.AssertNoScriptErrors();
        other.AssertNoScriptErrors();
    }

    private static bool IsStream(IRequest request) => request.Url.Contains("/api/v2/events", StringComparison.Ordinal);
}
