using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>
/// Every view checked by axe-core (the rules engine behind most accessibility audits; it ships inside its NuGet
/// package and runs in the page) against WCAG 2.1 A and AA: names, roles, labels, contrast, landmarks. Also with a
/// setting refused, where the error must be tied to its field.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class AccessibilityTests(DashboardBrowser browser)
{
    private static readonly AxeRunOptions Wcag21AA = new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    };

    [BrowserFact]
    public async Task EveryView_LightAndDark_HasNoWcag21AaViolation()
    {
        await using var agent = await TestAgent.StartAsync(RepoPaths.SampleCatalog);
        await using var page = await browser.OpenAsync(agent.BaseAddress);
        await page.GotoAsync("releases");
        await Expect(page.StateOf("7.demo-app@1.0.0")).ToHaveTextAsync("installed", new() { Timeout = 60_000 });

        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            await page.Page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = scheme });
            foreach (var title in new[] { "Dashboard", "Releases", "App offering", "Fleet", "Settings" })
            {
                await page.NavigateAsync(title);
                await Expect(page.Page.Locator("main .card").First).ToBeVisibleAsync();
                await AssertNoViolationsAsync(page.Page, $"{title} ({scheme})");
            }
        }

        var input = page.SettingInput("maxParallelDeliveries");
        await input.FillAsync("0");
        await input.PressAsync("Tab");
        await Expect(input).ToHaveAttributeAsync("aria-invalid", "true");
        await AssertNoViolationsAsync(page.Page, "Settings with a refused value");
        // The message is read out with the field: it is in the field's description.
        var describedBy = (await input.GetAttributeAsync("aria-describedby"))!.Split(' ');
        var errorId = await page.Setting("maxParallelDeliveries").Locator("[data-field=error]").GetAttributeAsync("id");
        Assert.Contains(errorId, describedBy);
        page.AssertNoScriptErrors();
    }

    internal static async Task AssertNoViolationsAsync(IPage page, string where)
    {
        var result = await page.RunAxe(Wcag21AA);
        var violations = result.Violations.Select(v =>
            $"{v.Id} ({v.Impact}): {v.Help}\n    " + string.Join("\n    ", v.Nodes.Take(3).Select(n => $"{n.Target} {n.Html}")));
        Assert.True(result.Violations.Length == 0, $"{where}:\n" + string.Join("\n", violations));
    }
}
