using System.Net;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>Uninstall runs the release's uninstaller (an artifact named uninstall.sh, or marked in its metaData) and follows dependencies.</summary>
public class UninstallTests
{
    private const string App = "1.app@1.0.0";
    private const string Other = "2.other@1.0.0";
    private const string Private = "3.private@1.0.0";
    private const string Shared = "4.shared@1.0.0";

    private static TestCatalog Catalog(string uninstallScript = "echo \"uninstalled $*\" > ../uninstall-ran-$GETAPP_CATALOG_ID") => new TestCatalog()
        .Add(Private, dependedOnBy: [App], files: new Dictionary<string, byte[]> { ["p.bin"] = "p"u8.ToArray() })
        .Add(Shared, dependedOnBy: [App, Other], files: new Dictionary<string, byte[]> { ["s.bin"] = "s"u8.ToArray() })
        .Add(App, files: new Dictionary<string, byte[]>
        {
            ["install.sh"] = Script("echo run >> install-runs.txt"),
            ["uninstall.sh"] = Script(uninstallScript),
        }, executable: "install.sh")
        .Add(Other, files: Installer("true"), executable: "install.sh")
        .Write();

    private static async Task<TestAgent> InstalledAsync(TestCatalog catalog)
    {
        var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Private, Shared, App, Other);
        await StartAsync(agent, App);
        await WaitInstalledAsync(agent, App);
        await StartAsync(agent, Other);
        await WaitInstalledAsync(agent, Other);
        return agent;
    }

    [Fact]
    public async Task Uninstall_RootWithUninstaller_RunsItAndDependenciesFollowUnlessStillNeeded()
    {
        using var catalog = Catalog();
        await using var agent = await InstalledAsync(catalog);

        var response = await UninstallAsync(agent, App);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var app = await agent.WaitForAsync(App, s => s.State == ReleaseState.Uninstalled);
        Assert.Equal("Uninstall", app.DeviceReleaseStatus);
        Assert.True(File.Exists(Path.Combine(agent.DataDir, "comps", $"uninstall-ran-{App}")));
        var deploy = await GetDeployAsync(agent, App);
        Assert.Equal((DeploymentStatus.Uninstall, DeploymentStatus.Uninstall), (deploy.Status!.Value, deploy.RequestedStatus!.Value));
        Assert.Contains("uninstaller exited with code 0", deploy.MessageLog);
        Assert.Equal(ReleaseState.Uninstalled, (await agent.Releases.FindAsync(Private, CancellationToken.None))!.State);
        Assert.Equal(ReleaseState.Installed, (await agent.Releases.FindAsync(Shared, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Uninstall_DependencyStillNeededByInstalledRelease_ConflictNamesIt()
    {
        using var catalog = Catalog();
        await using var agent = await InstalledAsync(catalog);

        var response = await UninstallAsync(agent, Shared);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains(App, (await ErrorOf(response)).Message);
        Assert.Equal(ReleaseState.Installed, (await agent.Releases.FindAsync(Shared, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Uninstall_UninstallerFails_ConflictAndReleaseStaysInstalled()
    {
        using var catalog = Catalog("echo 'files are busy' >&2; exit 4");
        await using var agent = await InstalledAsync(catalog);

        var response = await UninstallAsync(agent, App);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var message = (await ErrorOf(response)).Message;
        Assert.Contains("exited with code 4", message);
        Assert.Contains("files are busy", message);
        Assert.Equal(ReleaseState.Installed, (await agent.Releases.FindAsync(App, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task DeployStart_UninstalledWithArtifacts_ReinstallsAndRunsInstallerAgain()
    {
        using var catalog = Catalog();
        await using var agent = await InstalledAsync(catalog);
        Assert.Equal(HttpStatusCode.OK, (await UninstallAsync(agent, App)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, App)).StatusCode);

        await WaitInstalledAsync(agent, App);
        await WaitInstalledAsync(agent, Private);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(ArtsDir(agent, App), "install-runs.txt")).Length);
    }

    [Fact]
    public async Task DeployStart_UninstalledWithArtifactsGone_ConflictSaysDeliverAgain()
    {
        using var catalog = Catalog();
        await using var agent = await InstalledAsync(catalog);
        Assert.Equal(HttpStatusCode.OK, (await UninstallAsync(agent, Other)).StatusCode);
        File.Delete(Path.Combine(ArtsDir(agent, Other), "install.sh"));

        var response = await StartAsync(agent, Other);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("no longer on this device", (await ErrorOf(response)).Message);
        Assert.Equal(ReleaseState.Uninstalled, (await agent.Releases.FindAsync(Other, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Uninstall_WithoutUninstallerOrWrongStateOrUnknown_RecordedOr409Or404()
    {
        using var catalog = Catalog();
        await using var agent = await InstalledAsync(catalog);

        Assert.Equal(HttpStatusCode.OK, (await UninstallAsync(agent, Other)).StatusCode);
        Assert.Contains("no uninstaller", (await GetDeployAsync(agent, Other)).MessageLog);
        Assert.Equal(HttpStatusCode.Conflict, (await UninstallAsync(agent, Other)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await UninstallAsync(agent, "5.none@1.0.0")).StatusCode);
    }
}
