using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Tests.Storage;

/// <summary>What a new store reads at start is what was written: every column, nulls, edges, and many rows at once.</summary>
public sealed class ReleaseStoreLoadTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("getapp-load").FullName;
    private AgentDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = new AgentDatabase(_dir);
        await new SchemaMigrator(_database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private static ReleaseRecord Record(string id, ReleasePosition position, DateTimeOffset at) => new()
    {
        CatalogId = id,
        Release = new JsonObject { ["id"] = id, ["version"] = "1.0.0", ["releaseNotes"] = "é \"quoted\" \u2603", ["metadata"] = new JsonObject { ["k"] = 1 } },
        Position = position,
        DiscoveredAt = at,
        UpdatedAt = at.AddMinutes(5),
    };

    private async Task SaveAsync(ReleaseStore store, IEnumerable<ReleaseRecord> records) =>
        await store.WriteAsync(async (connection, transaction, ct) =>
        {
            foreach (var record in records)
            {
                await store.SaveAsync(connection, transaction, record, ct);
            }

            return true;
        }, CancellationToken.None);

    [Fact]
    public async Task LoadAsync_EveryColumnAndNull_ReadBackAsWritten()
    {
        var at = new DateTimeOffset(2026, 3, 12, 10, 0, 0, 123, TimeSpan.Zero);
        var full = Record("7.app@1.0.0", new ReleasePosition(ReleaseState.Delivery, DeliveryState.Download, DeliveryStatus.InProgress, null), at) with
        {
            IsPush = true,
            Offered = false,
            Dependencies = ["3.lib@2.0.0", "1.base@1.0.0"],
            Progress = 42.5,
            Eta = 17,
            ErrMsg = "disk \u2603 full",
            DownloadDuration = 9,
            ArtsDirPath = "/data/comps/7.app@1.0.0",
            HierarchyTrees = [new JsonObject { ["deviceTypes"] = new JsonArray() }],
        };
        var bare = Record("3.lib@2.0.0", new ReleasePosition(ReleaseState.Installed, null, null, DeploymentStatus.Done), at);
        await SaveAsync(new ReleaseStore(_database, []), [full, bare]);

        var loaded = await new ReleaseStore(_database, []).LoadAsync(CancellationToken.None);

        var app = loaded.Find("7.app@1.0.0")!.ToRecord();
        Assert.Equal(full.Position, app.Position);
        Assert.Equal((true, false, 42.5, 17L, "disk \u2603 full", 9, "/data/comps/7.app@1.0.0"),
            (app.IsPush, app.Offered, app.Progress!.Value, app.Eta!.Value, app.ErrMsg, app.DownloadDuration!.Value, app.ArtsDirPath));
        Assert.Equal(["1.base@1.0.0", "3.lib@2.0.0"], app.Dependencies);
        Assert.Equal((at, at.AddMinutes(5)), (app.DiscoveredAt, app.UpdatedAt));
        Assert.True(JsonNode.DeepEquals(full.Release, app.Release));
        Assert.True(JsonNode.DeepEquals(full.HierarchyTrees, app.HierarchyTrees));
        var lib = loaded.Find("3.lib@2.0.0")!.ToRecord();
        Assert.Equal(bare.Position, lib.Position);
        Assert.Equal((false, true, null, null, null, null, null, 0), (lib.IsPush, lib.Offered, lib.Progress, lib.Eta, lib.ErrMsg, lib.DownloadDuration, lib.ArtsDirPath, lib.Dependencies.Count));
        Assert.Null(lib.HierarchyTrees);
        Assert.Empty(lib.Artifacts);
    }

    [Theory]
    [InlineData("/data/comps/7.app@1.0.0")]
    [InlineData("/data/other/7.app@1.0.0")]
    [InlineData("/data/comps/7.app@1.0.0/")]
    [InlineData("/data/comps/x7.app@1.0.0")]
    [InlineData("7.app@1.0.0")]
    [InlineData("/data/comps/7.app@1.0.0.old")]
    [InlineData("/d\u00e9j\u00e0 vu/\u2603/7.app@1.0.0")]
    [InlineData("/data/comps/\ud800/7.app@1.0.0")]
    [InlineData("")]
    public async Task ArtsDirPath_AnyShape_ReadBackAsStoredWhetherWrittenOrLoaded(string path)
    {
        var at = new DateTimeOffset(2026, 3, 12, 10, 0, 0, TimeSpan.Zero);
        var position = new ReleasePosition(ReleaseState.Downloaded, DeliveryState.Done, DeliveryStatus.Done, null);
        // A row under the shared folder next to it, so the folder is the last one seen either way.
        var records = new[]
        {
            Record("7.app@1.0.0", position, at) with { ArtsDirPath = path },
            Record("8.app@1.0.0", position, at) with { ArtsDirPath = "/data/comps/8.app@1.0.0" },
        };
        var writer = new ReleaseStore(_database, []);
        await SaveAsync(writer, records);
        var stored = path.Contains('\ud800', StringComparison.Ordinal) ? path.Replace('\ud800', '\ufffd') : path;

        var written = (await writer.SnapshotAsync(CancellationToken.None)).Find("7.app@1.0.0")!;
        var loaded = (await new ReleaseStore(_database, []).LoadAsync(CancellationToken.None)).Find("7.app@1.0.0")!;

        Assert.Equal(stored, written.ArtsDirPath);
        Assert.Equal(stored, loaded.ArtsDirPath);
        Assert.Equal(stored, loaded.ToRecord().ArtsDirPath);
        Assert.Equal("/data/comps/8.app@1.0.0", (await new ReleaseStore(_database, []).LoadAsync(CancellationToken.None)).Find("8.app@1.0.0")!.ArtsDirPath);
    }

    [Fact]
    public async Task LoadAsync_ThousandsOfRows_AllOfThemInOrder()
    {
        var at = DateTimeOffset.UnixEpoch;
        var records = Enumerable.Range(1, 2500)
            .Select(i => Record($"{i}.app-{i}@1.0.0", new ReleasePosition(ReleaseState.Downloaded, DeliveryState.Done, DeliveryStatus.Done, null), at.AddSeconds(i)))
            .ToList();
        await SaveAsync(new ReleaseStore(_database, []), records);

        var loaded = await new ReleaseStore(_database, []).LoadAsync(CancellationToken.None);

        Assert.Equal(records.Select(r => r.CatalogId).Order(Utf8Ordinal.Comparer), loaded.Select(r => r.CatalogId));
        Assert.All(loaded, row => Assert.Equal(ReleaseState.Downloaded, row.State));
        Assert.Equal(at.AddSeconds(1234), loaded.Find("1234.app-1234@1.0.0")!.DiscoveredAt);
    }

    [Fact]
    public async Task LoadAsync_UnknownStateInTheTable_ClearErrorNamingTheValue()
    {
        await SaveAsync(new ReleaseStore(_database, []), [Record("7.app@1.0.0", new ReleasePosition(ReleaseState.Offering, null, null, null), DateTimeOffset.UnixEpoch)]);
        await using (var connection = await _database.OpenAsync(CancellationToken.None))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE releases SET state = 'floating';";
            await command.ExecuteNonQueryAsync();
        }

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new ReleaseStore(_database, []).LoadAsync(CancellationToken.None));

        Assert.Contains("'floating'", e.Message);
    }
}
