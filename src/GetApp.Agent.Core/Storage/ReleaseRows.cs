using System.Globalization;
using System.Text;
using GetApp.Agent.Core.Releases;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Storage;

/// <summary>The SQL of the <c>releases</c> and <c>release_dependencies</c> tables: rows in, rows out. Only <see cref="ReleaseStore"/> calls it.</summary>
internal static class ReleaseRows
{
    private const string Columns =
        "catalog_id, release_json, artifacts_json, hierarchy_json, is_push, offered, state, delivery_state, delivery_status, " +
        "deploy_status, progress, eta, err_msg, download_duration, arts_dir_path, discovered_at, updated_at";

    private static readonly Dictionary<string, ReleaseState> States = Enum.GetValues<ReleaseState>().ToDictionary(Wire.Of, s => s, StringComparer.Ordinal);
    private static readonly Dictionary<string, DeliveryState> DeliveryStates = Enum.GetValues<DeliveryState>().ToDictionary(s => Wire.Of(s), s => s, StringComparer.Ordinal);
    private static readonly Dictionary<string, DeliveryStatus> DeliveryStatuses = Enum.GetValues<DeliveryStatus>().ToDictionary(s => s.ToString(), s => s, StringComparer.Ordinal);
    private static readonly Dictionary<string, DeploymentStatus> DeployStatuses = Enum.GetValues<DeploymentStatus>().ToDictionary(s => s.ToString(), s => s, StringComparer.Ordinal);

    public static async Task<List<ReleaseRow>> ReadAllAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        var dependencies = await ReadAllDependenciesAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM releases ORDER BY catalog_id;";
        var rows = new List<ReleaseRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            rows.Add(new ReleaseRow(Read(reader, id, dependencies.TryGetValue(id, out var deps) ? deps : [])));
        }

        return rows;
    }

    public static async Task SaveAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRow release, CancellationToken cancellationToken)
    {
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText =
                $"INSERT OR REPLACE INTO releases ({Columns}) VALUES ($id, $release, $artifacts, $hierarchy, $push, $offered, $state, " +
                "$deliveryState, $deliveryStatus, $deployStatus, $progress, $eta, $err, $duration, $arts, $discovered, $updated);";
            var p = command.Parameters;
            p.AddWithValue("$id", release.CatalogId);
            p.AddWithValue("$release", Encoding.UTF8.GetString(release.ReleaseJson));
            p.AddWithValue("$artifacts", Encoding.UTF8.GetString(release.ArtifactsJson));
            p.AddWithValue("$hierarchy", release.HierarchyJson is { } hierarchy ? Encoding.UTF8.GetString(hierarchy) : DBNull.Value);
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

    private static ReleaseRecord Read(SqliteDataReader r, string catalogId, IReadOnlyList<string> dependencies) =>
        new(catalogId, Utf8(r, 1)!, Utf8(r, 2)!, Utf8(r, 3),
            new ReleasePosition(
                States[r.GetString(6)],
                r.IsDBNull(7) ? null : DeliveryStates[r.GetString(7)],
                r.IsDBNull(8) ? null : DeliveryStatuses[r.GetString(8)],
                r.IsDBNull(9) ? null : DeployStatuses[r.GetString(9)]),
            Date(r.GetString(15)),
            Date(r.GetString(16)))
        {
            IsPush = r.GetBoolean(4),
            Offered = r.GetBoolean(5),
            Progress = r.IsDBNull(10) ? null : r.GetDouble(10),
            Eta = r.IsDBNull(11) ? null : r.GetInt64(11),
            ErrMsg = r.IsDBNull(12) ? null : r.GetString(12),
            DownloadDuration = r.IsDBNull(13) ? null : r.GetInt32(13),
            ArtsDirPath = r.IsDBNull(14) ? null : r.GetString(14),
            Dependencies = dependencies,
        };

    // Stored with "O"; its exact parse is the fast path (thousands of rows are read at start).
    private static DateTimeOffset Date(string text) =>
        DateTimeOffset.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    // A TEXT column's bytes as SQLite holds them (UTF-8), without a detour through a .NET string.
    private static byte[]? Utf8(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetFieldValue<byte[]>(ordinal);

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
