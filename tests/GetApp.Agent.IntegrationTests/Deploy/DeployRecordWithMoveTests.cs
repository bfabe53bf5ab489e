using System.Collections.Concurrent;
using System.Net;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>
/// A deploy move and the deploy record's message that explains it are one transaction: the moment a move is visible
/// (here: when <see cref="ReleaseService.Moved"/> is raised, right after the commit), the database already holds its
/// message. Read from the database in the event, so a message written in a second transaction after the move is seen
/// missing every time, not only when a reader happens to come in between.
/// </summary>
public class DeployRecordWithMoveTests
{
    private const string Id = "3.docs@0.9.0";
    private const string Dependency = "4.fonts@1.0.0";

    private static TestCatalog Catalog() => new TestCatalog()
        .Add(Dependency, dependedOnBy: [Id], files: new Dictionary<string, byte[]> { ["fonts.tar"] = "fonts"u8.ToArray() })
        .Add(Id, files: new Dictionary<string, byte[]> { ["README.txt"] = "docs"u8.ToArray() })
        .Write();

    /// <summary>Every move of <paramref name="agent"/>'s releases from now on, with the deploy record's message as stored when the move was announced.</summary>
    private static ConcurrentQueue<(string Id, ReleaseAction Action, string? MessageLog)> RecordMoves(TestAgent agent)
    {
        var seen = new ConcurrentQueue<(string, ReleaseAction, string?)>();
        var records = agent.Get<DeployRecordStore>();
        agent.Releases.Moved += moved =>
        {
            // Blocking in the handler on purpose: the record is read before the code that moved the release goes on.
            var record = records.FindAsync(moved.After.CatalogId, CancellationToken.None).GetAwaiter().GetResult();
            seen.Enqueue((moved.After.CatalogId, moved.Action, record?.MessageLog));
        };
        return seen;
    }

    private static string? MessageAt(IEnumerable<(string Id, ReleaseAction Action, string? MessageLog)> moves, string id, ReleaseAction action) =>
        Assert.Single(moves, m => m.Id == id && m.Action == action).MessageLog;

    [Fact]
    public async Task DeployReport_ProgressThenInstalled_EachMoveStoredWithItsMessage()
    {
        using var catalog = Catalog();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Id);
        var moves = RecordMoves(agent);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Id)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ReportAsync(agent, Id, """{"status":"Running","progress":30,"messageLog":"unpacking"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ReportAsync(agent, Id, """{"status":"Installed","messageLog":"all good"}""")).StatusCode);
        await WaitInstalledAsync(agent, Dependency);

        Assert.StartsWith("waiting for a third-party installer", MessageAt(moves, Id, ReleaseAction.StartDeploy));
        Assert.Equal("unpacking", MessageAt(moves, Id, ReleaseAction.ReportInstalling));
        Assert.Equal("all good", MessageAt(moves, Id, ReleaseAction.CompleteDeploy));
        Assert.Equal($"installed as a dependency of '{Id}'", MessageAt(moves, Dependency, ReleaseAction.InstallAsDependency));
        Assert.Equal(Id, (await agent.Get<DeployRecordStore>().FindAsync(Dependency, CancellationToken.None))!.InstalledAsDependencyOf);
    }

    [Fact]
    public async Task DeployReport_Failed_RootAndDependencyStoredWithTheirErrors()
    {
        using var catalog = Catalog();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Id);
        await StartAsync(agent, Id);
        var moves = RecordMoves(agent);

        Assert.Equal(HttpStatusCode.OK, (await ReportAsync(agent, Id, """{"status":"Failed","messageLog":"license check failed"}""")).StatusCode);
        await WaitDeployErrorAsync(agent, Dependency);

        Assert.Equal("license check failed", MessageAt(moves, Id, ReleaseAction.FailDeploy));
        Assert.Contains("license check failed", MessageAt(moves, Dependency, ReleaseAction.FailAsDependency));
    }

    [Fact]
    public async Task DeployReport_Cancelled_StoredWithItsMessage()
    {
        using var catalog = Catalog();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Id);
        await StartAsync(agent, Id);
        var moves = RecordMoves(agent);

        Assert.Equal(HttpStatusCode.OK, (await ReportAsync(agent, Id, """{"status":"Cancelled","messageLog":"user aborted"}""")).StatusCode);

        Assert.Equal("user aborted", MessageAt(moves, Id, ReleaseAction.CancelDeploy));
    }

    [Fact]
    public async Task Uninstall_WithDependency_EachUninstallStoredWithItsMessage()
    {
        using var catalog = Catalog();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Id);
        await StartAsync(agent, Id);
        await ReportAsync(agent, Id, """{"status":"Installed"}""");
        await WaitInstalledAsync(agent, Dependency);
        var moves = RecordMoves(agent);

        Assert.Equal(HttpStatusCode.OK, (await UninstallAsync(agent, Id)).StatusCode);

        Assert.Equal("uninstalled (the release has no uninstaller)", MessageAt(moves, Id, ReleaseAction.Uninstall));
        Assert.Equal($"uninstalled with '{Id}'", MessageAt(moves, Dependency, ReleaseAction.Uninstall));
    }

    [Fact]
    public async Task InstallerExits_Installed_StoredWithTheExitMessage()
    {
        const string Own = "5.tool@1.0.0";
        using var catalog = new TestCatalog().Add(Own, files: Installer("exit 0"), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Own);
        var moves = RecordMoves(agent);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Own)).StatusCode);
        await WaitInstalledAsync(agent, Own);
        await WhenIdleAsync(agent);

        Assert.StartsWith("the installer exited with code 0", MessageAt(moves, Own, ReleaseAction.CompleteDeploy));
    }
}
