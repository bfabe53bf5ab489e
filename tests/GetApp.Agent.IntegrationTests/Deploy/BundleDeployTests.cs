using System.Net;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;
using static GetApp.Agent.IntegrationTests.Infrastructure.ServerReports;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>
/// Deploying a bundle (a release made only of dependencies) runs each dependency's own installer, leaf → root, and
/// marks the bundle and all its dependencies installed; a dependency that fails stops it and is named.
/// </summary>
public class BundleDeployTests
{
    private const string Bundle = "20.field-kit@1.0.0";
    private const string Runtime = "21.kit-runtime@1.0.0";
    private const string App = "22.kit-app@2.0.0";
    private const string Maps = "23.kit-maps@1.0.0";

    /// <summary>App depends on Runtime; Maps is a payload without an installer; the bundle holds all three.</summary>
    private static async Task<GetAppServerDouble> KitAsync(string runtimeInstaller, string appInstaller)
    {
        var server = await GetAppServerDouble.StartAsync();
        return server
            .AddRelease(Runtime, dependedOnBy: [App], files: Installer(runtimeInstaller), executable: "install.sh")
            .AddRelease(App, files: Installer(appInstaller), executable: "install.sh")
            .AddRelease(Maps, files: new Dictionary<string, byte[]> { ["maps.gpkg"] = new byte[2_000] })
            .AddBundle(Bundle, [App, Runtime, Maps], isPush: true);
    }

    [Fact]
    public async Task DeployBundle_EachDependencyInstalledWithItsOwnInstallerLeafFirst_AllMarkedInstalled_AndReported()
    {
        using var order = new TempDirectory();
        var log = Path.Combine(order.Path, "order.log");
        await using var server = await KitAsync($"echo runtime >> {log}", $"echo app >> {log}");
        await using var agent = await server.StartAgentAsync();
        await agent.WaitForAsync(Bundle, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Bundle)).StatusCode);

        Assert.Equal(ReleaseState.Installed, (await WaitInstalledAsync(agent, Bundle)).State);
        foreach (var id in new[] { Runtime, App, Maps })
        {
            Assert.Equal(ReleaseState.Installed, (await WaitInstalledAsync(agent, id)).State);
        }

        Assert.Equal(["runtime", "app"], await File.ReadAllLinesAsync(log));
        await server.WaitForAsync(s => new[] { Bundle, Runtime, App, Maps }.All(id => Statuses(s.DeployReports, id, "deployStatus").LastOrDefault() == "Done"), "every deploy Done report");
        Assert.All(new[] { Bundle, Runtime, App, Maps }, id => Assert.Equal("installed", server.Component("dev-test-1", id)!.State));
        Assert.Equal("Start", Statuses(server.DeployReports, App, "deployStatus")[0]);
        Assert.Contains("dependencies were installed", (await GetDeployAsync(agent, Bundle)).MessageLog);
    }

    [Fact]
    public async Task DeployBundle_ADependencysInstallerFails_BundleInDeployErrorNamingIt_EarlierOnesStayInstalled()
    {
        await using var server = await KitAsync("exit 0", "echo 'no space left' >&2; exit 4");
        await using var agent = await server.StartAgentAsync();
        await agent.WaitForAsync(Bundle, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Bundle)).StatusCode);

        var bundle = await WaitDeployErrorAsync(agent, Bundle);
        Assert.Contains($"its dependency '{App}' was not installed", bundle.ErrMsg);
        Assert.Contains("exited with code 4", bundle.ErrMsg);
        Assert.Equal(ReleaseState.Installed, (await agent.WaitForAsync(Runtime, _ => true)).State);
        Assert.Equal("Error", (await WaitDeployErrorAsync(agent, App)).DeviceReleaseStatus);
        Assert.Equal("Error", (await WaitDeployErrorAsync(agent, Maps)).DeviceReleaseStatus);
    }
}
