using System.Net;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>A root and its dependencies install as one: only the root's installer runs; they succeed or fail together.</summary>
public class DependencyChainTests
{
    private const string Root = "1.app@3.0.0";
    private const string Middle = "2.lib@2.0.0";
    private const string Leaf = "3.base@1.0.0";

    private static TestCatalog Chain(string rootScript) => new TestCatalog()
        .Add(Leaf, dependedOnBy: [Middle], files: Installer("touch leaf-ran"), executable: "install.sh")
        .Add(Middle, dependedOnBy: [Root], files: Installer("touch middle-ran"), executable: "install.sh")
        .Add(Root, files: Installer(rootScript), executable: "install.sh")
        .Write();

    [Fact]
    public async Task DeployStart_RootOfThreeReleaseChain_AllThreeInstalledAndOnlyRootInstallerRuns()
    {
        using var catalog = Chain("touch root-ran");
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Leaf, Middle, Root);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Root)).StatusCode);

        await WaitInstalledAsync(agent, Root);
        foreach (var id in new[] { Middle, Leaf })
        {
            var status = await WaitInstalledAsync(agent, id);
            Assert.Equal("Done", status.DeviceReleaseStatus);
            Assert.Equal(DeploymentStatus.Done, (await GetDeployAsync(agent, id)).Status);
        }

        Assert.True(File.Exists(Path.Combine(ArtsDir(agent, Root), "root-ran")));
        Assert.False(File.Exists(Path.Combine(ArtsDir(agent, Middle), "middle-ran")));
        Assert.False(File.Exists(Path.Combine(ArtsDir(agent, Leaf), "leaf-ran")));
    }

    [Fact]
    public async Task DeployStart_RootOfChainFails_AllThreeInDeployErrorWithErrMsgThenRetryInstallsAll()
    {
        using var catalog = Chain("""
            if [ -f fixed ]; then exit 0; fi
            echo "missing libfoo" >&2
            exit 3
            """);
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Leaf, Middle, Root);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Root)).StatusCode);

        var root = await WaitDeployErrorAsync(agent, Root);
        Assert.Contains("exited with code 3", root.ErrMsg);
        foreach (var id in new[] { Middle, Leaf })
        {
            var status = await WaitDeployErrorAsync(agent, id);
            Assert.Contains(Root, status.ErrMsg);
            Assert.Contains("missing libfoo", status.ErrMsg);
        }

        // The failure is retryable once the cause is fixed.
        await File.WriteAllTextAsync(Path.Combine(ArtsDir(agent, Root), "fixed"), "");
        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Root)).StatusCode);
        foreach (var id in new[] { Root, Middle, Leaf })
        {
            await WaitInstalledAsync(agent, id);
        }
    }

    [Fact]
    public async Task DeployStart_DependencyNotDownloaded_ConflictNamesItAndNothingChanges()
    {
        using var catalog = Chain("true");
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Middle, Root);

        var response = await StartAsync(agent, Root);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal(409, error.StatusCode);
        Assert.Contains(Leaf, error.Message);
        Assert.Equal(ReleaseState.Downloaded, (await agent.Releases.FindAsync(Root, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task DeleteDelivery_OfADependencyWhileItsRootIsBeingInstalled_409NamingTheRootAndItsFilesStay()
    {
        // Found by the chaos suite's storm: a dependency deleted while its root's installer ran lost its files under the
        // installer, and the root ended installed with the dependency back in delivery.
        using var catalog = Chain("""
            while [ ! -f "$GETAPP_ARTS_DIR/go" ]; do sleep 0.05; done
            """);
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Leaf, Middle, Root);
        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Root)).StatusCode);

        foreach (var dependency in new[] { Middle, Leaf })
        {
            var response = await agent.Client.DeleteAsync($"/api/v2/delivery/{dependency}");

            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            var error = await ErrorOf(response);
            Assert.Contains(Root, error.Message);
            Assert.Contains("being installed", error.Message);
            Assert.Equal(ReleaseState.Downloaded, (await agent.Releases.FindAsync(dependency, CancellationToken.None))!.State);
            Assert.True(File.Exists(Path.Combine(ArtsDir(agent, dependency), "install.sh")), $"the files of {dependency} were deleted under its root's installer");
        }

        await File.WriteAllTextAsync(Path.Combine(ArtsDir(agent, Root), "go"), "");
        foreach (var id in new[] { Root, Middle, Leaf })
        {
            await WaitInstalledAsync(agent, id);
        }
    }

    [Fact]
    public async Task DeployStart_UnknownOrWrongStateOrBadId_404And409And400()
    {
        using var catalog = Chain("true");
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.EnsureDiscoveredAsync(agent, [Root]);

        Assert.Equal(HttpStatusCode.NotFound, (await StartAsync(agent, "99.nothing@1.0.0")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Client.GetAsync("/api/v2/deploy/99.nothing@1.0.0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.Client.PostAsync("/api/v2/deploy/start/a%5Cb", null)).StatusCode);
        var offered = await StartAsync(agent, Root);
        Assert.Equal(HttpStatusCode.Conflict, offered.StatusCode);
        Assert.Contains("deploy start is not allowed", (await ErrorOf(offered)).Message);

        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Leaf);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Client.GetAsync($"/api/v2/deploy/{Leaf}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Leaf)).StatusCode);
        await WaitInstalledAsync(agent, Leaf);
        Assert.Equal(HttpStatusCode.Conflict, (await StartAsync(agent, Leaf)).StatusCode);
    }
}
