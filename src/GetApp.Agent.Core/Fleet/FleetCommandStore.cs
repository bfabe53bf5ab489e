using System.Globalization;
using System.Security.Cryptography;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Core.Fleet;

/// <summary>
/// One command for one child, as the parent keeps it (table <c>fleet_commands</c>). <see cref="ActionName"/> is the action
/// as stored: a row written by another version of the agent may name one this build cannot read (<see cref="Action"/> null).
/// </summary>
public sealed record FleetCommand(
    long Seq,
    string CommandId,
    string DeviceId,
    string ActionName,
    string? CatalogId,
    FleetCommandStatus Status,
    string? Message,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? SentAt,
    int Sends,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The action, or null when this build cannot read <see cref="ActionName"/>: such a command is never sent.</summary>
    public FleetAction? Action => FleetActions.Parse(ActionName);
}

/// <summary>
/// The parent's commands (docs/fleet.md), in SQLite so that a command for an offline child survives a restart of the
/// parent. A command is committed before the operator hears about it; it is delivered in order (<see cref="FleetCommand.Seq"/>)
/// until the child acknowledges it, and its status only moves forward (<see cref="FleetActions.Advances"/>).
/// </summary>
public sealed partial class FleetCommandStore(AgentDatabase database, FleetOptions options, ILogger<FleetCommandStore>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<FleetCommandStore>.Instance;

    private const string Columns = "seq, command_id, device_id, action, catalog_id, status, message, created_at, expires_at, sent_at, sends, updated_at";
    private static readonly string Open = $"('{FleetActions.NameOf(FleetCommandStatus.Pending)}', '{FleetActions.NameOf(FleetCommandStatus.Sent)}')";

    /// <summary>
    /// Queues one command per device, in one transaction: all or none. Returns null and the commands, or the devices that
    /// already have <see cref="FleetOptions.MaxPendingPerDevice"/> commands waiting (then nothing is queued).
    /// </summary>
    public Task<(IReadOnlyList<FleetCommand>? Commands, IReadOnlyList<string>? Full)> EnqueueAsync(
        IReadOnlyList<string> deviceIds, FleetAction action, string? catalogId, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        database.WriteAsync<(IReadOnlyList<FleetCommand>?, IReadOnlyList<string>?)>(async (connection, transaction, ct) =>
        {
            var full = new List<string>();
            foreach (var deviceId in deviceIds)
            {
                await using var count = Command(connection, transaction, $"SELECT COUNT(*) FROM fleet_commands WHERE device_id = $id AND status IN {Open};", ("$id", deviceId));
                if (Convert.ToInt32(await count.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) >= options.MaxPendingPerDevice)
                {
                    full.Add(deviceId);
                }
            }

            if (full.Count > 0)
            {
                return (null, full);
            }

            var commands = new List<FleetCommand>();
            foreach (var deviceId in deviceIds)
            {
                var id = "cmd-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
                await using var insert = Command(connection, transaction,
                    "INSERT INTO fleet_commands (command_id, device_id, action, catalog_id, status, created_at, expires_at, updated_at) " +
                    "VALUES ($cid, $id, $action, $catalog, $status, $now, $expires, $now) RETURNING seq;",
                    ("$cid", id), ("$id", deviceId), ("$action", FleetActions.NameOf(action)), ("$catalog", catalogId),
                    ("$status", FleetActions.NameOf(FleetCommandStatus.Pending)), ("$now", Text(now)), ("$expires", Text(expiresAt)));
                var seq = Convert.ToInt64(await insert.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
                commands.Add(new FleetCommand(seq, id, deviceId, FleetActions.NameOf(action), catalogId, FleetCommandStatus.Pending, null, now, expiresAt, null, 0, now));
            }

            return (commands, null);
        }, cancellationToken);

    /// <summary>Raised with the device's id when commands of it were failed here (<see cref="DeliverableAsync"/>).</summary>
    public event Action<string>? Failed;

    /// <summary>
    /// The device's commands still to deliver (pending, or sent and not acknowledged), not expired, in order. A command
    /// whose stored action this build cannot read (written by another version of the agent) is never sent — not as
    /// another action, not at all: it is marked <c>failed</c> with the reason, and logged.
    /// </summary>
    public async Task<IReadOnlyList<FleetCommand>> DeliverableAsync(string deviceId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        IReadOnlyList<FleetCommand> deliverable;
        await using (var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var command = Command(connection, null,
                $"SELECT {Columns} FROM fleet_commands WHERE device_id = $id AND status IN {Open} AND expires_at > $now ORDER BY seq;",
                ("$id", deviceId), ("$now", Text(now)));
            deliverable = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        }

        if (deliverable.All(c => c.Action is not null))
        {
            return deliverable;
        }

        var unreadable = deliverable.Where(c => c.Action is null).ToList();
        await database.WriteAsync(async (connection, transaction, ct) =>
        {
            foreach (var bad in unreadable)
            {
                await using var update = Command(connection, transaction,
                    $"UPDATE fleet_commands SET status = $failed, message = $message, updated_at = $now WHERE seq = $seq AND status IN {Open};",
                    ("$failed", FleetActions.NameOf(FleetCommandStatus.Failed)), ("$message", UnreadableMessage(bad.ActionName)), ("$now", Text(now)), ("$seq", bad.Seq));
                await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
        foreach (var bad in unreadable)
        {
            LogUnreadable(_logger, bad.CommandId, deviceId, bad.ActionName);
        }

        Failed?.Invoke(deviceId);
        return [.. deliverable.Where(c => c.Action is not null)];
    }

    /// <summary>Why a command with an action this build cannot read was not sent.</summary>
    public static string UnreadableMessage(string action) =>
        $"not sent: this agent does not know the action '{action}' (stored by another version of the agent); it runs only {string.Join(", ", FleetActions.All.Select(FleetActions.NameOf))}";

    /// <summary>Notes that the commands went down the device's channel (they stay deliverable until acknowledged).</summary>
    public Task MarkSentAsync(IReadOnlyList<long> seqs, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction, ct) =>
        {
            foreach (var seq in seqs)
            {
                await using var update = Command(connection, transaction,
                    $"UPDATE fleet_commands SET status = $sent, sent_at = $now, sends = sends + 1, updated_at = $now WHERE seq = $seq AND status IN {Open};",
                    ("$sent", FleetActions.NameOf(FleetCommandStatus.Sent)), ("$now", Text(now)), ("$seq", seq));
                await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken);

    /// <summary>
    /// Applies what the child said about one of its commands. Returns the command as it is now, or null when the device
    /// has no command of that id. A status that does not move the command forward changes nothing (a repeated report).
    /// </summary>
    public Task<FleetCommand?> ApplyResultAsync(string deviceId, string commandId, FleetCommandStatus status, string? message, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction, ct) =>
        {
            var current = await FindAsync(connection, transaction, commandId, ct).ConfigureAwait(false);
            if (current is null || current.DeviceId != deviceId)
            {
                return null;
            }

            if (!FleetActions.Advances(current.Status, status))
            {
                return current;
            }

            await using var update = Command(connection, transaction,
                "UPDATE fleet_commands SET status = $status, message = COALESCE($message, message), updated_at = $now WHERE seq = $seq;",
                ("$status", FleetActions.NameOf(status)), ("$message", message), ("$now", Text(now)), ("$seq", current.Seq));
            await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return current with { Status = status, Message = message ?? current.Message, UpdatedAt = now };
        }, cancellationToken);

    /// <summary>
    /// Cancels a command that never went down a channel. Returns the command as it is now and whether it was cancelled
    /// (false: it was sent already, or it ended), or null for an unknown id.
    /// </summary>
    public Task<(FleetCommand? Command, bool Cancelled)> CancelAsync(string commandId, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync<(FleetCommand?, bool)>(async (connection, transaction, ct) =>
        {
            var current = await FindAsync(connection, transaction, commandId, ct).ConfigureAwait(false);
            if (current is not { Status: FleetCommandStatus.Pending })
            {
                return (current, false);
            }

            await using var update = Command(connection, transaction,
                "UPDATE fleet_commands SET status = $status, message = $message, updated_at = $now WHERE seq = $seq;",
                ("$status", FleetActions.NameOf(FleetCommandStatus.Cancelled)), ("$message", "cancelled by the operator before it was sent"),
                ("$now", Text(now)), ("$seq", current.Seq));
            await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return (current with { Status = FleetCommandStatus.Cancelled, Message = "cancelled by the operator before it was sent", UpdatedAt = now }, true);
        }, cancellationToken);

    /// <summary>Marks the commands whose expiry passed before the child took them; returns the devices they were for.</summary>
    public Task<IReadOnlyList<string>> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync<IReadOnlyList<string>>(async (connection, transaction, ct) =>
        {
            await using var update = Command(connection, transaction,
                $"UPDATE fleet_commands SET status = $status, message = $message, updated_at = $now WHERE status IN {Open} AND expires_at <= $now RETURNING device_id;",
                ("$status", FleetActions.NameOf(FleetCommandStatus.Expired)),
                ("$message", "expired before the device came back to take it"), ("$now", Text(now)));
            var devices = new HashSet<string>(StringComparer.Ordinal);
            await using var reader = await update.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                devices.Add(reader.GetString(0));
            }

            return [.. devices];
        }, cancellationToken);

    /// <summary>Drops finished commands older than the retention, and the oldest finished ones beyond the cap.</summary>
    public Task<int> PruneAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction, ct) =>
        {
            var final = $"status NOT IN {Open} AND status NOT IN ('{FleetActions.NameOf(FleetCommandStatus.Received)}', '{FleetActions.NameOf(FleetCommandStatus.Accepted)}')";
            await using var old = Command(connection, transaction, $"DELETE FROM fleet_commands WHERE {final} AND updated_at < $cutoff;",
                ("$cutoff", Text(now - options.FinishedCommandRetention)));
            var removed = await old.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using var excess = Command(connection, transaction,
                $"DELETE FROM fleet_commands WHERE seq IN (SELECT seq FROM fleet_commands WHERE {final} ORDER BY seq DESC LIMIT -1 OFFSET $keep);",
                ("$keep", options.MaxFinishedCommands));
            return removed + await excess.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);

    public async Task<FleetCommand?> FindAsync(string commandId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await FindAsync(connection, null, commandId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Commands, newest first: of the given devices (all when empty), with one of the given statuses (any when empty),
    /// at most <paramref name="limit"/>.
    /// </summary>
    public async Task<IReadOnlyList<FleetCommand>> ListAsync(IReadOnlyCollection<string>? deviceIds, IReadOnlyCollection<FleetCommandStatus>? statuses, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var where = new List<string>();
        await using var command = connection.CreateCommand();
        if (deviceIds is { Count: > 0 })
        {
            where.Add($"device_id IN ({string.Join(", ", deviceIds.Select((_, i) => $"$d{i}"))})");
            var i = 0;
            foreach (var id in deviceIds)
            {
                command.Parameters.AddWithValue($"$d{i++}", id);
            }
        }

        if (statuses is { Count: > 0 })
        {
            where.Add($"status IN ({string.Join(", ", statuses.Select(s => $"'{FleetActions.NameOf(s)}'"))})");
        }

        command.CommandText = $"SELECT {Columns} FROM fleet_commands {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY seq DESC LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How many commands wait (pending or sent) for each device that has some.</summary>
    public async Task<IReadOnlyDictionary<string, int>> PendingCountsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT device_id, COUNT(*) FROM fleet_commands WHERE status IN {Open} GROUP BY device_id;");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }

    private static async Task<FleetCommand?> FindAsync(SqliteConnection connection, SqliteTransaction? transaction, string commandId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {Columns} FROM fleet_commands WHERE command_id = $cid;", ("$cid", commandId));
        return (await ReadAllAsync(command, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
    }

    private static async Task<IReadOnlyList<FleetCommand>> ReadAllAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var list = new List<FleetCommand>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new FleetCommand(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                FleetActions.ParseStatus(reader.GetString(5)) ?? FleetCommandStatus.Pending,
                reader.IsDBNull(6) ? null : reader.GetString(6),
                Parse(reader.GetString(7)),
                Parse(reader.GetString(8)),
                reader.IsDBNull(9) ? null : Parse(reader.GetString(9)),
                reader.GetInt32(10),
                Parse(reader.GetString(11))));
        }

        return list;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    internal static string Text(DateTimeOffset value) => UtcDateTimeOffsetConverter.ToWire(value);

    internal static DateTimeOffset Parse(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    [LoggerMessage(EventId = 7800, Level = LogLevel.Warning,
        Message = "Command {CommandId} for {DeviceId} names the action '{Action}', which this agent does not know (stored by another version): marked failed, not sent")]
    private static partial void LogUnreadable(ILogger logger, string commandId, string deviceId, string action);
}
