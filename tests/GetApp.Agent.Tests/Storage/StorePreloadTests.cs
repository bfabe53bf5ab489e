using System.Text.Json.Nodes;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Tests.Storage;

/// <summary>
/// The start reads the releases while the host is built: what it reads early must be what the store would have read,
/// only under the data dir's lock, and never from a database that still needs migrating.
/// </summary>
public sealed class StorePreloadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("getapp-preload").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task SeedAsync(int count)
    {
        var database = new AgentDatabase(_dir);
        await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        var store = new ReleaseStore(database, []);
        var at = new DateTimeOffset(2026, 5, 1, 8, 0, 0, TimeSpan.Zero);
        await store.WriteAsync(async (connection, transaction, ct) =>
        {
            for (var i = 0; i < count; i++)
            {
                var id = $"{i}.app-{i}@1.0.{i % 7}";
                var position = (i % 3) switch
                {
                    0 => new ReleasePosition(ReleaseState.Offering, null, null, null),
                    1 => new ReleasePosition(ReleaseState.Delivery, DeliveryState.Download, DeliveryStatus.InProgress, null),
                    _ => new ReleasePosition(ReleaseState.Installed, null, null, DeploymentStatus.Done),
                };
                await store.SaveAsync(connection, transaction, new ReleaseRecord
                {
                    CatalogId = id,
                    Release = new JsonObject { ["id"] = id, ["version"] = $"1.0.{i % 7}", ["releaseNotes"] = $"n\u00e9 {i}" },
                    Position = position,
                    Progress = i % 3 == 1 ? i : null,
                    Dependencies = i > 0 && i % 5 == 0 ? [$"{i - 1}.app-{i - 1}@1.0.{(i - 1) % 7}"] : [],
                    DiscoveredAt = at.AddSeconds(i),
                    UpdatedAt = at.AddSeconds(i + 1),
                }, ct);
            }

            return true;
        }, CancellationToken.None);
        SqliteConnection.ClearAllPools();
    }

    private static string Render(ReleaseSnapshot snapshot) =>
        string.Join('\n', snapshot.Select(r => r.ToRecord()).Select(r =>
            $"{r.CatalogId}|{r.Position}|{r.Progress}|{string.Join(',', r.Dependencies)}|{r.DiscoveredAt:O}|{r.UpdatedAt:O}|{r.Release.ToJsonString()}"));

    [Fact]
    public async Task Start_CurrentSchema_ReadsEveryRowAsTheStoreWould_UnderTheDataDirLock()
    {
        await SeedAsync(BulkLoad.MinRows + 100);
        var expected = Render(await new ReleaseStore(new AgentDatabase(_dir), []).LoadAsync(CancellationToken.None));

        var preload = StorePreload.Start(_dir);
        await preload.Opened;
        var rows = await preload.RowsAsync();

        Assert.NotNull(rows);
        Assert.Equal(expected, Render(await new ReleaseStore(preload.Database, []).LoadAsync(rows, CancellationToken.None)));
        // The lock is held: another agent cannot open the same data dir while this one starts.
        Assert.Throws<StoreException>(() => new DataDirectory(_dir).Open());
        preload.Directory.Dispose();
    }

    [Fact]
    public async Task Start_DatabaseThatNeedsMigrating_ReadsNothingEarly()
    {
        await SeedAsync(3);
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, AgentDatabase.FileName)};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {SchemaMigrator.CurrentVersion - 1};";
            await command.ExecuteNonQueryAsync();
        }

        var preload = StorePreload.Start(_dir);
        await preload.Opened;

        Assert.Null(await preload.RowsAsync());
        preload.Directory.Dispose();
    }

    [Fact]
    public async Task Start_DataDirInUse_OpenedFailsWithTheReason_AndNothingIsRead()
    {
        using var other = new DataDirectory(_dir);
        other.Open();

        var preload = StorePreload.Start(_dir);

        var e = await Assert.ThrowsAsync<StoreException>(() => preload.Opened);
        Assert.Contains("in use by another agent", e.Message, StringComparison.Ordinal);
        Assert.Null(await preload.RowsAsync());
    }

    [Fact]
    public async Task Abandon_TheHostWillNotStart_UnlocksTheDataDir()
    {
        await SeedAsync(2);
        var preload = StorePreload.Start(_dir);
        await preload.Opened;

        preload.Abandon();

        using var next = new DataDirectory(_dir);
        next.Open();
    }
}
