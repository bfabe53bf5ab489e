using System.Net;
using System.Text;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>Settings: the live configs edited in place; what the agent refuses is shown, in its words, at the field.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class SettingsViewTests(DashboardBrowser browser)
{
    [BrowserFact]
    public async Task InvalidValue_ShowsTheAgentsMessageNextToTheField_ChangesNothing_AValidOneIsSaved()
    {
        await using var agent = await TestAgent.StartAsync();
        await using var page = await browser.OpenAsync(agent.BaseAddress);
        await page.GotoAsync("settings");
        var field = page.Setting("maxParallelDeliveries");
        var input = page.SettingInput("maxParallelDeliveries");
        await Expect(input).ToHaveValueAsync("1");
        await Expect(field).ToContainTextAsync("Range 1–16");

        await input.FillAsync("99");
        await input.PressAsync("Tab");

        var expected = await AgentAnswerAsync(agent, """{"maxParallelDeliveries": 99}""");
        await Expect(field.Locator("[data-field=error]")).ToHaveTextAsync(expected);
        await Expect(input).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Contains("between 1 and 16", expected);
        Assert.Contains("\"maxParallelDeliveries\":1", await agent.Client.GetStringAsync("/api/v2/agent/configs"));
        // Only that field says so.
        await Expect(page.Page.Locator("[data-field=error]:visible")).ToHaveCountAsync(1);
        await page.ScreenshotAsync("settings-invalid");

        await input.FillAsync("2");
        await input.PressAsync("Tab");

        await Expect(field.Locator(".saved")).ToHaveTextAsync("Saved");
        await Expect(field.Locator("[data-field=error]")).ToHaveTextAsync("");
        await Expect(input).Not.ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Contains("\"maxParallelDeliveries\":2", await agent.Client.GetStringAsync("/api/v2/agent/configs"));

        // A text field and a switch go through the same way.
        var url = page.SettingInput("matomoServerUrl");
        await url.FillAsync("ftp://stats.example");
        await url.PressAsync("Tab");
        await Expect(page.Setting("matomoServerUrl").Locator("[data-field=error]"))
            .ToHaveTextAsync(await AgentAnswerAsync(agent, """{"matomoServerUrl": "ftp://stats.example"}"""));
        await page.SettingInput("deliveryAutoTrigger").CheckAsync();
        await Expect(page.Setting("deliveryAutoTrigger").Locator(".saved")).ToHaveTextAsync("Saved");
        Assert.Contains("\"deliveryAutoTrigger\":true", await agent.Client.GetStringAsync("/api/v2/agent/configs"));

        // Default puts one setting back (DELETE /api/v2/agent/configs/{field}).
        await page.Setting("maxParallelDeliveries").GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Reset maxParallelDeliveries to its default" }).ClickAsync();
        await Expect(input).ToHaveValueAsync("1");
        Assert.Contains("\"maxParallelDeliveries\":1", await agent.Client.GetStringAsync("/api/v2/agent/configs"));
        page.AssertNoScriptErrors();
    }

    /// <summary>What the agent itself answers to this change: the message the page must show.</summary>
    private static async Task<string> AgentAnswerAsync(TestAgent agent, string json)
    {
        using var response = await agent.Client.PutAsync("/api/v2/agent/configs", new StringContent(json, Encoding.UTF8, "application/json"));
        var error = await HttpAssert.JsonAsync(response, HttpStatusCode.BadRequest);
        return error.GetProperty("message").GetString()!;
    }
}
