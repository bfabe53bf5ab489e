using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>
/// Debian's Chromium, driven by Playwright for .NET (its driver and the Node.js it runs on ship inside the NuGet
/// package; nothing is downloaded). One browser for the dashboard tests, launched on first use; each test gets its own
/// context (cookies, sessionStorage), so tests never see each other's state.
/// </summary>
public sealed class DashboardBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly SemaphoreSlim _launch = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why the browser tests cannot run here, or null when they can.</summary>
    public static string? Unavailable() => File.Exists(ChromiumPath)
        ? null
        : $"Chromium is not installed ({ChromiumPath}): apt-get install -y chromium (.ci/run installs it; in CI these tests fail instead of skipping)";

    public static string ScreenshotDir { get; } = Path.Combine(RepoPaths.Root, "artifacts", "screenshots");

    /// <summary>A new page in a new context, its console and requests recorded.</summary>
    public async Task<DashboardPage> OpenAsync(Uri agent, int width = 1280, int height = 860)
    {
        var browser = await BrowserAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "en-GB",
            TimezoneId = "UTC",
            ServiceWorkers = ServiceWorkerPolicy.Block,
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        return new DashboardPage(context, page, agent);
    }

    private async Task<IBrowser> BrowserAsync()
    {
        await _launch.WaitAsync();
        try
        {
            if (_browser is not null)
            {
                return _browser;
            }

            if (Unavailable() is { } reason)
            {
                throw new InvalidOperationException(reason);
            }

            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                // This machine has no network but loopback: keep Chromium from trying (and logging) its own services.
                Args = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
                Timeout = 60_000,
            });
            return _browser;
        }
        finally
        {
            _launch.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        _launch.Dispose();
    }
}

/// <summary>The browser tests share one browser and run one at a time (each starts agents, origins and pages of its own).</summary>
[CollectionDefinition(Name)]
public sealed class DashboardBrowserCollection : ICollectionFixture<DashboardBrowser>
{
    public const string Name = "dashboard-browser";
}

/// <summary>A test that drives the dashboard in Chromium: skipped where Chromium is missing, except in CI, where it fails.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        Skip = DashboardBrowser.InCi ? null : DashboardBrowser.Unavailable();
    }
}
