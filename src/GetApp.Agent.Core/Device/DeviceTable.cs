using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Device;

/// <summary>The <c>device</c> key/value table: enrollment and metadata overrides, server hints, report bookkeeping.</summary>
public static class DeviceTable
{
    public static async Task<string?> GetAsync(SqliteConnection connection, SqliteTransaction? transaction, string key, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT value FROM device WHERE key = $key;";
        command.Parameters.AddWithValue("$key", key);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    public static async Task SetAsync(SqliteConnection connection, SqliteTransaction? transaction, string key, string? value, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = value is null
            ? "DELETE FROM device WHERE key = $key;"
            : "INSERT OR REPLACE INTO device (key, value) VALUES ($key, $value);";
        command.Parameters.AddWithValue("$key", key);
        if (value is not null)
        {
            command.Parameters.AddWithValue("$value", value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
