using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Upstream;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Releases and their dependency edges in SQLite. Writes are serialised through one lock (one agent process
/// owns the data dir), and each write is one transaction, so a transition is either fully stored or not at all.
/// </summary>
public sealed class ReleaseStore(AgentDatabase database, IEnumerable<IReleaseWriteListener> listeners)
{
    private const string Columns =
        "catalog_id, release_json, artifacts_json, hierarchy_json, is_push, offered, state, delivery_state, delivery_status, " +
        "deploy_status, progress, eta, err_msg, download_duration, arts_dir_path, discovered_at, updated_at";

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly IReleaseWriteListener[] _listeners = [.. listeners];

    public async Task<ReleaseRecord?> FindAsync(string catalogId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await FindAsync(connection, null, catalogId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ReleaseRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ListAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<ReleaseRecord>> ListAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        var dependencies = await ReadAllDependenciesAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM releases ORDER BY catalog_id;";
        var list = new List<ReleaseRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            list.Add(Read(reader, dependencies.TryGetValue(id, out var deps) ? deps : []));
        }

        return list;
    }

    /// <summary>
    /// Reads the release, lets <paramref name="change"/> decide its new value (or null to leave it), and stores it,
    /// all under the write lock and in one transaction.
    /// </summary>
    public Task<T> UpdateAsync<T>(string catalogId, Func<ReleaseRecord?, (ReleaseRecord? NewValue, T Result)> change, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction, ct) =>
        {
            var before = await FindAsync(connection, transaction, catalogId, ct).ConfigureAwait(false);
            var (after, result) = change(before);
            if (after is not null && before is not null)
            {
                await SaveAsync(connection, transaction, after, ct).ConfigureAwait(false);
                foreach (var listener in _listeners)
                {
                    await listener.OnReleaseWrittenAsync(connection, transaction, before, after, ct).ConfigureAwait(false);
                }
            }

            return result;
        }, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one write transaction: for discovery, which adds, changes and removes many releases at once.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // On a full disk the database gives back its space reserve and tries once more: a move is always recorded.
            return await database.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public static async Task<ReleaseRecord?> FindAsync(SqliteConnection connection, SqliteTransaction? transaction, string catalogId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM releases WHERE catalog_id = $id;";
        command.Parameters.AddWithValue("$id", catalogId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var dependencies = await ReadDependenciesAsync(connection, transaction, catalogId, cancellationToken).ConfigureAwait(false);
        return Read(reader, dependencies);
    }

    /// <summary>Inserts or replaces the release row and its dependency edges.</summary>
    public static async Task SaveAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRecord release, CancellationToken cancellationToken)
    {
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText =
                $"INSERT OR REPLACE INTO releases ({Columns}) VALUES ($id, $release, $artifacts, $hierarchy, $push, $offered, $state, " +
                "$deliveryState, $deliveryStatus, $deployStatus, $progress, $eta, $err, $duration, $arts, $discovered, $updated);";
            var p = command.Parameters;
            p.AddWithValue("$id", release.CatalogId);
            p.AddWithValue("$release", release.Release.ToJsonString());
            p.AddWithValue("$artifacts", JsonSerializer.Serialize(release.Artifacts, AgentJson.Context.IReadOnlyListArtifactSpec));
            p.AddWithValue("$hierarchy", (object?)release.HierarchyTrees?.ToJsonString() ?? DBNull.Value);
            p.AddWithValue("$push", release.IsPush);
            p.AddWithValue("$offered", release.Offered);
            p.AddWithValue("$state", Wire.Of(release.Position.State));
            p.AddWithValue("$deliveryState", release.Position.DeliveryState is { } ds ? Wire.Of(ds) : DBNull.Value);
            p.AddWithValue("$deliveryStatus", (object?)release.Position.DeliveryStatus?.ToString() ?? DBNull.Value);
            p.AddWithValue("$deployStatus", (object?)release.Position.DeployStatus?.ToString() ?? DBNull.Value);
            p.AddWithValue("$progress", (object?)release.Progress ?? DBNull.Value);
            p.AddWithValue("$eta", (object?)release.Eta ?? DBNull.Value);
            p.AddWithValue("$err", (object?)release.ErrMsg ?? DBNull.Value);
            p.AddWithValue("$duration", (object?)release.DownloadDuration ?? DBNull.Value);
            p.AddWithValue("$arts", (object?)release.ArtsDirPath ?? DBNull.Value);
            p.AddWithValue("$discovered", release.DiscoveredAt.ToString("O", CultureInfo.InvariantCulture));
            p.AddWithValue("$updated", release.UpdatedAt.ToString("O", CultureInfo.InvariantCulture));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM release_dependencies WHERE catalog_id = $id;";
            delete.Parameters.AddWithValue("$id", release.CatalogId);
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var dependency in release.Dependencies)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR IGNORE INTO release_dependencies (catalog_id, depends_on) VALUES ($id, $dep);";
            insert.Parameters.AddWithValue("$id", release.CatalogId);
            insert.Parameters.AddWithValue("$dep", dependency);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task DeleteAsync(SqliteConnection connection, SqliteTransaction transaction, string catalogId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM release_dependencies WHERE catalog_id = $id; DELETE FROM releases WHERE catalog_id = $id;";
        command.Parameters.AddWithValue("$id", catalogId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static ReleaseRecord Read(SqliteDataReader r, IReadOnlyList<string> dependencies) => new()
    {
        CatalogId = r.GetString(0),
        Release = JsonNode.Parse(r.GetString(1)) as JsonObject ?? [],
        Artifacts = JsonSerializer.Deserialize(r.GetString(2), AgentJson.Context.IReadOnlyListArtifactSpec) ?? [],
        HierarchyTrees = r.IsDBNull(3) ? null : JsonNode.Parse(r.GetString(3)) as JsonArray,
        IsPush = r.GetBoolean(4),
        Offered = r.GetBoolean(5),
        Position = new ReleasePosition(
            Wire.ParseState(r.GetString(6)),
            r.IsDBNull(7) ? null : Wire.ParseDeliveryState(r.GetString(7)),
            r.IsDBNull(8) ? null : Enum.Parse<DeliveryStatus>(r.GetString(8)),
            r.IsDBNull(9) ? null : Enum.Parse<DeploymentStatus>(r.GetString(9))),
        Progress = r.IsDBNull(10) ? null : r.GetDouble(10),
        Eta = r.IsDBNull(11) ? null : r.GetInt64(11),
        ErrMsg = r.IsDBNull(12) ? null : r.GetString(12),
        DownloadDuration = r.IsDBNull(13) ? null : r.GetInt32(13),
        ArtsDirPath = r.IsDBNull(14) ? null : r.GetString(14),
        DiscoveredAt = DateTimeOffset.Parse(r.GetString(15), CultureInfo.InvariantCulture),
        UpdatedAt = DateTimeOffset.Parse(r.GetString(16), CultureInfo.InvariantCulture),
        Dependencies = dependencies,
    };

    private static async Task<IReadOnlyList<string>> ReadDependenciesAsync(SqliteConnection connection, SqliteTransaction? transaction, string catalogId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT depends_on FROM release_dependencies WHERE catalog_id = $id ORDER BY depends_on;";
        command.Parameters.AddWithValue("$id", catalogId);
        var list = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }

    private static async Task<Dictionary<string, List<string>>> ReadAllDependenciesAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT catalog_id, depends_on FROM release_dependencies ORDER BY catalog_id, depends_on;";
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            if (!map.TryGetValue(id, out var list))
            {
                map[id] = list = [];
            }

            list.Add(reader.GetString(1));
        }

        return map;
    }
}
