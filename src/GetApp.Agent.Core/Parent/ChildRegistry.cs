using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Parent;

/// <summary>
/// The child registry (tables <c>children</c> and <c>child_releases</c>, docs/parent.md): every child agent that
/// discovered through this agent or reported to it, with its identity, address, last contact, the last offering relayed
/// to it, and where each of its releases stands. Discovery writes through <see cref="RecordDiscoveryAsync"/>; reports
/// write through the static helpers, inside the transaction that also queues them in the outbox.
/// </summary>
public sealed partial class ChildRegistry(AgentDatabase database, LiveSettings settings, TimeProvider timeProvider)
{
    private const string DeviceColumns = "device_id, device_type_json, platform, platform_id, address, device_data_json, first_seen_at, last_seen_at, " +
        "orchestrate_me, reactive_mode, orchestration, registered_at, connected_at, disconnected_at";

    private const string ReleaseColumns = "device_id, catalog_id, state, delivery_status, deploy_status, progress, error, updated_at, speed, eta";

    /// <summary>Records a child's discovery: its identity and data, and the releases it holds (those it no longer lists are forgotten, as the server does).</summary>
    public async Task RecordDiscoveryAsync(ChildDiscoveryFacts facts, string? address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var now = Text(timeProvider.GetUtcNow());
        await ExecuteAsync(connection, transaction,
            "INSERT INTO children (device_id, device_type_json, platform, platform_id, address, device_data_json, first_seen_at, last_seen_at) " +
            "VALUES ($id, $types, $platform, $platformId, $address, $data, $now, $now) " +
            "ON CONFLICT (device_id) DO UPDATE SET device_type_json = $types, platform = $platform, platform_id = $platformId, " +
            "address = COALESCE($address, address), device_data_json = COALESCE($data, device_data_json), last_seen_at = $now;",
            cancellationToken,
            ("$id", facts.DeviceId), ("$types", JsonSerializer.Serialize(facts.DeviceType, ParentJsonContext.Default.IReadOnlyListString)),
            ("$platform", facts.Platform), ("$platformId", facts.PlatformId), ("$address", address),
            ("$data", facts.DeviceData?.ToJsonString()), ("$now", now)).ConfigureAwait(false);

        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var component in facts.Components)
        {
            listed.Add(component.CatalogId);
            await ExecuteAsync(connection, transaction,
                "INSERT INTO child_releases (device_id, catalog_id, state, delivery_status, deploy_status, progress, error, updated_at) " +
                "VALUES ($id, $catalog, $state, NULL, NULL, NULL, $error, $now) " +
                "ON CONFLICT (device_id, catalog_id) DO UPDATE SET state = $state, error = $error, updated_at = $now;",
                cancellationToken, ("$id", facts.DeviceId), ("$catalog", component.CatalogId), ("$state", component.State),
                ("$error", component.Error), ("$now", now)).ConfigureAwait(false);
        }

        foreach (var release in await ReleasesAsync(connection, transaction, [facts.DeviceId], null, cancellationToken).ConfigureAwait(false))
        {
            if (!listed.Contains(release.CatalogId))
            {
                await ExecuteAsync(connection, transaction, "DELETE FROM child_releases WHERE device_id = $id AND catalog_id = $catalog;",
                    cancellationToken, ("$id", facts.DeviceId), ("$catalog", release.CatalogId)).ConfigureAwait(false);
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Changed?.Invoke(facts.DeviceId);
    }

    /// <summary>Keeps the offering last relayed to a child, to answer it from when the upstream cannot be reached.</summary>
    public async Task SaveOfferingAsync(string deviceId, string offeringJson, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, "UPDATE children SET offering_json = $json, offering_at = $now WHERE device_id = $id;",
            cancellationToken, ("$id", deviceId), ("$json", offeringJson), ("$now", Text(timeProvider.GetUtcNow()))).ConfigureAwait(false);
    }

    /// <summary>The offering last relayed to <paramref name="deviceId"/> (a <c>DeviceComponentsOfferingDto</c>), or null.</summary>
    public async Task<JsonObject?> FindOfferingAsync(string deviceId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT offering_json FROM children WHERE device_id = $id;";
        command.Parameters.AddWithValue("$id", deviceId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string json ? ParseObject(json) : null;
    }

    /// <summary>Every release object offered to any child, by catalog id (the most recent offering wins).</summary>
    public async Task<IReadOnlyDictionary<string, JsonObject>> OfferedReleasesAsync(CancellationToken cancellationToken)
    {
        var releases = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT offering_json FROM children WHERE offering_json IS NOT NULL ORDER BY offering_at DESC;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in ParseObject(reader.GetString(0))?["releases"] as JsonArray ?? [])
            {
                if (entry is JsonObject e && e["release"] is JsonObject release && release["id"] is JsonValue id && id.TryGetValue<string>(out var text))
                {
                    releases.TryAdd(text, release);
                }
            }
        }

        return releases;
    }

    /// <summary>
    /// The release object (<c>ComponentV2Dto</c>) of <paramref name="catalogId"/> as an upstream offered it to a child,
    /// looking first at <paramref name="deviceId"/>'s offering, then at the others'; null when no child was offered it.
    /// </summary>
    public async Task<JsonObject?> FindOfferedReleaseAsync(string catalogId, string? deviceId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT offering_json FROM children WHERE offering_json IS NOT NULL ORDER BY device_id = $id DESC, offering_at DESC;";
        command.Parameters.AddWithValue("$id", deviceId ?? "");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in ParseObject(reader.GetString(0))?["releases"] as JsonArray ?? [])
            {
                if (entry is JsonObject e && e["release"] is JsonObject release && release["id"] is JsonValue id && id.TryGetValue<string>(out var text) && text == catalogId)
                {
                    return (JsonObject)release.DeepClone();
                }
            }
        }

        return null;
    }

    /// <summary>The children matching <paramref name="deviceIds"/> (all when null or empty) and <paramref name="filter"/>, by device id.</summary>
    public async Task<IReadOnlyList<ChildDevice>> ListAsync(IReadOnlyCollection<string>? deviceIds, ChildFilter filter, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {DeviceColumns} FROM children ORDER BY device_id;";
        var list = new List<ChildDevice>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var child = ReadDevice(reader);
            var active = IsActive(child);
            if ((deviceIds is not { Count: > 0 } || deviceIds.Contains(child.DeviceId))
                && (filter == ChildFilter.All || active == (filter == ChildFilter.Active)))
            {
                list.Add(child);
            }
        }

        return list;
    }

    /// <summary>Whether the child was heard from within <c>cdnInactiveAfterHours</c>, or its command channel is open now.</summary>
    public bool IsActive(ChildDevice child) =>
        child.LastSeenAt >= timeProvider.GetUtcNow() - TimeSpan.FromHours(settings.Current.CdnInactiveAfterHours)
        || (IsOnline?.Invoke(child.DeviceId) ?? false);

    /// <summary>The releases of the given children (all when null or empty), optionally of one catalog id.</summary>
    public async Task<IReadOnlyList<ChildRelease>> ReleasesAsync(IReadOnlyCollection<string>? deviceIds, string? catalogId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReleasesAsync(connection, null, deviceIds, catalogId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the child's row when it reports before ever discovering, and notes when and from where it was last heard.</summary>
    internal static Task TouchAsync(SqliteConnection connection, SqliteTransaction transaction, string deviceId, string? address, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction,
            "INSERT INTO children (device_id, address, first_seen_at, last_seen_at) VALUES ($id, $address, $now, $now) " +
            "ON CONFLICT (device_id) DO UPDATE SET address = COALESCE($address, address), last_seen_at = $now;",
            cancellationToken, ("$id", deviceId), ("$address", address), ("$now", Text(now)));

    internal static async Task<(ChildRelease? Release, string? LastDeliveryTime, string? LastDeployTime)> FindReleaseAsync(
        SqliteConnection connection, SqliteTransaction transaction, string deviceId, string catalogId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {ReleaseColumns}, last_delivery_time, last_deploy_time FROM child_releases WHERE device_id = $id AND catalog_id = $catalog;";
        command.Parameters.AddWithValue("$id", deviceId);
        command.Parameters.AddWithValue("$catalog", catalogId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? (ReadRelease(reader), NullableText(reader, 10), NullableText(reader, 11))
            : (null, null, null);
    }

    internal static Task SaveReleaseAsync(SqliteConnection connection, SqliteTransaction transaction, ChildRelease release,
        string? lastDeliveryTime, string? lastDeployTime, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction,
            $"INSERT OR REPLACE INTO child_releases ({ReleaseColumns}, last_delivery_time, last_deploy_time) " +
            "VALUES ($id, $catalog, $state, $delivery, $deploy, $progress, $error, $updated, $speed, $eta, $lastDelivery, $lastDeploy);",
            cancellationToken, ("$id", release.DeviceId), ("$catalog", release.CatalogId), ("$state", release.State),
            ("$delivery", release.DeliveryStatus), ("$deploy", release.DeployStatus), ("$progress", release.Progress),
            ("$error", release.Error), ("$updated", Text(release.UpdatedAt)), ("$speed", release.Speed), ("$eta", release.Eta),
            ("$lastDelivery", lastDeliveryTime), ("$lastDeploy", lastDeployTime));

    private static async Task<IReadOnlyList<ChildRelease>> ReleasesAsync(SqliteConnection connection, SqliteTransaction? transaction,
        IReadOnlyCollection<string>? deviceIds, string? catalogId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        // One device (the fleet stream rebuilds one child at a time): by the primary key, not a scan of every child's rows.
        var one = deviceIds is { Count: 1 } ? deviceIds.First() : null;
        command.CommandText = $"SELECT {ReleaseColumns} FROM child_releases WHERE ($catalog IS NULL OR catalog_id = $catalog) " +
            "AND ($device IS NULL OR device_id = $device) ORDER BY device_id, catalog_id;";
        command.Parameters.AddWithValue("$catalog", (object?)catalogId ?? DBNull.Value);
        command.Parameters.AddWithValue("$device", (object?)one ?? DBNull.Value);
        var list = new List<ChildRelease>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var release = ReadRelease(reader);
            if (deviceIds is not { Count: > 0 } || deviceIds.Contains(release.DeviceId))
            {
                list.Add(release);
            }
        }

        return list;
    }

    private static ChildRelease ReadRelease(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        NullableText(reader, 3),
        NullableText(reader, 4),
        reader.IsDBNull(5) ? null : reader.GetDouble(5),
        NullableText(reader, 6),
        Parse(reader.GetString(7)),
        reader.IsDBNull(8) ? null : reader.GetDouble(8),
        reader.IsDBNull(9) ? null : reader.GetInt64(9));

    private static ChildDevice ReadDevice(SqliteDataReader reader) => new(
        reader.GetString(0),
        JsonSerializer.Deserialize(reader.GetString(1), ParentJsonContext.Default.IReadOnlyListString) ?? [],
        NullableText(reader, 2),
        NullableText(reader, 3),
        NullableText(reader, 4),
        NullableText(reader, 5) is { } data ? ParseObject(data) : null,
        Parse(reader.GetString(6)),
        Parse(reader.GetString(7)),
        reader.GetInt64(8) != 0,
        reader.GetInt64(9) != 0,
        NullableText(reader, 10),
        NullableText(reader, 11) is { } registered ? Parse(registered) : null,
        NullableText(reader, 12) is { } connected ? Parse(connected) : null,
        NullableText(reader, 13) is { } disconnected ? Parse(disconnected) : null);

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static JsonObject? ParseObject(string json)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? NullableText(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    internal static string Text(DateTimeOffset value) => UtcDateTimeOffsetConverter.ToWire(value);

    private static DateTimeOffset Parse(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
