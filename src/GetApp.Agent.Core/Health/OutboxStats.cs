using System.Globalization;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Health;

/// <summary>How many upstream reports wait in the outbox, and since when the oldest one waits.</summary>
public sealed record OutboxStats(int Pending, DateTimeOffset? OldestCreatedAt)
{
    /// <summary>One cheap query on the <c>outbox</c> table (it exists whatever the upstream; only a server's fills it).</summary>
    public static async Task<OutboxStats> ReadAsync(AgentDatabase database, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), MIN(created_at) FROM outbox;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return new OutboxStats(0, null);
        }

        var oldest = reader.IsDBNull(1) ? (DateTimeOffset?)null
            : DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        return new OutboxStats(reader.GetInt32(0), oldest);
    }
}
