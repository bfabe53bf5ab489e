using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace GetApp.Agent.IntegrationTests.Storage;

/// <summary>
/// The read routes answer from the read model, never the database: after every kind of change (each action of the
/// lifecycle table, progress, live progress, discovery adding, changing and dropping offers, a refused move, a failed
/// transaction) the single status, the list and the offering must be byte for byte what the contract's serializer
/// writes for the rows the database holds at that moment.
/// </summary>
public sealed class ReadModelTests : IAsyncLifetime
{
    private const string App = "7.demo-app@1.0.0";
    private const string Lib = "12.demo-lib@2.1.0";
    private const string Changing = "20.changing@1.0.0";
    private const string Vanishing = "21.vanishing@1.0.0";

    // SQLite orders ids by their UTF-8 bytes: U+FF21 before U+1F600, the other way round from UTF-16 code units.
    private static readonly string[] Ordered = ["30.x-a@1.0.0", "30.x-\uFF21@1.0.0", "30.x-\U0001F600@1.0.0"];

    // Text that looks like the status JSON's own property names must not confuse the live-progress splice.
    private const string Tricky = "déjà \"vu\" ,\"eta\":1,\"progress\":2,\"release\":{} 😀 </script> \\ end";

    private readonly TestCatalog _catalog = new();
    private readonly FailingListener _failing = new();
    private readonly HashSet<ReleaseAction> _covered = [];
    private TestAgent _agent = null!;

    public async Task InitializeAsync()
    {
        WriteCatalog(changedDisplayName: "first", withVanishing: true, withLib: true);
        _agent = await TestAgent.StartAsync(_catalog.Path, configureServices: s => s.AddSingleton<IReleaseWriteListener>(_failing));
        await _agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _catalog.Dispose();
    }

    [Fact]
    public async Task EveryKindOfChange_StatusListAndOffering_ByteForByteWhatTheDatabaseHolds()
    {
        await AssertApiIsTheStoreAsync("after discovery");

        // The delivery half of the table, with progress stored and shown live.
        await MoveAsync(App, ReleaseAction.StartDelivery);
        await MoveAsync(App, ReleaseAction.BeginDownload, new ReleaseChange { Progress = 12.5, Eta = 30 });
        _agent.Releases.Progress.Set(App, 37.4567, 12);
        await AssertApiIsTheStoreAsync("live download progress");
        _agent.Releases.Progress.Set(App, 99.999, null);
        await AssertApiIsTheStoreAsync("live download progress without an eta");
        Assert.True(await _agent.Releases.SaveProgressAsync(App, ReleaseState.Delivery, 40.25, 9, CancellationToken.None));
        await AssertApiIsTheStoreAsync("stored progress");
        await MoveAsync(App, ReleaseAction.PauseDelivery);
        await MoveAsync(App, ReleaseAction.ResumeDelivery);
        await MoveAsync(App, ReleaseAction.FailDelivery, new ReleaseChange { ErrMsg = Tricky });
        _agent.Releases.Progress.Clear(App);
        await MoveAsync(App, ReleaseAction.StartDelivery);
        await MoveAsync(App, ReleaseAction.CancelDelivery);
        await MoveAsync(App, ReleaseAction.StartDelivery);
        await MoveAsync(App, ReleaseAction.BeginDownload);
        await MoveAsync(App, ReleaseAction.BeginValidation, new ReleaseChange { Progress = 100 });
        await MoveAsync(App, ReleaseAction.CompleteDelivery, new ReleaseChange { ArtsDirPath = "/data/comps/7 \"app\" é", DownloadDuration = 3 });

        // The deploy half.
        await MoveAsync(App, ReleaseAction.StartDeploy);
        await MoveAsync(App, ReleaseAction.ReportInstalling, new ReleaseChange { Progress = 10 });
        _agent.Releases.Progress.Set(App, 55.555, 4);
        await AssertApiIsTheStoreAsync("live install progress");
        await MoveAsync(App, ReleaseAction.PauseDeploy);
        await MoveAsync(App, ReleaseAction.ContinueDeploy);
        await MoveAsync(App, ReleaseAction.FailDeploy, new ReleaseChange { ErrMsg = "exit code 3: " + Tricky });
        _agent.Releases.Progress.Clear(App);
        await MoveAsync(App, ReleaseAction.StartDeploy);
        await MoveAsync(App, ReleaseAction.CancelDeploy);
        await MoveAsync(App, ReleaseAction.StartDeploy);
        await MoveAsync(App, ReleaseAction.CompleteDeploy);
        await MoveAsync(App, ReleaseAction.Uninstall);
        await MoveAsync(App, ReleaseAction.DeleteDelivery);
        await MoveAsync(App, ReleaseAction.StartDelivery);

        // A dependency follows its root.
        await MoveAsync(Lib, ReleaseAction.StartDelivery);
        await MoveAsync(Lib, ReleaseAction.BeginDownload);
        await MoveAsync(Lib, ReleaseAction.BeginValidation);
        await MoveAsync(Lib, ReleaseAction.CompleteDelivery, new ReleaseChange { ArtsDirPath = "/data/comps/12.demo-lib@2.1.0" });
        await MoveAsync(Lib, ReleaseAction.FailAsDependency, new ReleaseChange { ErrMsg = "root failed" });
        await MoveAsync(Lib, ReleaseAction.InstallAsDependency);

        // A refused move changes nothing, on the wire either.
        Assert.False((await _agent.Releases.MoveAsync(Lib, ReleaseAction.PauseDelivery, null, CancellationToken.None)).Succeeded);
        await AssertApiIsTheStoreAsync("refused move");

        // Ids whose order differs between UTF-8 and UTF-16.
        foreach (var id in Ordered)
        {
            await MoveAsync(id, ReleaseAction.StartDelivery);
        }

        // Discovery: an offer changes, one vanishes, an installed release stops being offered, then is offered again.
        WriteCatalog(changedDisplayName: "second", withVanishing: false, withLib: false);
        await _agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
        await AssertApiIsTheStoreAsync("discovery: changed, vanished, no longer offered");
        Assert.Null((await StoredReleases.ReadAsync(_agent.DataDir)).Find(Vanishing));
        Assert.False((await StoredReleases.ReadAsync(_agent.DataDir)).Find(Lib)!.Offered);
        WriteCatalog(changedDisplayName: "second", withVanishing: true, withLib: true);
        await _agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
        await AssertApiIsTheStoreAsync("discovery: offered again");
        await _agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
        await AssertApiIsTheStoreAsync("discovery: nothing changed");

        // A transaction that fails after writing the row is rolled back, and the API never shows its change.
        _failing.Fail = true;
        await Assert.ThrowsAsync<InvalidOperationException>(() => _agent.Releases.MoveAsync(Changing, ReleaseAction.StartDelivery, null, CancellationToken.None));
        _failing.Fail = false;
        Assert.Equal(ReleaseState.Offering, (await StoredReleases.ReadAsync(_agent.DataDir)).Find(Changing)!.State);
        await AssertApiIsTheStoreAsync("failed transaction");
        await MoveAsync(Changing, ReleaseAction.StartDelivery);

        // And after a restart, the read model is loaded from the database (paused first: a restart resumes started deliveries).
        foreach (var id in (string[])[App, Changing, .. Ordered])
        {
            await MoveAsync(id, ReleaseAction.PauseDelivery);
        }

        _agent = await _agent.RestartAsync();
        await AssertApiIsTheStoreAsync("after a restart");

        Assert.Equal(Enum.GetValues<ReleaseAction>().Order(), _covered.Order());
    }

    private async Task MoveAsync(string catalogId, ReleaseAction action, ReleaseChange? change = null)
    {
        var result = await _agent.Releases.MoveAsync(catalogId, action, change, CancellationToken.None);
        Assert.True(result.Succeeded, $"{action} on {catalogId}: {result.Message}");
        _covered.Add(action);
        await AssertApiIsTheStoreAsync($"{action} on {catalogId}");
    }

    private async Task AssertApiIsTheStoreAsync(string step)
    {
        var stored = await StoredReleases.ReadAsync(_agent.DataDir);
        var live = _agent.Releases.Progress;
        Assert.NotEmpty(stored.All);
        foreach (var release in stored.All)
        {
            using var response = await _agent.Client.GetAsync($"/api/v2/device/releases/{Uri.EscapeDataString(release.CatalogId)}");
            if (StoredReleases.IsOnDevice(release))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
                AssertSameBytes(StoredReleases.StatusJson(release, live.Get(release.CatalogId)), await response.Content.ReadAsByteArrayAsync(), $"{step}: status of {release.CatalogId}");
            }
            else
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }
        }

        AssertSameBytes(stored.ListJson(live), await _agent.Client.GetByteArrayAsync("/api/v2/device/releases"), $"{step}: list");
        AssertSameBytes(stored.OfferingJson(), await _agent.Client.GetByteArrayAsync("/api/v2/device/offering"), $"{step}: offering");
    }

    private static void AssertSameBytes(byte[] expected, byte[] actual, string what)
    {
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            Assert.Fail($"{what} differs from the database.\nexpected: {Encoding.UTF8.GetString(expected)}\nactual:   {Encoding.UTF8.GetString(actual)}");
        }
    }

    private void WriteCatalog(string changedDisplayName, bool withVanishing, bool withLib)
    {
        var catalog = new JsonArray
        {
            Entry(App, dependedOnBy: [], release => release["releaseNotes"] = Tricky),
            Entry(Changing, [], release => release["displayName"] = changedDisplayName),
        };
        if (withLib)
        {
            catalog.Add(Entry(Lib, [App], release => release["displayName"] = "Lib é"));
        }

        if (withVanishing)
        {
            catalog.Add(Entry(Vanishing, [], _ => { }));
        }

        // Listed against SQLite's order, and two of them dependencies of App: edges come back in catalog id order.
        foreach (var id in Ordered.Reverse())
        {
            catalog.Add(Entry(id, id == Ordered[0] ? [] : [App], release => release["label"] = "ordered"));
        }

        _catalog.WriteRaw(new JsonObject { ["releases"] = catalog }.ToJsonString());
    }

    private static JsonObject Entry(string catalogId, string[] dependedOnBy, Action<JsonObject> edit)
    {
        var release = TestCatalog.Release(catalogId, new JsonObject { ["autoDeploy"] = false, ["note"] = Tricky });
        release["latest"] = true;
        release["policies"] = new JsonArray("p1");
        release["releasedAt"] = "2026-01-03T04:05:06.789+02:00";
        edit(release);
        return new JsonObject
        {
            ["release"] = release,
            ["isPush"] = false,
            ["dependedOnBy"] = new JsonArray([.. dependedOnBy.Select(d => (JsonNode?)d)]),
            ["hierarchyTrees"] = new JsonArray(new JsonObject { ["deviceTypes"] = new JsonArray(new JsonObject { ["deviceTypeName"] = "é" }) }),
            ["artifacts"] = new JsonArray(),
        };
    }

    /// <summary>Fails the transaction of a release move on demand, after the row was written in it.</summary>
    private sealed class FailingListener : IReleaseWriteListener
    {
        public volatile bool Fail;

        public Task OnReleaseWrittenAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRecord before, ReleaseRecord after, CancellationToken cancellationToken) =>
            Fail ? throw new InvalidOperationException("injected failure") : Task.CompletedTask;
    }
}
