using System.Globalization;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Deploy;

/// <summary>Reads deploy records and changes the engine's own columns (message log, details), under the store's write lock.</summary>
public sealed class DeployRecordStore(AgentDatabase database, ReleaseStore releases, ReleaseService moves, TimeProvider timeProvider)
{
    private const string Columns = "catalog_id, status, requested_status, progress, eta, message_log, started_at, stopped_at, completed_at, details_json, updated_at";

    public async Task<DeployRecord?> FindAsync(string catalogId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM deployments WHERE catalog_id = $id;";
        command.Parameters.AddWithValue("$id", catalogId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>Raised after a record's message log or details were changed (not its lifecycle columns: those move with the release).</summary>
    public event Action<string>? Updated;

    /// <summary>Sets the message log (when given) and edits the details of an existing record; false when there is none.</summary>
    public async Task<bool> UpdateAsync(string catalogId, string? messageLog, Action<JsonObject>? editDetails, CancellationToken cancellationToken)
    {
        var updated = await WriteAsync(catalogId, messageLog, editDetails, cancellationToken).ConfigureAwait(false);
        if (updated)
        {
            Updated?.Invoke(catalogId);
        }

        return updated;
    }

    /// <summary>
    /// Moves the release and, in the same transaction, sets its record's message log (when given) and edits its
    /// details: no reader sees the move (installed, deploy/Error, ...) without the message that explains it.
    /// </summary>
    public async Task<MoveResult> MoveAsync(string catalogId, ReleaseAction action, ReleaseChange? change, string? messageLog, Action<JsonObject>? editDetails,
        CancellationToken cancellationToken)
    {
        var written = false;
        ReleaseWriteAlongside? alongside = messageLog is null && editDetails is null
            ? null
            : async (connection, transaction, ct) => written = await WriteAsync(connection, transaction, catalogId, messageLog, editDetails, ct).ConfigureAwait(false);
        var moved = await moves.MoveAsync(catalogId, action, change, cancellationToken, alongside).ConfigureAwait(false);
        if (moved.Succeeded && written)
        {
            Updated?.Invoke(catalogId);
        }

        return moved;
    }

    private Task<bool> WriteAsync(string catalogId, string? messageLog, Action<JsonObject>? editDetails, CancellationToken cancellationToken) =>
        releases.WriteAsync((connection, transaction, ct) => WriteAsync(connection, transaction, catalogId, messageLog, editDetails, ct), cancellationToken);

    private async Task<bool> WriteAsync(SqliteConnection connection, SqliteTransaction transaction, string catalogId, string? messageLog,
        Action<JsonObject>? editDetails, CancellationToken ct)
    {
        JsonObject details;
        await using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = "SELECT details_json FROM deployments WHERE catalog_id = $id;";
            select.Parameters.AddWithValue("$id", catalogId);
            var value = await select.ExecuteScalarAsync(ct).ConfigureAwait(false);
            if (value is null)
            {
                return false;
            }

            details = value is string json ? JsonNode.Parse(json) as JsonObject ?? [] : [];
        }

        editDetails?.Invoke(details);
        await using var update = connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = "UPDATE deployments SET message_log = COALESCE($log, message_log), details_json = $details, updated_at = $now WHERE catalog_id = $id;";
        update.Parameters.AddWithValue("$id", catalogId);
        update.Parameters.AddWithValue("$log", (object?)messageLog ?? DBNull.Value);
        update.Parameters.AddWithValue("$details", details.ToJsonString());
        update.Parameters.AddWithValue("$now", Format(timeProvider.GetUtcNow()));
        await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return true;
    }

    internal static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DeployRecord Read(SqliteDataReader r) => new()
    {
        CatalogId = r.GetString(0),
        Status = Enum.TryParse<DeploymentStatus>(r.GetString(1), out var status) ? status : null,
        RequestedStatus = !r.IsDBNull(2) && Enum.TryParse<DeploymentStatus>(r.GetString(2), out var requested) ? requested : null,
        Progress = r.IsDBNull(3) ? null : r.GetInt32(3),
        Eta = r.IsDBNull(4) ? null : r.GetInt64(4),
        MessageLog = r.IsDBNull(5) ? null : r.GetString(5),
        StartedAt = Date(r, 6),
        StoppedAt = Date(r, 7),
        CompletedAt = Date(r, 8),
        Details = r.IsDBNull(9) ? [] : JsonNode.Parse(r.GetString(9)) as JsonObject ?? [],
        UpdatedAt = Date(r, 10) ?? DateTimeOffset.MinValue,
    };

    private static DateTimeOffset? Date(SqliteDataReader r, int ordinal) =>
        r.IsDBNull(ordinal) ? null : DateTimeOffset.Parse(r.GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
