using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Parent;

/// <summary>What a child says about itself when it registers for fleet control (docs/fleet.md).</summary>
public sealed record ChildRegistration(
    string DeviceId,
    bool OrchestrateMe,
    bool ReactiveMode,
    IReadOnlyList<string> DeviceType,
    string? Platform,
    string? PlatformId,
    JsonObject? DeviceData);

/// <summary>The fleet side of the registry: registrations, the operator's decisions, channel times, forgetting.</summary>
public sealed partial class ChildRegistry
{
    /// <summary>Raised after a child's registry entry changed (discovery, registration, decision, channel), with its id.</summary>
    public event Action<string>? Changed;

    /// <summary>Set by fleet control: whether a child's command channel is open now (an open channel keeps a child active).</summary>
    public Func<string, bool>? IsOnline { get; set; }

    /// <summary>One child, or null.</summary>
    public async Task<ChildDevice?> FindAsync(string deviceId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {DeviceColumns} FROM children WHERE device_id = $id;";
        command.Parameters.AddWithValue("$id", deviceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadDevice(reader) : null;
    }

    /// <summary>
    /// Records a registration. A child asking for orchestration for the first time waits for the operator (<c>pending</c>);
    /// the operator's decision stays across registrations; a child no longer asking has none. Returns the entry.
    /// </summary>
    public async Task<ChildDevice> RegisterAsync(ChildRegistration registration, string? address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var now = Text(timeProvider.GetUtcNow());
        await using (var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await ExecuteAsync(connection, null,
                "INSERT INTO children (device_id, device_type_json, platform, platform_id, address, device_data_json, first_seen_at, last_seen_at, " +
                "orchestrate_me, reactive_mode, orchestration, registered_at) " +
                "VALUES ($id, $types, $platform, $platformId, $address, $data, $now, $now, $orchestrate, $reactive, CASE WHEN $orchestrate THEN 'pending' END, $now) " +
                "ON CONFLICT (device_id) DO UPDATE SET device_type_json = $types, platform = $platform, platform_id = $platformId, " +
                "address = COALESCE($address, address), device_data_json = COALESCE($data, device_data_json), last_seen_at = $now, " +
                "orchestrate_me = $orchestrate, reactive_mode = $reactive, registered_at = $now, " +
                "orchestration = CASE WHEN $orchestrate THEN COALESCE(orchestration, 'pending') END;",
                cancellationToken,
                ("$id", registration.DeviceId), ("$types", JsonSerializer.Serialize(registration.DeviceType, ParentJsonContext.Default.IReadOnlyListString)),
                ("$platform", registration.Platform), ("$platformId", registration.PlatformId), ("$address", address),
                ("$data", registration.DeviceData?.ToJsonString()), ("$now", now),
                ("$orchestrate", registration.OrchestrateMe ? 1 : 0), ("$reactive", registration.ReactiveMode ? 1 : 0)).ConfigureAwait(false);
        }

        Changed?.Invoke(registration.DeviceId);
        return (await FindAsync(registration.DeviceId, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// The operator accepts or refuses the orchestration of children that asked for it, all or none: returns null and
    /// the entries, or the problem (an unknown child, one that did not ask) and changes nothing.
    /// </summary>
    public async Task<(IReadOnlyList<ChildDevice>? Children, string? Problem, bool NotFound)> DecideOrchestrationAsync(
        IReadOnlyList<string> deviceIds, bool accept, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var decided = new List<string>();
        foreach (var deviceId in deviceIds)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT orchestrate_me FROM children WHERE device_id = $id;";
            command.Parameters.AddWithValue("$id", deviceId);
            switch (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))
            {
                case null:
                    return (null, $"device '{deviceId}' is not a child of this agent", true);
                case long asked when asked == 0:
                    return (null, $"device '{deviceId}' did not ask to be orchestrated (its orchestrateMe is off)", false);
            }

            await ExecuteAsync(connection, transaction, "UPDATE children SET orchestration = $decision WHERE device_id = $id;", cancellationToken,
                ("$decision", accept ? "accepted" : "refused"), ("$id", deviceId)).ConfigureAwait(false);
            decided.Add(deviceId);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        var children = new List<ChildDevice>();
        foreach (var deviceId in decided)
        {
            Changed?.Invoke(deviceId);
            children.Add((await FindAsync(deviceId, cancellationToken).ConfigureAwait(false))!);
        }

        return (children, null, false);
    }

    /// <summary>
    /// A registered child's command channel opens: noted (it counts as seen), in one statement that also reads how it is
    /// managed. Returns the child with its fleet fields only (no device data: a reconnecting fleet opens many channels at
    /// once), or null when it has not registered with either flag on.
    /// </summary>
    public async Task<ChildDevice?> OpenChannelAsync(string deviceId, string? address, CancellationToken cancellationToken)
    {
        ChildDevice? child = null;
        var now = timeProvider.GetUtcNow();
        await using (var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText =
                "UPDATE children SET connected_at = $now, last_seen_at = $now, address = COALESCE($address, address) " +
                "WHERE device_id = $id AND (orchestrate_me OR reactive_mode) " +
                "RETURNING orchestrate_me, reactive_mode, orchestration, first_seen_at, registered_at, disconnected_at;";
            command.Parameters.AddWithValue("$now", Text(now));
            command.Parameters.AddWithValue("$address", (object?)address ?? DBNull.Value);
            command.Parameters.AddWithValue("$id", deviceId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                child = new ChildDevice(deviceId, [], null, null, address, null, Parse(reader.GetString(3)), now,
                    reader.GetInt64(0) != 0, reader.GetInt64(1) != 0, NullableText(reader, 2),
                    NullableText(reader, 4) is { } registered ? Parse(registered) : null, now,
                    NullableText(reader, 5) is { } disconnected ? Parse(disconnected) : null);
            }
        }

        if (child is not null)
        {
            Changed?.Invoke(deviceId);
        }

        return child;
    }

    /// <summary>The child's command channel closed: noted, and the child counts as seen.</summary>
    public async Task CloseChannelAsync(string deviceId, CancellationToken cancellationToken)
    {
        await using (var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await ExecuteAsync(connection, null, "UPDATE children SET disconnected_at = $now, last_seen_at = $now WHERE device_id = $id;",
                cancellationToken, ("$now", Text(timeProvider.GetUtcNow())), ("$id", deviceId)).ConfigureAwait(false);
        }

        Changed?.Invoke(deviceId);
    }

    /// <summary>Forgets a child: its entry, its releases, its commands and what was pushed to it.</summary>
    public async Task<bool> ForgetAsync(string deviceId, CancellationToken cancellationToken)
    {
        int removed;
        await using (var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM children WHERE device_id = $id;";
            command.Parameters.AddWithValue("$id", deviceId);
            removed = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            foreach (var table in (string[])["child_releases", "fleet_commands", "fleet_pushes"])
            {
                await ExecuteAsync(connection, transaction, $"DELETE FROM {table} WHERE device_id = $id;", cancellationToken, ("$id", deviceId)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (removed > 0)
        {
            Changed?.Invoke(deviceId);
        }

        return removed > 0;
    }

    /// <summary>The children not heard from since <paramref name="cutoff"/> (candidates to forget).</summary>
    public async Task<IReadOnlyList<string>> SilentSinceAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT device_id FROM children WHERE last_seen_at < $cutoff ORDER BY device_id;";
        command.Parameters.AddWithValue("$cutoff", Text(cutoff));
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>Every discovery entry (<c>{release, isPush, dependedOnBy...}</c>) relayed to any child, the most recent offering first.</summary>
    public async Task<IReadOnlyList<JsonObject>> OfferedEntriesAsync(CancellationToken cancellationToken)
    {
        var entries = new List<JsonObject>();
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT offering_json FROM children WHERE offering_json IS NOT NULL ORDER BY offering_at DESC;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in ParseObject(reader.GetString(0))?["releases"] as JsonArray ?? [])
            {
                if (entry is JsonObject { } e && e["release"] is JsonObject)
                {
                    entries.Add(e);
                }
            }
        }

        return entries;
    }

    /// <summary>Raises <see cref="Changed"/> for a child whose reports or commands moved (not stored in this class).</summary>
    public void NotifyChanged(string deviceId) => Changed?.Invoke(deviceId);
}
