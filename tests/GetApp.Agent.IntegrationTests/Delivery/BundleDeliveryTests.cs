using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Infrastructure.ServerReports;

namespace GetApp.Agent.IntegrationTests.Delivery;

/// <summary>
/// A release made only of dependencies (a bundle) is prepared by the server as <c>status: done</c> with
/// <c>artifacts: []</c>: its dependencies are delivered leaf → root, and it becomes downloaded with an empty folder.
/// </summary>
public class BundleDeliveryTests
{
    private const string Bundle = "20.field-kit@1.0.0";
    private const string Base = "21.kit-base@1.0.0";
    private const string Tools = "22.kit-tools@2.0.0";

    [Fact]
    public async Task PushedBundleFromTheServer_DependenciesDeliveredFirst_BundleDownloadedWithAnEmptyFolder()
    {
        await using var server = (await GetAppServerDouble.StartAsync())
            .AddRelease(Base, files: new Dictionary<string, byte[]> { ["base.tar"] = new byte[50_000] })
            .AddRelease(Tools, dependedOnBy: [], files: new Dictionary<string, byte[]> { ["tools.tar"] = new byte[70_000] })
            .AddBundle(Bundle, [Base, Tools], isPush: true);
        await using var agent = await server.StartAgentAsync();

        var bundle = await agent.WaitForAsync(Bundle, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));

        Assert.True(bundle.State == ReleaseState.Downloaded, bundle.ErrMsg);
        Assert.True(Directory.Exists(bundle.ArtsDirPath), bundle.ArtsDirPath);
        Assert.Empty(Directory.EnumerateFileSystemEntries(bundle.ArtsDirPath!));
        Assert.Equal(ReleaseState.Downloaded, (await agent.WaitForAsync(Base, _ => true)).State);
        Assert.Equal(ReleaseState.Downloaded, (await agent.WaitForAsync(Tools, _ => true)).State);
        await server.WaitForAsync(s => Statuses(s.DeliveryReports, Bundle, "deliveryStatus").LastOrDefault() == "Done", "the bundle's Done report");
        var reports = server.DeliveryReports.ToList();
        var bundleDone = reports.FindIndex(r => Is(r, Bundle, "deliveryStatus", "Done"));
        Assert.True(reports.FindIndex(r => Is(r, Base, "deliveryStatus", "Done")) < bundleDone);
        Assert.True(reports.FindIndex(r => Is(r, Tools, "deliveryStatus", "Done")) < bundleDone);
        Assert.Equal("downloaded", server.Component("dev-test-1", Bundle)!.State);
        Assert.Empty(server.RejectedReports);
    }

    [Fact]
    public async Task BundleInAnOfflineCatalog_WithNoArtifacts_IsDeliveredWithItsDependency()
    {
        using var catalog = new TestCatalog()
            .Add(Base, dependedOnBy: [Bundle], files: new Dictionary<string, byte[]> { ["base.tar"] = new byte[5_000] })
            .Add(Bundle, isPush: true)
            .Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);

        var bundle = await agent.WaitForAsync(Bundle, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));

        Assert.True(bundle.State == ReleaseState.Downloaded, bundle.ErrMsg);
        Assert.Empty(Directory.EnumerateFileSystemEntries(bundle.ArtsDirPath!));
        Assert.Equal(ReleaseState.Downloaded, (await agent.WaitForAsync(Base, _ => true)).State);
    }
}
