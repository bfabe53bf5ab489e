using System.Collections.Concurrent;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard open in a browser tab, with what a test needs to read it as a person would (by view, by release) and
/// what it must never do (<see cref="AssertNoScriptErrors"/>: an uncaught script error, which each test checks last).
/// </summary>
public sealed class DashboardPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentQueue<IRequest> _requests = new();
    private readonly ConcurrentQueue<string> _console = new();

    internal DashboardPage(IBrowserContext context, IPage page, Uri agent)
    {
        _context = context;
        Page = page;
        Agent = agent;
        page.PageError += (_, error) => _errors.Enqueue(error);
        page.Console += (_, message) =>
        {
            _console.Enqueue(message.Text);
            // The browser logs every non-2xx answer ("Failed to load resource: ... 401"): those are the page's business.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                _errors.Enqueue(message.Text);
            }
        };
        page.Request += (_, request) => _requests.Enqueue(request);
    }

    public IPage Page { get; }
    public Uri Agent { get; set; }

    /// <summary>Every request the page made, in order.</summary>
    public IReadOnlyList<IRequest> Requests => [.. _requests];

    /// <summary>Everything the page wrote to its console.</summary>
    public IReadOnlyList<string> ConsoleMessages => [.. _console];

    /// <summary>Opens the dashboard on a view (<c>dashboard</c>, <c>releases</c>, <c>offering</c>, <c>settings</c>).</summary>
    public async Task GotoAsync(string view = "dashboard")
    {
        await Page.GotoAsync(new Uri(Agent, $"/#/{view}").ToString());
        await Expect(Page.Locator("main h1")).ToBeVisibleAsync();
    }

    /// <summary>Goes to another view the way a person does: with the navigation.</summary>
    public async Task NavigateAsync(string title)
    {
        await Page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = title }).ClickAsync();
        await Expect(Page.Locator("main h1")).ToHaveTextAsync(title);
    }

    public Task WaitLiveAsync() => Expect(Connection).ToHaveAttributeAsync("data-state", "live");

    public ILocator Connection => Page.Locator("#connection");

    /// <summary>The card of a release in the current view.</summary>
    public ILocator Release(string catalogId) => Page.Locator($"main [data-release-id=\"{catalogId}\"]");

    public ILocator StateOf(string catalogId) => Release(catalogId).Locator("[data-field=state]");

    public ILocator StatusOf(string catalogId) => Release(catalogId).Locator("[data-field=status]");

    public ILocator ProgressOf(string catalogId) => Release(catalogId).Locator("progress[data-field=progress]");

    public ILocator Action(string catalogId, string action) => Release(catalogId).Locator($"button[data-action={action}]");

    /// <summary>The buttons of a release that are shown now, in order.</summary>
    public async Task<IReadOnlyList<string>> VisibleActionsAsync(string catalogId) =>
        await Release(catalogId).Locator("button[data-action]:visible").EvaluateAllAsync<string[]>("buttons => buttons.map(b => b.dataset.action)");

    /// <summary>A child's card in the Fleet view.</summary>
    public ILocator Child(string deviceId) => Page.Locator($"main article.child[data-device-id=\"{deviceId}\"]");

    /// <summary>A badge or fact of a child's card (<c>online</c>, <c>mode</c>, <c>orchestration</c>, <c>lastSeen</c>).</summary>
    public ILocator ChildField(string deviceId, string field) => Child(deviceId).Locator($".child-head [data-field={field}]");

    /// <summary>The latest command of an action on a child's card.</summary>
    public ILocator ChildCommand(string deviceId, string action) => Child(deviceId).Locator($"li.command[data-action={action}]").First;

    /// <summary>A button of the Fleet view's bar for the selected devices.</summary>
    public ILocator FleetButton(string action) => Page.Locator($".fleet-toolbar button[data-action={action}]");

    public ILocator Setting(string name) => Page.Locator($"[data-setting=\"{name}\"]");

    /// <summary>A setting's input, found by its label as a person (or a screen reader) finds it.</summary>
    public ILocator SettingInput(string name) => Setting(name).GetByLabel(name, new() { Exact = true });

    /// <summary>Writes a full-page screenshot to artifacts/screenshots/{name}.png.</summary>
    public async Task<string> ScreenshotAsync(string name, bool fullPage = true)
    {
        Directory.CreateDirectory(DashboardBrowser.ScreenshotDir);
        var path = Path.Combine(DashboardBrowser.ScreenshotDir, $"{name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage, Animations = ScreenshotAnimations.Disabled });
        return path;
    }

    /// <summary>Fails when the page threw (an uncaught error, a rejected promise, an error logged by the page).</summary>
    public void AssertNoScriptErrors() => Assert.True(_errors.IsEmpty, "the page had script errors:\n" + string.Join("\n", _errors));

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}
