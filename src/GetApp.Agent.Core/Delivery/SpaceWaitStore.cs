using System.Globalization;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// The deliveries waiting for space (<c>delivery_space_waits</c>): stopped by a full disk, or by too little room for the
/// rest of their download. They start again by themselves once there is room (<see cref="SpaceWaitRule"/>). Kept in the
/// database, so that the promise their errMsg makes still holds after a restart or a power cut.
/// </summary>
public sealed class SpaceWaitStore(AgentDatabase database, TimeProvider timeProvider)
{
    /// <summary>Records the wait, or updates how many bytes it needs (keeping since when it waits).</summary>
    /// <param name="neededBytes">Bytes free it needs to start again; null: the disk no longer full is enough.</param>
    public Task AddAsync(string catalogId, long? neededBytes, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO delivery_space_waits (catalog_id, since, needed_bytes) VALUES ($id, $at, $needed) " +
                "ON CONFLICT (catalog_id) DO UPDATE SET needed_bytes = $needed;";
            command.Parameters.AddWithValue("$id", catalogId);
            command.Parameters.AddWithValue("$at", timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$needed", (object?)neededBytes ?? DBNull.Value);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);

    public Task RemoveAsync(string catalogId, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM delivery_space_waits WHERE catalog_id = $id;";
            command.Parameters.AddWithValue("$id", catalogId);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>The waits, the longest-waiting first.</summary>
    public async Task<IReadOnlyList<SpaceWait>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT catalog_id, needed_bytes FROM delivery_space_waits ORDER BY since, catalog_id;";
        var waits = new List<SpaceWait>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            waits.Add(new SpaceWait(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1)));
        }

        return waits;
    }
}

/// <summary>A delivery waiting for space, and the bytes free it needs (null: the disk no longer full is enough).</summary>
public sealed record SpaceWait(string CatalogId, long? NeededBytes);
