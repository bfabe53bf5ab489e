using System.Globalization;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// The deliveries a full disk stopped, which start again by themselves once space is freed (<c>delivery_space_waits</c>).
/// Kept in the database, so that the promise their errMsg makes still holds after a restart or a power cut.
/// </summary>
public sealed class SpaceWaitStore(AgentDatabase database, TimeProvider timeProvider)
{
    public Task AddAsync(string catalogId, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO delivery_space_waits (catalog_id, since) VALUES ($id, $at) ON CONFLICT (catalog_id) DO NOTHING;";
            command.Parameters.AddWithValue("$id", catalogId);
            command.Parameters.AddWithValue("$at", timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
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

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT catalog_id FROM delivery_space_waits ORDER BY since;";
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
