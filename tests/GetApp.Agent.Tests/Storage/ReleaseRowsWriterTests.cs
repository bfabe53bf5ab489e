using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Tests.Storage;

/// <summary>
/// Rows are written through statements prepared once and reused, with the JSON bound as the UTF-8 it is: the table must
/// hold exactly what it held when each value went through its own command (text, not blobs, so SQLite's JSON functions
/// and the offline tools read it), row after row, in one transaction or a rolled back one.
/// </summary>
public sealed class ReleaseRowsWriterTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("getapp-rows").FullName;
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

    private static ReleaseRow Row(string id, ReleasePosition position, params string[] dependencies) => new(new ReleaseRecord
    {
        CatalogId = id,
        Release = new JsonObject { ["id"] = id, ["version"] = "1.0.0", ["releaseNotes"] = "é \u2603 😀" },
        Position = position,
        DiscoveredAt = new DateTimeOffset(2026, 3, 12, 10, 0, 0, 123, TimeSpan.FromHours(2)),
        UpdatedAt = new DateTimeOffset(2026, 3, 12, 10, 5, 0, TimeSpan.Zero),
        HierarchyTrees = [new JsonObject { ["deviceTypes"] = new JsonArray() }],
        Dependencies = dependencies,
        Progress = position.State == ReleaseState.Delivery ? 12.5 : null,
        ErrMsg = position.State == ReleaseState.Delivery ? "e \u2603" : null,
    });

    private async Task<List<string>> QueryAsync(string sql)
    {
        await using var connection = await _database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "NULL" : reader.GetValue(i).ToString())));
        }

        return rows;
    }

    [Fact]
    public async Task Writer_ManyRowsAndEdges_StoredAsTextAndReadBackAsWritten()
    {
        var store = new ReleaseStore(_database, []);
        var rows = Enumerable.Range(1, 300)
            .Select(i => Row($"{i}.app@1.0.0", i % 2 == 0 ? new ReleasePosition(ReleaseState.Offering, null, null, null)
                : new ReleasePosition(ReleaseState.Delivery, DeliveryState.Download, DeliveryStatus.InProgress, null), i > 1 ? [$"{i - 1}.app@1.0.0", "1.app@1.0.0"] : []))
            .ToList();
        await store.WriteAsync((connection, _, _) =>
        {
            using var writer = new ReleaseRows.Writer(connection);
            foreach (var row in rows)
            {
                store.Save(writer, row);
            }

            // Written again with other edges, and one deleted: the statements are reused for each.
            store.Save(writer, Row("5.app@1.0.0", new ReleasePosition(ReleaseState.Push, null, null, null), "2.app@1.0.0"));
            store.Delete(writer, "7.app@1.0.0");
            return Task.FromResult(true);
        }, CancellationToken.None);

        var types = await QueryAsync(
            "SELECT DISTINCT typeof(catalog_id), typeof(release_json), typeof(artifacts_json), typeof(hierarchy_json), typeof(state), typeof(discovered_at), typeof(is_push), typeof(offered) FROM releases;");
        Assert.Equal(["text|text|text|text|text|text|integer|integer"], types);
        Assert.Equal(["é \u2603 😀|2026-03-12T10:00:00.1230000+02:00|delivery|download|InProgress|12.5|e \u2603"],
            await QueryAsync("SELECT json_extract(release_json, '$.releaseNotes'), discovered_at, state, delivery_state, delivery_status, progress, err_msg FROM releases WHERE catalog_id = '3.app@1.0.0';"));
        Assert.Equal(["2.app@1.0.0"], await QueryAsync("SELECT depends_on FROM release_dependencies WHERE catalog_id = '5.app@1.0.0';"));
        Assert.Empty(await QueryAsync("SELECT * FROM releases WHERE catalog_id = '7.app@1.0.0';"));
        Assert.Empty(await QueryAsync("SELECT * FROM release_dependencies WHERE catalog_id = '7.app@1.0.0';"));

        var loaded = await new ReleaseStore(_database, []).LoadAsync(CancellationToken.None);
        Assert.Equal(299, loaded.Count);
        foreach (var row in loaded)
        {
            var written = row.CatalogId == "5.app@1.0.0" ? Row("5.app@1.0.0", new ReleasePosition(ReleaseState.Push, null, null, null), "2.app@1.0.0")
                : rows.Single(r => r.CatalogId == row.CatalogId);
            Assert.True(new ReleaseRow(written.ToRecord()).SameOfferAs(row), row.CatalogId);
            Assert.Equal((written.Progress, written.ErrMsg, written.DiscoveredAt, written.UpdatedAt), (row.Progress, row.ErrMsg, row.DiscoveredAt, row.UpdatedAt));
        }

        Assert.Equal(loaded.Select(r => r.CatalogId), (await store.SnapshotAsync(CancellationToken.None)).Select(r => r.CatalogId));
    }

    [Fact]
    public async Task Writer_TransactionThatFails_LeavesNothing()
    {
        var store = new ReleaseStore(_database, []);

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync<bool>((connection, _, _) =>
        {
            using var writer = new ReleaseRows.Writer(connection);
            store.Save(writer, Row("1.app@1.0.0", new ReleasePosition(ReleaseState.Offering, null, null, null)));
            throw new InvalidOperationException("stop");
        }, CancellationToken.None));

        Assert.Empty(await QueryAsync("SELECT catalog_id FROM releases;"));
        Assert.Empty(await store.SnapshotAsync(CancellationToken.None));
    }
}
