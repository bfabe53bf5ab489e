using System.Text.Json.Nodes;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Storage;

/// <summary>
/// <see cref="ReleaseStore.FindStoredAsync"/> before the read model is loaded reads the one row from the database: the
/// same row, dependencies included, and so the same status bytes, as the loaded read model holds.
/// </summary>
public sealed class FindStoredTests
{
    private const string App = "7.demo-app@1.0.0";
    private const string Lib = "12.demo-lib@2.1.0";

    [Fact]
    public async Task BeforeTheLoad_TheRowIsReadFromTheDatabase_AsTheLoadReadsIt()
    {
        using var catalog = new TestCatalog();
        catalog
            .Add(App, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[16] }, metadata: new JsonObject { ["autoDeploy"] = false })
            .Add(Lib, dependedOnBy: [App], files: new Dictionary<string, byte[]> { ["lib.tar"] = new byte[10] })
            .Write();
        using var data = new TempDirectory("getapp-data");
        await using (var agent = await TestAgent.StartAsync(catalog.Path, data.Path))
        {
            await agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
            await DeliveredReleases.DeliverAsync(agent, catalog.Path, Lib, App);
        }

        var store = new ReleaseStore(new AgentDatabase(data.Path), []);
        var early = await store.FindStoredAsync(App, CancellationToken.None);
        var missing = await store.FindStoredAsync("99.nothing@1.0.0", CancellationToken.None);
        Assert.Empty(store.LastKnown);
        var loaded = (await store.LoadAsync(CancellationToken.None)).Find(App);

        Assert.NotNull(early);
        Assert.Null(missing);
        Assert.Equal([Lib], early.Dependencies);
        Assert.Equal(loaded!.Dependencies, early.Dependencies);
        Assert.Equal(loaded.StatusJson(null).ToArray(), early.StatusJson(null).ToArray());
        Assert.Same(loaded, await store.FindStoredAsync(App, CancellationToken.None));
    }
}
