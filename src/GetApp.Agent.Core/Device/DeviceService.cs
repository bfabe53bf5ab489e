using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream.GetAppServer;

namespace GetApp.Agent.Core.Device;

/// <summary>
/// The device's identity and data (GetApp Agent API V7–V11): enrollment and metadata, stored in the <c>device</c>
/// table, feeding every discovery. Enrollment = first-run seeds (environment, command line) overlaid with what was
/// changed through the API; metadata = what was set through the API plus the read-only values the agent computes.
/// </summary>
public sealed class DeviceService(
    AgentDatabase database,
    DeviceIdentity identity,
    DeviceSeed seed,
    AgentOptions options,
    DataDirectory dataDirectory,
    GetAppServerConnection? serverConnection = null,
    Settings.LiveSettings? settings = null)
{
    private const string EnrollmentKey = "enrollment";
    private const string MetadataKey = "metadata";
    private const string LatestConfigSemVerKey = "latestConfigSemVer";
    private const string RestrictionsKey = "restrictions";

    /// <summary>Enrollment fields a client may change; the others are set by the agent.</summary>
    public static readonly string[] WritableEnrollment =
        ["deviceId", "deviceType", "platform", "platformId", "urlGetAppServerAvailable", "urlNetworkAvailability", "orchestrateMe", "reactiveMode"];

    public static readonly string[] ReadOnlyEnrollment = ["orchestratedBy", "orchestratorId", "deliverySource"];

    /// <summary>Enrollment fields that are live settings (docs/fleet.md).</summary>
    private static readonly string[] FleetFlags = ["orchestrateMe", "reactiveMode"];

    /// <summary>Metadata computed by the agent; a client cannot set them.</summary>
    public static readonly string[] ReadOnlyMetadata =
        ["macAddress", "ipAddress", "os", "osRelease", "storageAvailable", "battery", "bandwidth", "urlGetAppServerActive"];

    /// <summary>
    /// Bounds of the stored metadata (what clients set), checked once an update is applied: it is sent to the server with
    /// every discovery and listed in its supportedFields, so it stays a label set, not a store.
    /// </summary>
    public const int MaxMetadataKeys = 64;

    public const int MaxMetadataBytes = 32 * 1024;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private JsonObject? _enrollmentOverrides;

    public string DeviceId => identity.DeviceId;

    public async Task<DeviceEnrollment> GetEnrollmentAsync(CancellationToken cancellationToken)
    {
        var overrides = _enrollmentOverrides ?? await LoadObjectAsync(EnrollmentKey, cancellationToken).ConfigureAwait(false);
        _enrollmentOverrides = overrides;
        var enrollment = Materialize(overrides);
        serverConnection?.SetUrls(enrollment.UrlGetAppServerAvailable);
        return enrollment;
    }

    /// <summary>
    /// Partial update of the enrollment. Returns the problem with the first bad field (then nothing changes).
    /// <c>orchestrateMe</c> and <c>reactiveMode</c> are the live settings of the same names (docs/fleet.md): they are
    /// written there, so the two APIs never disagree.
    /// </summary>
    public async Task<(DeviceEnrollment? Enrollment, string? Problem)> UpdateEnrollmentAsync(JsonObject changes, CancellationToken cancellationToken)
    {
        foreach (var (name, value) in changes)
        {
            if (CheckEnrollment(name, value) is { } problem)
            {
                return (null, problem);
            }
        }

        var fleetFlags = new JsonObject();
        foreach (var name in FleetFlags)
        {
            if (changes.TryGetPropertyValue(name, out var flag))
            {
                fleetFlags[name] = flag?.DeepClone();
            }
        }

        if (fleetFlags.Count > 0 && settings is not null && await settings.UpdateAsync(fleetFlags, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return (null, refused);
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var overrides = await LoadObjectAsync(EnrollmentKey, cancellationToken).ConfigureAwait(false);
            foreach (var (name, value) in changes)
            {
                if (FleetFlags.Contains(name) && settings is not null)
                {
                    continue;
                }

                if (name == "deviceId")
                {
                    identity.Change(value!.GetValue<string>());
                }
                else
                {
                    overrides[name] = value?.DeepClone();
                }
            }

            await SaveAsync(EnrollmentKey, overrides.ToJsonString(), cancellationToken).ConfigureAwait(false);
            _enrollmentOverrides = overrides;
        }
        finally
        {
            _writeLock.Release();
        }

        return (await GetEnrollmentAsync(cancellationToken).ConfigureAwait(false), null);
    }

    /// <summary>
    /// Records what this agent's parent decided about managing it (docs/fleet.md): <paramref name="orchestratedBy"/> and
    /// <paramref name="orchestratorId"/> (null: not orchestrated), and, when given, the platform it adopts from its parent.
    /// </summary>
    public async Task SetOrchestrationAsync(string? orchestratedBy, string? orchestratorId, string? platform, string? platformId, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var overrides = await LoadObjectAsync(EnrollmentKey, cancellationToken).ConfigureAwait(false);
            overrides["orchestratedBy"] = orchestratedBy;
            overrides["orchestratorId"] = orchestratorId;
            if (platform is not null)
            {
                overrides["platform"] = platform;
            }

            if (platformId is not null)
            {
                overrides["platformId"] = platformId;
            }

            await SaveAsync(EnrollmentKey, overrides.ToJsonString(), cancellationToken).ConfigureAwait(false);
            _enrollmentOverrides = overrides;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The metadata: stored fields (name, location, custom keys) and the computed read-only ones.</summary>
    public async Task<JsonObject> GetMetadataAsync(CancellationToken cancellationToken)
    {
        var stored = await LoadObjectAsync(MetadataKey, cancellationToken).ConfigureAwait(false);
        var (mac, ip) = DeviceFacts.Network();
        var metadata = new JsonObject
        {
            ["name"] = stored["name"]?.DeepClone(),
            ["location"] = stored["location"]?.DeepClone(),
            ["os"] = DeviceFacts.Os,
            ["osRelease"] = DeviceFacts.OsRelease,
            ["storageAvailable"] = DeviceFacts.StorageAvailable(dataDirectory.Root),
            ["macAddress"] = mac,
            ["ipAddress"] = ip,
            ["battery"] = null,
            ["bandwidth"] = null,
            ["urlGetAppServerActive"] = serverConnection?.ActiveUrl,
        };
        foreach (var (name, value) in stored)
        {
            if (!metadata.ContainsKey(name))
            {
                metadata[name] = value?.DeepClone();
            }
        }

        return metadata;
    }

    /// <summary>Partial update of the metadata: <c>name</c>, <c>location</c>, custom keys (<c>null</c> deletes a custom key).</summary>
    public async Task<(JsonObject? Metadata, string? Problem)> UpdateMetadataAsync(JsonObject changes, CancellationToken cancellationToken)
    {
        foreach (var (name, value) in changes)
        {
            if (CheckMetadata(name, value) is { } problem)
            {
                return (null, problem);
            }
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = await LoadObjectAsync(MetadataKey, cancellationToken).ConfigureAwait(false);
            foreach (var (name, value) in changes)
            {
                if (value is null)
                {
                    stored.Remove(name);
                }
                else
                {
                    stored[name] = value.DeepClone();
                }
            }

            var json = stored.ToJsonString();
            if (stored.Count > MaxMetadataKeys)
            {
                return (null, $"the metadata would hold {stored.Count} keys; at most {MaxMetadataKeys} are kept (a key set to null is removed)");
            }

            if (System.Text.Encoding.UTF8.GetByteCount(json) is var bytes and > MaxMetadataBytes)
            {
                return (null, $"the metadata would take {bytes} bytes as JSON; at most {MaxMetadataBytes} bytes are kept");
            }

            await SaveAsync(MetadataKey, json, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }

        return (await GetMetadataAsync(cancellationToken).ConfigureAwait(false), null);
    }

    /// <summary>Keeps what the last discovery answer said about configuration and restrictions, for later use.</summary>
    public async Task SaveServerHintsAsync(string? latestConfigSemVer, JsonArray? restrictions, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (Microsoft.Data.Sqlite.SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await DeviceTable.SetAsync(connection, transaction, LatestConfigSemVerKey, JsonSerializer.Serialize<JsonNode?>(latestConfigSemVer is null ? null : JsonValue.Create(latestConfigSemVer), AgentJson.Context.JsonNode), cancellationToken).ConfigureAwait(false);
        await DeviceTable.SetAsync(connection, transaction, RestrictionsKey, (restrictions ?? []).ToJsonString(), cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The stored hints: <c>latestConfigSemVer</c> (null when never received) and <c>restrictions</c> (empty when none).</summary>
    public async Task<(string? LatestConfigSemVer, JsonArray Restrictions)> GetServerHintsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var semver = await DeviceTable.GetAsync(connection, null, LatestConfigSemVerKey, cancellationToken).ConfigureAwait(false);
        var restrictions = await DeviceTable.GetAsync(connection, null, RestrictionsKey, cancellationToken).ConfigureAwait(false);
        return (semver is null ? null : JsonNode.Parse(semver)?.GetValue<string>(),
            restrictions is null ? [] : JsonNode.Parse(restrictions) as JsonArray ?? []);
    }

    private DeviceEnrollment Defaults() => new()
    {
        DeviceId = identity.DeviceId,
        DeviceType = seed.DeviceTypes,
        Platform = seed.Platform,
        PlatformId = seed.PlatformId,
        UrlGetAppServerAvailable = options.UpstreamUrls,
    };

    private DeviceEnrollment Materialize(JsonObject overrides)
    {
        var merged = JsonSerializer.SerializeToNode(Defaults(), AgentJson.Context.DeviceEnrollment)!.AsObject();
        foreach (var (name, value) in overrides)
        {
            if (name != "deviceId" && WritableEnrollment.Contains(name) && CheckEnrollment(name, value) is null)
            {
                merged[name] = value?.DeepClone();
            }
            else if (name is "orchestratedBy" or "orchestratorId" && value is JsonValue v && v.TryGetValue<string>(out var text))
            {
                // Set by the parent's answer (SetOrchestrationAsync), never by a client.
                merged[name] = text;
            }
        }

        if (settings is not null)
        {
            merged["orchestrateMe"] = settings.Current.OrchestrateMe;
            merged["reactiveMode"] = settings.Current.ReactiveMode;
        }

        return merged.Deserialize(AgentJson.Context.DeviceEnrollment)! with { DeviceId = identity.DeviceId };
    }

    private static string? CheckEnrollment(string name, JsonNode? value)
    {
        if (ReadOnlyEnrollment.Contains(name))
        {
            return $"'{name}' is read-only (set by the agent)";
        }

        return name switch
        {
            "deviceId" => value is JsonValue v && v.TryGetValue<string>(out var id) ? DeviceIdentity.Check(id) : "'deviceId' must be a string",
            "deviceType" => IsStringArray(value, out var types) && types.Count > 0 && types.All(t => t.Length > 0 && !t.Contains(',', StringComparison.Ordinal))
                ? null : "'deviceType' must be a non-empty array of device-type tokens (strings without commas)",
            "platform" or "platformId" or "urlNetworkAvailability" => value is JsonValue s && s.TryGetValue<string>(out _) ? null : $"'{name}' must be a string",
            "urlGetAppServerAvailable" => IsStringArray(value, out var urls) && urls.All(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
                ? null : "'urlGetAppServerAvailable' must be an array of http(s) URLs",
            "orchestrateMe" or "reactiveMode" => value is JsonValue b && b.TryGetValue<bool>(out _) ? null : $"'{name}' must be true or false",
            _ => $"'{name}' is not an enrollment field (known: {string.Join(", ", WritableEnrollment)})",
        };
    }

    private static string? CheckMetadata(string name, JsonNode? value)
    {
        if (ReadOnlyMetadata.Contains(name))
        {
            return $"'{name}' is read-only (computed by the agent)";
        }

        if (name.Length is 0 or > 100 || name.Any(char.IsControl))
        {
            return "metadata keys must be 1 to 100 printable characters";
        }

        return name switch
        {
            "name" when value is not null && !(value is JsonValue v && v.TryGetValue<string>(out _)) => "'name' must be a string or null",
            "location" when value is not null and not JsonObject => "'location' must be an object ({lat, long, alt}) or null",
            _ => null,
        };
    }

    private static bool IsStringArray(JsonNode? node, out List<string> values)
    {
        values = [];
        if (node is not JsonArray array)
        {
            return false;
        }

        foreach (var item in array)
        {
            if (item is not JsonValue v || !v.TryGetValue<string>(out var s))
            {
                return false;
            }

            values.Add(s);
        }

        return true;
    }

    private async Task<JsonObject> LoadObjectAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var text = await DeviceTable.GetAsync(connection, null, key, cancellationToken).ConfigureAwait(false);
        return text is null ? [] : JsonNode.Parse(text) as JsonObject ?? [];
    }

    private async Task SaveAsync(string key, string value, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await DeviceTable.SetAsync(connection, null, key, value, cancellationToken).ConfigureAwait(false);
    }
}
