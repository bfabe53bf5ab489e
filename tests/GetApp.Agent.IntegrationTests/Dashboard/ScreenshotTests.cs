using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Releases;
using Microsoft.Extensions.DependencyInjection;
using GetApp.Agent.IntegrationTests.Delivery;
using GetApp.Agent.IntegrationTests.Deploy;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>
/// Every view with a device that has a bit of everything (installed, delivering, a failed install, offers), written
/// to artifacts/screenshots/ (docs/dashboard.png is the desktop dashboard, copied from there), and checked on a small
/// tablet and a phone: nothing wider than the screen.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class ScreenshotTests(DashboardBrowser browser)
{
    private const string App = "7.demo-app@1.0.0";
    private const string Runtime = "12.demo-runtime@2.1.0";
    private const string Maps = "21.maps-north@3.2.0";
    private const string Driver = "15.sensor-driver@1.4.2";
    private const string Docs = "3.demo-docs@0.9.0";

    private static readonly string[] Views = ["dashboard", "releases", "offering", "fleet", "settings"];

    [BrowserFact]
    public async Task EveryView_OnADesktopATabletAndAPhone_ScreenshotsAndNothingWiderThanTheScreen()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        await BuildDeviceAsync(s);
        await using var page = await browser.OpenAsync(s.Agent.BaseAddress);
        await page.GotoAsync();
        await Expect(page.Page.Locator("main li.delivery[data-release-id=\"" + Maps + "\"] [data-field=speed]")).ToContainTextAsync("/s");

        await page.ScreenshotAsync("dashboard", fullPage: false);
        foreach (var view in Views.Skip(1))
        {
            await page.NavigateAsync(Title(view));
            await Expect(page.Page.Locator("main .card").First).ToBeVisibleAsync();
            await page.ScreenshotAsync(view);
        }

        foreach (var (name, width, height) in new[] { ("tablet", 768, 1024), ("small-tablet", 600, 960), ("phone", 390, 844) })
        {
            await page.Page.SetViewportSizeAsync(width, height);
            foreach (var view in Views)
            {
                await page.NavigateAsync(Title(view));
                await Expect(page.Page.Locator("main .card").First).ToBeVisibleAsync();
                var overflow = await page.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
                Assert.True(overflow <= 0, $"{view} is {overflow}px wider than a {width}px screen");
                if (name == "tablet")
                {
                    await page.ScreenshotAsync($"{view}-tablet");
                }
            }
        }

        page.AssertNoScriptErrors();
    }

    private static string Title(string view) => view switch
    {
        "dashboard" => "Dashboard",
        "releases" => "Releases",
        "offering" => "App offering",
        "fleet" => "Fleet",
        _ => "Settings",
    };

    /// <summary>Installed app and runtime, a large delivery running (slowly), an install that failed, two offers.</summary>
    private static async Task BuildDeviceAsync(DeliveryScenario s)
    {
        var maps = s.Origin.AddFile("maps-north.bin", 80_000_000, seed: 21);
        maps.Faults.ThrottleBytesPerSecond = 1_500_000;
        s.Catalog
            .Add(Runtime, dependedOnBy: [App], files: DeployTestKit.Installer("echo runtime ready"), executable: "install.sh")
            .Add(App, files: DeployTestKit.Installer("echo installing the demo app; echo done"), executable: "install.sh")
            .Add(Driver, files: DeployTestKit.Installer("echo 'probing the sensor bus'; echo 'error: /dev/i2c-1: no such device' >&2; exit 3"), executable: "install.sh")
            .Add(Docs, dependedOnBy: [], files: new Dictionary<string, byte[]> { ["README.txt"] = new byte[2048] })
            .AddRaw(CatalogEntries.Http(Maps, maps))
            .AddRaw(CatalogEntries.Http("22.maps-south@3.2.0", s.Origin.AddFile("maps-south.bin", 1000, seed: 22)))
            .Describe(Runtime, "Demo runtime", "The runtime the demo app runs on.")
            .Describe(App, "Demo app", "First release of the demo app.")
            .Describe(Driver, "Sensor driver")
            .Describe(Docs, "Demo docs", "Documentation bundle installed by a third-party installer.")
            .Describe(Maps, "Maps, north region", "Offline map tiles.")
            .Describe("22.maps-south@3.2.0", "Maps, south region", "Offline map tiles.");
        // A device as a field unit would name itself (the screenshot goes into the README).
        await s.StartAgentAsync(configureServices: services => services.AddSingleton(new DeviceSeed
        {
            DeviceId = "field-tablet-07", DeviceTypes = ["agent_linux", "zone-north"], Platform = "rugged-tablet", PlatformId = "RT-0007", MachineIdPath = "/nonexistent",
        }));
        foreach (var id in new[] { App, Driver })
        {
            await s.ControlOkAsync("start", id);
            await s.Agent.WaitForAsync(id, r => r.State == ReleaseState.Downloaded);
            await DeployTestKit.StartAsync(s.Agent, id);
        }

        await DeployTestKit.WaitInstalledAsync(s.Agent, App);
        await DeployTestKit.WaitDeployErrorAsync(s.Agent, Driver);
        await s.ControlOkAsync("start", Maps);
        await s.Agent.WaitForAsync(Maps, r => r.Progress > 0);
    }
}
