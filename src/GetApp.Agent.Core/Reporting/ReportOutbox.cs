using System.Globalization;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Reporting;

/// <summary>
/// The <c>outbox</c> table: server reports waiting to be sent, oldest first. A report is written in the same transaction
/// as the release change it describes, so it exists exactly when the change does, and survives restarts and outages.
/// <c>currentTime</c> is assigned here, strictly increasing across all reports (the server ignores a report whose time
/// is not later than the last one it stored, §4.2), and the last one is persisted so a restart cannot go back.
/// </summary>
public sealed class ReportOutbox(AgentDatabase database)
{
    private const string LastCurrentTimeKey = "reporting.lastCurrentTime";

    /// <summary>Raised when something may have been added (after a release move is committed).</summary>
    public event Action? Changed;

    public void NotifyChanged() => Changed?.Invoke();

    /// <summary>The next <c>currentTime</c>: now, or 1 ms after the last one when the clock has not moved on (or went back).</summary>
    public static async Task<DateTimeOffset> NextCurrentTimeAsync(SqliteConnection connection, SqliteTransaction transaction, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var candidate = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        var stored = await DeviceTable.GetAsync(connection, transaction, LastCurrentTimeKey, cancellationToken).ConfigureAwait(false);
        if (stored is not null && long.TryParse(stored, NumberStyles.Integer, CultureInfo.InvariantCulture, out var lastMs))
        {
            var last = DateTimeOffset.FromUnixTimeMilliseconds(lastMs);
            if (candidate <= last)
            {
                candidate = last.AddMilliseconds(1);
            }
        }

        await DeviceTable.SetAsync(connection, transaction, LastCurrentTimeKey, candidate.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        return candidate;
    }

    public static async Task EnqueueAsync(SqliteConnection connection, SqliteTransaction transaction, ReportKind kind, string payload, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO outbox (kind, payload, created_at) VALUES ($kind, $payload, $created);";
        command.Parameters.AddWithValue("$kind", KindText(kind));
        command.Parameters.AddWithValue("$payload", payload);
        command.Parameters.AddWithValue("$created", now.ToString("O", CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The oldest waiting report, or null when the outbox is empty.</summary>
    public async Task<OutboxEntry?> PeekAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, kind, payload, attempts FROM outbox ORDER BY id LIMIT 1;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new OutboxEntry(reader.GetInt64(0), reader.GetString(1) == "deploy" ? ReportKind.Deploy : ReportKind.Delivery, reader.GetString(2), reader.GetInt32(3))
            : null;
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM outbox;";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    public async Task RemoveAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM outbox WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task RecordFailureAsync(long id, string error, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE outbox SET attempts = attempts + 1, last_error = $error WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$error", error);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string KindText(ReportKind kind) => kind == ReportKind.Deploy ? "deploy" : "delivery";
}

/// <summary>One waiting report: its row id, kind, JSON body (ready to send) and how many sends failed so far.</summary>
public sealed record OutboxEntry(long Id, ReportKind Kind, string Payload, int Attempts);
