using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Core.Fleet;

/// <summary>
/// One command a child received from its parent, and where it stands (table <c>managed_commands</c>). <see cref="ActionName"/>
/// is the action as received: one this build does not know (a newer parent's) is kept as it was named (<see cref="Action"/> null).
/// </summary>
public sealed record ManagedCommandEntry(
    string CommandId,
    string ParentId,
    string ActionName,
    string? CatalogId,
    FleetCommandStatus Status,
    string? Message,
    FleetCommandStatus? Reported,
    DateTimeOffset ReceivedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The action, or null when this build cannot read <see cref="ActionName"/>: such a command is never run.</summary>
    public FleetAction? Action => FleetActions.Parse(ActionName);
}

/// <summary>
/// The child's record of its parent's commands (docs/fleet.md). A command is recorded before it runs, under its id, so a
/// command the parent sends again (it did not hear the acknowledgement) is recognised and not run twice: its outcome is
/// reported again instead. <see cref="ManagedCommandEntry.Reported"/> is the last status the parent acknowledged.
/// </summary>
public sealed partial class ManagedCommandLog(AgentDatabase database, TimeProvider timeProvider, ILogger<ManagedCommandLog>? logger = null)
{
    /// <summary>The longest action name kept as received (a parent's unknown action is recorded, not trusted).</summary>
    private const int MaxActionName = 100;

    private readonly ILogger _logger = logger ?? NullLogger<ManagedCommandLog>.Instance;

    /// <summary>The most commands remembered; the oldest finished ones go first.</summary>
    public const int MaxEntries = 2000;

    private const string Columns = "command_id, parent_id, action, catalog_id, status, message, reported, received_at, updated_at";

    /// <summary>Records a new command as received; returns null, or the entry already recorded under its id (then nothing changes).</summary>
    public Task<ManagedCommandEntry?> TryBeginAsync(string commandId, string parentId, FleetAction action, string? catalogId, CancellationToken cancellationToken) =>
        TryBeginAsync(commandId, parentId, FleetActions.NameOf(action), catalogId, cancellationToken);

    /// <summary>
    /// Records a new command as received, under the action's name as the parent gave it (an action this build does not
    /// know is recorded as such, never as another); returns null, or the entry already recorded under its id.
    /// </summary>
    public Task<ManagedCommandEntry?> TryBeginAsync(string commandId, string parentId, string action, string? catalogId, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction, ct) =>
        {
            if (await FindAsync(connection, transaction, commandId, ct).ConfigureAwait(false) is { } known)
            {
                return known;
            }

            var now = FleetCommandStore.Text(timeProvider.GetUtcNow());
            await using var insert = Command(connection, transaction,
                $"INSERT INTO managed_commands ({Columns}) VALUES ($id, $parent, $action, $catalog, $status, NULL, NULL, $now, $now);",
                ("$id", commandId), ("$parent", parentId), ("$action", action.Length > MaxActionName ? action[..MaxActionName] : action), ("$catalog", catalogId),
                ("$status", FleetActions.NameOf(FleetCommandStatus.Received)), ("$now", now));
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using var prune = Command(connection, transaction,
                "DELETE FROM managed_commands WHERE rowid IN (SELECT rowid FROM managed_commands WHERE status IN ('done', 'refused', 'failed') " +
                "AND reported = status ORDER BY rowid DESC LIMIT -1 OFFSET $keep);", ("$keep", MaxEntries));
            await prune.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return (ManagedCommandEntry?)null;
        }, cancellationToken);

    /// <summary>Records where a command got to; its new status is to be reported.</summary>
    public Task SetAsync(string commandId, FleetCommandStatus status, string? message, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE managed_commands SET status = $status, message = $message, updated_at = $now WHERE command_id = $id;", cancellationToken,
            ("$status", FleetActions.NameOf(status)), ("$message", message), ("$now", FleetCommandStore.Text(timeProvider.GetUtcNow())), ("$id", commandId));

    /// <summary>The parent acknowledged <paramref name="status"/> of the command.</summary>
    public Task MarkReportedAsync(string commandId, FleetCommandStatus status, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE managed_commands SET reported = $status WHERE command_id = $id;", cancellationToken,
            ("$status", FleetActions.NameOf(status)), ("$id", commandId));

    /// <summary>Makes the command's current status be reported again (the parent sent the command again: it missed it).</summary>
    public Task ReportAgainAsync(string commandId, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE managed_commands SET reported = NULL WHERE command_id = $id;", cancellationToken, ("$id", commandId));

    /// <summary>Commands whose current status the parent has not acknowledged yet, oldest first.</summary>
    public Task<IReadOnlyList<ManagedCommandEntry>> UnreportedAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM managed_commands WHERE reported IS NULL OR reported <> status ORDER BY rowid;", cancellationToken);

    /// <summary>
    /// Commands not finished (received: not run yet, or cut off by a stop; accepted: running), oldest first, to be run or
    /// watched again. One whose recorded action this build cannot read (recorded by another version of the agent) is not
    /// among them and is never run: it is refused here, with the reason, to be reported to the parent, and logged.
    /// </summary>
    public async Task<IReadOnlyList<ManagedCommandEntry>> UnfinishedAsync(CancellationToken cancellationToken)
    {
        var unfinished = await QueryAsync($"SELECT {Columns} FROM managed_commands WHERE status IN ('received', 'accepted') ORDER BY rowid;", cancellationToken).ConfigureAwait(false);
        foreach (var entry in unfinished.Where(e => e.Action is null))
        {
            await SetAsync(entry.CommandId, FleetCommandStatus.Refused, UnknownActionMessage(entry.ActionName), cancellationToken).ConfigureAwait(false);
            LogUnreadable(_logger, entry.CommandId, entry.ActionName);
        }

        return [.. unfinished.Where(e => e.Action is not null)];
    }

    /// <summary>Why a command with an action this build does not know is refused.</summary>
    public static string UnknownActionMessage(string action) =>
        $"this agent does not know the action '{action}' (it runs {string.Join(", ", FleetActions.All.Select(FleetActions.NameOf))}): not run";

    /// <summary>The latest commands, newest first.</summary>
    public Task<IReadOnlyList<ManagedCommandEntry>> RecentAsync(int limit, CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM managed_commands ORDER BY rowid DESC LIMIT {Math.Clamp(limit, 1, MaxEntries)};", cancellationToken);

    private async Task<IReadOnlyList<ManagedCommandEntry>> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, sql);
        return await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await database.WriteAsync(async (connection, transaction, ct) =>
        {
            await using var command = Command(connection, transaction, sql, parameters);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<ManagedCommandEntry?> FindAsync(SqliteConnection connection, SqliteTransaction transaction, string commandId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {Columns} FROM managed_commands WHERE command_id = $id;", ("$id", commandId));
        return (await ReadAllAsync(command, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
    }

    private static async Task<IReadOnlyList<ManagedCommandEntry>> ReadAllAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var list = new List<ManagedCommandEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new ManagedCommandEntry(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                FleetActions.ParseStatus(reader.GetString(4)) ?? FleetCommandStatus.Received,
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : FleetActions.ParseStatus(reader.GetString(6)),
                FleetCommandStore.Parse(reader.GetString(7)),
                FleetCommandStore.Parse(reader.GetString(8))));
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

    [LoggerMessage(EventId = 7810, Level = LogLevel.Warning,
        Message = "Parent's command {CommandId} names the action '{Action}', which this agent does not know (recorded by another version): refused, not run")]
    private static partial void LogUnreadable(ILogger logger, string commandId, string action);
}
