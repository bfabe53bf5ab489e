using System.Globalization;
using System.Text;
using GetApp.Agent.Core.Releases;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace GetApp.Agent.Core.Storage;

/// <summary>The SQL of the <c>releases</c> and <c>release_dependencies</c> tables: rows in, rows out. Only <see cref="ReleaseStore"/> calls it.</summary>
internal static class ReleaseRows
{
    private const string Columns =
        "catalog_id, release_json, artifacts_json, hierarchy_json, is_push, offered, state, delivery_state, delivery_status, " +
        "deploy_status, progress, eta, err_msg, download_duration, arts_dir_path, discovered_at, updated_at";

    /// <summary>
    /// Every row, in catalog id order. Read with SQLite's own column accessors, straight into rows: every start reads
    /// them all before the API answers, and per-column reader objects and intermediate records would cost more than
    /// SQLite does. Runs on <paramref name="connection"/>, so inside its transaction when it has one.
    /// </summary>
    public static async Task<List<ReleaseRow>> ReadAllAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        var dependencies = await ReadDependenciesAsync(connection, transaction, null, cancellationToken).ConfigureAwait(false);
        return RowReader.ReadAll(connection, $"SELECT {Columns} FROM releases ORDER BY catalog_id;", dependencies, cancellationToken);
    }

    /// <summary>One row, or null: for a read while the read model is still loading (<see cref="ReleaseStore.FindStoredAsync"/>).</summary>
    public static async Task<ReleaseRow?> ReadOneAsync(SqliteConnection connection, string catalogId, CancellationToken cancellationToken)
    {
        var dependencies = await ReadDependenciesAsync(connection, null, catalogId, cancellationToken).ConfigureAwait(false);
        var rows = RowReader.ReadAll(connection, $"SELECT {Columns} FROM releases WHERE catalog_id = ?1;", dependencies, cancellationToken, catalogId);
        return rows.Count == 0 ? null : rows[0];
    }

    public static Task SaveAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRow release, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var writer = new Writer(connection);
        writer.Save(release);
        return Task.CompletedTask;
    }

    public static Task DeleteAsync(SqliteConnection connection, SqliteTransaction transaction, string catalogId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var writer = new Writer(connection);
        writer.Delete(catalogId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes rows with statements prepared once and reused (a discovery writes thousands in one transaction), binding
    /// the stored JSON as the UTF-8 text it already is: no command, parameter or string per row. Runs on the
    /// connection's open transaction; dispose it before the transaction ends.
    /// </summary>
    internal sealed class Writer(SqliteConnection connection) : IDisposable
    {
        private static readonly Dictionary<ReleaseState, byte[]> States = Enum.GetValues<ReleaseState>().ToDictionary(s => s, s => Encoding.UTF8.GetBytes(Wire.Of(s)));
        private static readonly Dictionary<DeliveryState, byte[]> DeliveryStates = Enum.GetValues<DeliveryState>().ToDictionary(s => s, s => Encoding.UTF8.GetBytes(Wire.Of(s)));

        private readonly sqlite3 _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        private sqlite3_stmt? _save;
        private sqlite3_stmt? _deleteDependencies;
        private sqlite3_stmt? _insertDependency;
        private sqlite3_stmt? _delete;

        /// <summary>Inserts or replaces the row and its dependency edges.</summary>
        public void Save(ReleaseRow release)
        {
            var save = Prepare(ref _save, $"INSERT OR REPLACE INTO releases ({Columns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17);");
            var position = release.Position;
            Text(save, 1, release.CatalogId);
            Text(save, 2, release.ReleaseJson);
            Text(save, 3, release.ArtifactsJson);
            Text(save, 4, release.HierarchyJson);
            Check(raw.sqlite3_bind_int64(save, 5, release.IsPush ? 1 : 0));
            Check(raw.sqlite3_bind_int64(save, 6, release.Offered ? 1 : 0));
            Text(save, 7, States[position.State]);
            Text(save, 8, position.DeliveryState is { } deliveryState ? DeliveryStates[deliveryState] : null);
            Text(save, 9, position.DeliveryStatus?.ToString());
            Text(save, 10, position.DeployStatus?.ToString());
            Check(release.Progress is { } progress ? raw.sqlite3_bind_double(save, 11, progress) : raw.sqlite3_bind_null(save, 11));
            Check(release.Eta is { } eta ? raw.sqlite3_bind_int64(save, 12, eta) : raw.sqlite3_bind_null(save, 12));
            Text(save, 13, release.ErrMsg);
            Check(release.DownloadDuration is { } duration ? raw.sqlite3_bind_int64(save, 14, duration) : raw.sqlite3_bind_null(save, 14));
            Text(save, 15, release.ArtsDirPath);
            Date(save, 16, release.DiscoveredAt);
            Date(save, 17, release.UpdatedAt);
            Run(save);

            var deleteDependencies = Prepare(ref _deleteDependencies, "DELETE FROM release_dependencies WHERE catalog_id = ?1;");
            Text(deleteDependencies, 1, release.CatalogId);
            Run(deleteDependencies);

            foreach (var dependency in release.Dependencies)
            {
                var insert = Prepare(ref _insertDependency, "INSERT OR IGNORE INTO release_dependencies (catalog_id, depends_on) VALUES (?1, ?2);");
                Text(insert, 1, release.CatalogId);
                Text(insert, 2, dependency);
                Run(insert);
            }
        }

        /// <summary>Deletes the row and its dependency edges.</summary>
        public void Delete(string catalogId)
        {
            var deleteDependencies = Prepare(ref _deleteDependencies, "DELETE FROM release_dependencies WHERE catalog_id = ?1;");
            Text(deleteDependencies, 1, catalogId);
            Run(deleteDependencies);
            var delete = Prepare(ref _delete, "DELETE FROM releases WHERE catalog_id = ?1;");
            Text(delete, 1, catalogId);
            Run(delete);
        }

        public void Dispose()
        {
            _save?.Dispose();
            _deleteDependencies?.Dispose();
            _insertDependency?.Dispose();
            _delete?.Dispose();
        }

        private sqlite3_stmt Prepare(ref sqlite3_stmt? statement, string sql)
        {
            if (statement is null)
            {
                Check(raw.sqlite3_prepare_v2(_db, sql, out var prepared));
                statement = prepared;
            }

            return statement;
        }

        private void Run(sqlite3_stmt statement)
        {
            var rc = raw.sqlite3_step(statement);
            // Reset at once, so that no statement holds the transaction (its commit, or its rollback) back.
            raw.sqlite3_reset(statement);
            raw.sqlite3_clear_bindings(statement);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }

        private void Text(sqlite3_stmt statement, int index, ReadOnlySpan<byte> utf8) => Check(raw.sqlite3_bind_text(statement, index, utf8));

        private void Text(sqlite3_stmt statement, int index, byte[]? utf8) =>
            Check(utf8 is null ? raw.sqlite3_bind_null(statement, index) : raw.sqlite3_bind_text(statement, index, utf8.AsSpan()));

        private void Text(sqlite3_stmt statement, int index, string? text) =>
            Check(text is null ? raw.sqlite3_bind_null(statement, index) : raw.sqlite3_bind_text(statement, index, text));

        private void Date(sqlite3_stmt statement, int index, DateTimeOffset value)
        {
            Span<byte> utf8 = stackalloc byte[64];
            if (!value.TryFormat(utf8, out var length, "O", CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException("a date does not fit its buffer");
            }

            Text(statement, index, utf8[..length]);
        }

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }
    }

    /// <summary>What each release depends on: every release's, or <paramref name="catalogId"/>'s alone.</summary>
    private static async Task<Dictionary<string, List<string>>> ReadDependenciesAsync(SqliteConnection connection, SqliteTransaction? transaction, string? catalogId,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        if (catalogId is null)
        {
            command.CommandText = "SELECT catalog_id, depends_on FROM release_dependencies ORDER BY catalog_id, depends_on;";
        }
        else
        {
            command.CommandText = "SELECT catalog_id, depends_on FROM release_dependencies WHERE catalog_id = $id ORDER BY depends_on;";
            command.Parameters.AddWithValue("$id", catalogId);
        }

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
