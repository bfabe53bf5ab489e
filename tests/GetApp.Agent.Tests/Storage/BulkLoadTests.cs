using System.Runtime;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Tests.Storage;

/// <summary>
/// The start's no-GC region must not outlive the read: garbage made after it (the start's discovery) is collected as
/// the agent's small young generation allows, not piled up until the room the region reserved is spent.
/// </summary>
[Collection(nameof(BulkLoadTests))]
[CollectionDefinition(nameof(BulkLoadTests), DisableParallelization = true)]
public sealed class BulkLoadTests : IAsyncLifetime
{
    private static object? s_sink;
    private readonly string _dir = Directory.CreateTempSubdirectory("getapp-bulkload").FullName;
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

    [Fact]
    public async Task Dispose_AfterTheRegion_GarbageIsCollectedAgain()
    {
        await using var connection = await _database.OpenAsync(CancellationToken.None);
        await using (var fill = connection.CreateCommand())
        {
            // Enough rows for a region, and a file far larger than they are (the region is sized from the file): MiBs
            // of room left when the read ends.
            fill.CommandText = """
                BEGIN;
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
                INSERT INTO releases (catalog_id, release_json, artifacts_json, is_push, offered, state, discovered_at, updated_at)
                SELECT i || '.app@1.0.0', '{}', '[]', 0, 1, 'offering', '2026-01-01T00:00:00.0000000+00:00', '2026-01-01T00:00:00.0000000+00:00' FROM n;
                CREATE TABLE filler (b BLOB);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 64) INSERT INTO filler SELECT zeroblob(1048576) FROM n;
                COMMIT;
                """;
            await fill.ExecuteNonQueryAsync();
        }

        // The GC sizes the young generation from the collections it has seen: some garbage first, as a running agent has made.
        MakeGarbage();
        using (await BulkLoad.StartAsync(connection, CancellationToken.None))
        {
            Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        }

        var young = GC.CollectionCount(0);
        MakeGarbage();

        // Without the young collection at the end of the region: none at all (the region's room took it all).
        Assert.True(GC.CollectionCount(0) - young >= 2, $"32 MiB of garbage after the region went through {GC.CollectionCount(0) - young} young collection(s)");
    }

    private static void MakeGarbage()
    {
        for (var i = 0; i < 32 * 1024; i++)
        {
            s_sink = new byte[1024];
        }

        GC.KeepAlive(s_sink);
    }
}
