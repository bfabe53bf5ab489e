using System.Globalization;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Per-artifact delivery records (<c>artifact_deliveries</c>): where an artifact comes from (masked: no user info, no query), how many bytes are on disk,
/// and the validator (ETag or Last-Modified) that makes a resumed Range request safe (<c>If-Range</c>).
/// </summary>
public sealed class ArtifactDeliveryStore(AgentDatabase database, TimeProvider timeProvider)
{
    public async Task<string?> FindValidatorAsync(string catalogId, string itemKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT validator FROM artifact_deliveries WHERE catalog_id = $id AND item_key = $key;";
        command.Parameters.AddWithValue("$id", catalogId);
        command.Parameters.AddWithValue("$key", itemKey);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    public async Task SaveAsync(string catalogId, string itemKey, string fileName, string sourceUrl, long? size, long bytesDone, string? validator, string status, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO artifact_deliveries (catalog_id, item_key, file_name, source_url, size, bytes_done, validator, status, updated_at) " +
            "VALUES ($id, $key, $file, $url, $size, $done, $validator, $status, $at) " +
            "ON CONFLICT (catalog_id, item_key) DO UPDATE SET file_name = $file, source_url = $url, size = $size, bytes_done = $done, " +
            "validator = COALESCE($validator, validator), status = $status, updated_at = $at;";
        var p = command.Parameters;
        p.AddWithValue("$id", catalogId);
        p.AddWithValue("$key", itemKey);
        p.AddWithValue("$file", fileName);
        p.AddWithValue("$url", SafeUrl.Masked(sourceUrl));
        p.AddWithValue("$size", (object?)size ?? DBNull.Value);
        p.AddWithValue("$done", bytesDone);
        p.AddWithValue("$validator", (object?)validator ?? DBNull.Value);
        p.AddWithValue("$status", status);
        p.AddWithValue("$at", timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forgets the validator when the bytes it protected were discarded (a restart from zero).</summary>
    public async Task ClearValidatorAsync(string catalogId, string itemKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE artifact_deliveries SET validator = NULL, bytes_done = 0 WHERE catalog_id = $id AND item_key = $key;";
        command.Parameters.AddWithValue("$id", catalogId);
        command.Parameters.AddWithValue("$key", itemKey);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string catalogId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM artifact_deliveries WHERE catalog_id = $id;";
        command.Parameters.AddWithValue("$id", catalogId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
