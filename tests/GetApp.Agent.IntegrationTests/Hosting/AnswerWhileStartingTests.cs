using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Hosting;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.IntegrationTests.Hosting;

/// <summary>
/// While the agent is still starting (the read model loading, recovery, the engines starting), the single status of a
/// release the start cannot change is answered at once, byte for byte what the database holds; every other request,
/// and the status of a release the start may still move, waits for the start to end, as before. The read model itself
/// loads only once the API is bound.
/// </summary>
public sealed class AnswerWhileStartingTests
{
    private const string App = "7.demo-app@1.0.0";
    private const string Lib = "12.demo-lib@2.1.0";
    private const string Offered = "30.other-app@1.0.0";

    [Fact]
    public async Task ADeliveredRelease_IsAnsweredBeforeTheStartEnds_TheListAndAnOfferWaitForIt()
    {
        using var catalog = new TestCatalog();
        catalog
            .Add(App, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[16] }, metadata: new JsonObject { ["autoDeploy"] = false })
            .Add(Lib, dependedOnBy: [App], files: new Dictionary<string, byte[]> { ["lib.tar"] = new byte[10] })
            .Add(Offered)
            .Write();
        using var data = new TempDirectory("getapp-data");
        await using (var first = await TestAgent.StartAsync(catalog.Path, data.Path))
        {
            await first.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
            await DeliveredReleases.DeliverAsync(first, catalog.Path, Lib, App);
        }

        var held = new HeldStart();
        var options = new AgentOptions { Urls = ["http://127.0.0.1:0"], DataDir = data.Path, CatalogDir = catalog.Path };
        await using var app = AgentHost.Build(options, s => s.AddSingleton<IHostedService>(sp => held.On(sp.GetRequiredService<IServer>())));
        var starting = AgentHost.StartAsync(app, CancellationToken.None);
        try
        {
            var address = await held.Reached.WaitAsync(TimeSpan.FromSeconds(30));
            using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };

            var status = await client.GetAsync($"/api/v2/device/releases/{App}").WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
            var stored = await StoredReleases.ReadAsync(data.Path);
            Assert.Equal(StoredReleases.StatusJson(stored.Find(App)!, null), await status.Content.ReadAsByteArrayAsync());
            var offer = client.GetAsync($"/api/v2/device/releases/{Offered}");
            var list = client.GetAsync("/api/v2/device/releases");
            var invalid = await client.GetAsync("/api/v2/device/releases/%20").WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            Assert.False(offer.IsCompleted, "the status of an offer was answered before the start ended");
            Assert.False(list.IsCompleted, "the list was answered before the start ended");

            held.Release();
            await starting;

            Assert.Equal(HttpStatusCode.NotFound, (await offer).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await list).StatusCode);
        }
        finally
        {
            held.Release();
            await starting.ContinueWith(_ => { }, TaskScheduler.Default);
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task TheReleasesAreReadOnlyOnceTheApiIsBound_AStartRefusedForItsPortReadsNone()
    {
        using var catalog = new TestCatalog();
        catalog.Add(App).Add(Offered).Write();
        using var data = new TempDirectory("getapp-data");
        await using (var first = await TestAgent.StartAsync(catalog.Path, data.Path))
        {
            await first.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
        }

        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var options = new AgentOptions { Urls = [$"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}"], DataDir = data.Path, CatalogDir = catalog.Path };
        await using var app = AgentHost.Build(options);

        var e = await Assert.ThrowsAsync<AgentConfigurationException>(() => AgentHost.StartAsync(app, CancellationToken.None));

        Assert.Contains("already in use", e.Message);
        Assert.Empty(app.Services.GetRequiredService<ReleaseStore>().LastKnown);
        Assert.Equal(2, (await StoredReleases.ReadAsync(data.Path)).All.Count);
    }

    /// <summary>One of the agent's services, started after the bind, that holds the start until released.</summary>
    private sealed class HeldStart : IHostedService
    {
        private readonly TaskCompletionSource<string> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private IServer? _server;

        public Task<string> Reached => _reached.Task;

        public HeldStart On(IServer server)
        {
            _server = server;
            return this;
        }

        public void Release() => _released.TrySetResult();

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            _reached.TrySetResult(_server!.Features.Get<IServerAddressesFeature>()!.Addresses.First());
            await _released.Task.WaitAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
