using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Api;

/// <summary>
/// <c>GET /api/v2/device/releases</c> writes every status as it goes: it answers what the store holds (with its length
/// up front) and keeps no rendered copy of each release, which with thousands of them is MiBs held for good.
/// </summary>
public sealed class ReleaseListTests : IAsyncLifetime
{
    private const string App = "7.demo-app@1.0.0";
    private const string Lib = "12.demo-lib@2.1.0";
    private const string Offer = "20.offer@1.0.0";
    private readonly TestCatalog _catalog = new();
    private TestAgent _agent = null!;

    public async Task InitializeAsync()
    {
        _catalog.Add(App).Add(Lib, dependedOnBy: [App]).Add(Offer).Write();
        _agent = await TestAgent.StartAsync(_catalog.Path);
        await _agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
        foreach (var id in (string[])[App, Lib])
        {
            Assert.True((await _agent.Releases.MoveAsync(id, ReleaseAction.StartDelivery, null, CancellationToken.None)).Succeeded);
            Assert.True((await _agent.Releases.MoveAsync(id, ReleaseAction.PauseDelivery, null, CancellationToken.None)).Succeeded);
        }
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _catalog.Dispose();
    }

    [Fact]
    public async Task List_AnswersTheStore_AndKeepsNoRenderedCopyOfEachRelease()
    {
        var first = await ListAsync();

        var snapshot = await _agent.Releases.SnapshotAsync(CancellationToken.None);
        Assert.Equal(2, snapshot.Count(r => r.IsOnDevice));
        Assert.All(snapshot.Where(r => r.IsOnDevice), r => Assert.Null(r.RenderedStatus(null)));

        // A status asked for alone is kept (the single status's hot path), and the list copies it: the same bytes.
        var status = await _agent.Client.GetByteArrayAsync($"/api/v2/device/releases/{App}");
        Assert.NotNull((await _agent.Releases.SnapshotAsync(CancellationToken.None)).Find(App)!.RenderedStatus(null));
        Assert.Equal(first, await ListAsync());
        Assert.Contains(Convert.ToHexString(status), Convert.ToHexString(first), StringComparison.Ordinal);
        Assert.Null((await _agent.Releases.SnapshotAsync(CancellationToken.None)).Find(Lib)!.RenderedStatus(null));
    }

    private async Task<byte[]> ListAsync()
    {
        using var response = await _agent.Client.GetAsync("/api/v2/device/releases");
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        var stored = await StoredReleases.ReadAsync(_agent.DataDir);
        Assert.Equal(stored.ListJson(_agent.Releases.Progress), body);
        return body;
    }
}
