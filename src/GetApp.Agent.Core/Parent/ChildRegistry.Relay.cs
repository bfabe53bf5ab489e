using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Parent;

/// <summary>
/// What this agent last relayed upstream for each child (docs/parent.md, "Clocks"): a child's dates are moved into the
/// upstream's clock with this agent's estimate of the offset, and that estimate moves as answers narrow it or a clock is
/// set. The dates relayed for one child never go backwards all the same: each is at least the last one relayed (for a
/// discovery's <c>snapshotDate</c> and a report's <c>currentTime</c>, strictly later, as the server wants). Only a date
/// that would go back is raised, to the last one: none is moved into the future.
/// </summary>
public sealed partial class ChildRegistry
{
    /// <summary>
    /// The <c>snapshotDate</c> to relay for <paramref name="deviceId"/>: <paramref name="converted"/> (whole milliseconds),
    /// or 1 ms after the last one relayed for the child when it is not later; kept as the new last one. Atomic (one
    /// statement), so two discoveries of a child relayed at once still get two rising dates.
    /// </summary>
    public async Task<DateTimeOffset> NextRelayedSnapshotAsync(string deviceId, DateTimeOffset converted, CancellationToken cancellationToken)
    {
        var candidate = converted.ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE children SET relayed_snapshot_ms = MAX($candidate, COALESCE(relayed_snapshot_ms + 1, $candidate)) " +
            "WHERE device_id = $id RETURNING relayed_snapshot_ms;";
        command.Parameters.AddWithValue("$id", deviceId);
        command.Parameters.AddWithValue("$candidate", candidate);
        var relayed = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return DateTimeOffset.FromUnixTimeMilliseconds(relayed is long ms ? ms : candidate);
    }

    /// <summary>The later of <paramref name="converted"/> (whole milliseconds) and <paramref name="floor"/>: a relayed date never goes back.</summary>
    internal static DateTimeOffset NotBefore(DateTimeOffset converted, DateTimeOffset? floor)
    {
        var candidate = DateTimeOffset.FromUnixTimeMilliseconds(converted.ToUnixTimeMilliseconds());
        return floor is { } f && candidate < f ? f : candidate;
    }

    /// <summary>The last value relayed of each report date of a child's release (field → date), from <c>relayed_times_json</c>.</summary>
    internal static Dictionary<string, DateTimeOffset> ParseRelayedTimes(string? json)
    {
        var times = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (json is null)
        {
            return times;
        }

        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(json) is System.Text.Json.Nodes.JsonObject stored)
            {
                foreach (var (field, value) in stored)
                {
                    if (value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var text) && ChildTimes.Parse(text) is { } date)
                    {
                        times[field] = date;
                    }
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Unreadable: the floors start again from this report.
        }

        return times;
    }

    internal static string RelayedTimesJson(Dictionary<string, DateTimeOffset> times)
    {
        var json = new System.Text.Json.Nodes.JsonObject();
        foreach (var (field, date) in times.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            json[field] = Text(date);
        }

        return json.ToJsonString();
    }

    /// <summary>The relayed-dates floors of a child's release (null when there is no row or none yet).</summary>
    internal static async Task<string?> FindRelayedTimesAsync(SqliteConnection connection, SqliteTransaction transaction, string deviceId, string catalogId,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT relayed_times_json FROM child_releases WHERE device_id = $id AND catalog_id = $catalog;";
        command.Parameters.AddWithValue("$id", deviceId);
        command.Parameters.AddWithValue("$catalog", catalogId);
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) is { Length: > 0 } json ? json : null;
    }

    /// <summary>Keeps the floors with the release's row (written after <see cref="SaveReleaseAsync"/>, in the same transaction).</summary>
    internal static Task SaveRelayedTimesAsync(SqliteConnection connection, SqliteTransaction transaction, string deviceId, string catalogId, string json,
        CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, "UPDATE child_releases SET relayed_times_json = $json WHERE device_id = $id AND catalog_id = $catalog;",
            cancellationToken, ("$id", deviceId), ("$catalog", catalogId), ("$json", json));
}
