using System.Net;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>A release that reaches downloaded through delivery's moves is deployed at once when its metadata or the settings say so.</summary>
public class AutoDeployTests
{
    private const string Root = "7.demo-app@1.0.0";
    private const string Dependency = "12.demo-runtime@2.1.0";

    private static TestCatalog Catalog(JsonObject? rootMetadata) => new TestCatalog()
        .Add(Dependency, dependedOnBy: [Root], files: Installer("touch dependency-ran"), executable: "install.sh")
        .Add(Root, files: Installer("touch root-ran"), executable: "install.sh", metadata: rootMetadata)
        .Write();

    [Fact]
    public async Task CompleteDelivery_RootWithMetadataAutoDeploy_RootAndDependencyInstalledByRootInstallerOnly()
    {
        using var catalog = Catalog(new JsonObject { ["autoDeploy"] = true });
        await using var agent = await TestAgent.StartAsync(catalog.Path);

        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Root);

        await WaitInstalledAsync(agent, Root);
        await WaitInstalledAsync(agent, Dependency);
        Assert.True(File.Exists(Path.Combine(ArtsDir(agent, Root), "root-ran")));
        Assert.False(File.Exists(Path.Combine(ArtsDir(agent, Dependency), "dependency-ran")));
        Assert.Contains(Root, (await GetDeployAsync(agent, Dependency)).MessageLog);
    }

    [Fact]
    public async Task CompleteDelivery_DeployAutoOnPullSetting_ReleaseWithoutFlagInstalled()
    {
        using var catalog = Catalog(null);
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await SetConfigAsync(agent, """{"deployAutoOnPull": true}""");

        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Root);

        await WaitInstalledAsync(agent, Root);
        await WaitInstalledAsync(agent, Dependency);
        Assert.False(File.Exists(Path.Combine(ArtsDir(agent, Dependency), "dependency-ran")));
    }

    [Fact]
    public async Task CompleteDelivery_RootCompletesBeforeItsDependency_RootDeployedWhenDependencyCompletes()
    {
        using var catalog = Catalog(new JsonObject { ["autoDeploy"] = true });
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.EnsureDiscoveredAsync(agent, [Root]);
        foreach (var id in new[] { Dependency, Root })
        {
            Assert.True((await agent.Releases.MoveAsync(id, ReleaseAction.StartDelivery, null, CancellationToken.None)).Succeeded);
        }

        await DeliveredReleases.CompleteAsync(agent, catalog.Path, Root);
        await WhenIdleAsync(agent);
        Assert.Equal(ReleaseState.Downloaded, (await agent.Releases.FindAsync(Root, CancellationToken.None))!.State);

        await DeliveredReleases.CompleteAsync(agent, catalog.Path, Dependency);

        await WaitInstalledAsync(agent, Root);
        await WaitInstalledAsync(agent, Dependency);
        Assert.False(File.Exists(Path.Combine(ArtsDir(agent, Dependency), "dependency-ran")));
    }

    [Fact]
    public async Task DependencyDecidedWhileItsRootInstalls_LeftToTheRootNotRunAlone()
    {
        // The decision for a dependency runs in the background after its delivery completes; on a busy machine the root,
        // delivered right after it, can already be installing when it looks. Here that order is made certain.
        using var gate = new TempDirectory("getapp-gate");
        var go = Path.Combine(gate.Path, "go");
        using var catalog = new TestCatalog()
            .Add(Dependency, dependedOnBy: [Root], files: Installer("touch dependency-ran"), executable: "install.sh")
            .Add(Root, files: Installer($"while [ ! -f '{go}' ]; do sleep 0.05; done\ntouch root-ran"), executable: "install.sh")
            .Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        var trigger = agent.Get<Core.Deploy.AutoDeployTrigger>();
        trigger.Dispose();
        await SetConfigAsync(agent, """{"deployAutoOnPull": true}""");
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Root);
        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Root)).StatusCode);

        await trigger.DeployIfWantedAsync(Dependency, CancellationToken.None);

        Assert.Equal(ReleaseState.Downloaded, (await agent.Releases.FindAsync(Dependency, CancellationToken.None))!.State);
        await File.WriteAllTextAsync(go, "");
        await WaitInstalledAsync(agent, Root);
        await WaitInstalledAsync(agent, Dependency);
        Assert.False(File.Exists(Path.Combine(ArtsDir(agent, Dependency), "dependency-ran")));
        Assert.Contains(Root, (await GetDeployAsync(agent, Dependency)).MessageLog);
    }

    [Fact]
    public async Task DependencyDecidedBetweenItsRootsMoveToInstalledAndItsOwn_NotRunAlone()
    {
        using var catalog = Catalog(null);
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        var trigger = agent.Get<Core.Deploy.AutoDeployTrigger>();
        trigger.Dispose();
        await SetConfigAsync(agent, """{"deployAutoOnPull": true}""");
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Root);
        // The root's own moves, as its install records them, before the one that installs its dependencies with it.
        foreach (var action in new[] { ReleaseAction.StartDeploy, ReleaseAction.ReportInstalling, ReleaseAction.CompleteDeploy })
        {
            Assert.True((await agent.Releases.MoveAsync(Root, action, null, CancellationToken.None)).Succeeded);
        }

        await trigger.DeployIfWantedAsync(Dependency, CancellationToken.None);
        await WhenIdleAsync(agent);

        Assert.Equal(ReleaseState.Downloaded, (await agent.Releases.FindAsync(Dependency, CancellationToken.None))!.State);
        Assert.False(File.Exists(Path.Combine(ArtsDir(agent, Dependency), "dependency-ran")));
    }

    [Fact]
    public async Task AgentStart_DownloadedReleaseWithAutoDeployNotDeployedYet_DeployedAfterRestart()
    {
        using var catalog = Catalog(new JsonObject { ["autoDeploy"] = true });
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        // As if the agent had stopped between the delivery and the deploy: nothing listens when delivery completes.
        agent.Get<Core.Deploy.AutoDeployTrigger>().Dispose();
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Root);
        Assert.Equal(ReleaseState.Downloaded, (await agent.Releases.FindAsync(Root, CancellationToken.None))!.State);

        await using var restarted = await agent.RestartAsync();

        await WaitInstalledAsync(restarted, Root);
        await WaitInstalledAsync(restarted, Dependency);
        Assert.False(File.Exists(Path.Combine(ArtsDir(restarted, Dependency), "dependency-ran")));
    }

    [Fact]
    public async Task CompleteDelivery_NoFlagNoSetting_StaysDownloaded()
    {
        using var catalog = Catalog(new JsonObject { ["autoDeploy"] = false });
        await using var agent = await TestAgent.StartAsync(catalog.Path);

        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Root);
        await WhenIdleAsync(agent);

        Assert.Equal(ReleaseState.Downloaded, (await agent.Releases.FindAsync(Root, CancellationToken.None))!.State);
        Assert.Equal(ReleaseState.Downloaded, (await agent.Releases.FindAsync(Dependency, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task CompleteDelivery_SampleCatalog_PushedReleaseAndDependencyInstalled()
    {
        // The sample's own files and metadata, offered rather than pushed, so that this test (not a delivery engine
        // reacting to the push) does the delivery moves.
        using var copy = new TempDirectory("getapp-sample");
        foreach (var file in Directory.GetFiles(RepoPaths.SampleCatalog, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy.Path, Path.GetRelativePath(RepoPaths.SampleCatalog, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var catalogJson = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(copy.Path, "catalog.json")))!;
        foreach (var entry in catalogJson["releases"]!.AsArray())
        {
            entry!["isPush"] = false;
        }

        await File.WriteAllTextAsync(Path.Combine(copy.Path, "catalog.json"), catalogJson.ToJsonString());
        await using var agent = await TestAgent.StartAsync(copy.Path);

        await DeliveredReleases.DeliverAsync(agent, copy.Path, Dependency, Root);

        Assert.Null((await WaitInstalledAsync(agent, Root)).ErrMsg);
        Assert.Equal("Done", (await WaitInstalledAsync(agent, Dependency)).DeviceReleaseStatus);
        Assert.Contains("installing demo-app 7.demo-app@1.0.0", await File.ReadAllTextAsync((await GetDeployAsync(agent, Root)).LogPath!));
    }
}
