using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// The double's gateway validation of <c>DiscoveryMessageV2Dto</c> (class-validator rules of discovery-general.dto.ts and
/// regex.validator.ts, <c>whitelist: true</c>) and its discovery service (apps/discovery/src/discovery/discovery.service.ts):
/// the device row filled only from <c>general</c>, the message stored with the server's time, and the reported component
/// states applied only when <c>snapshotDate</c> is later than the previous message's stored time.
/// </summary>
public sealed partial class GetAppServerDouble
{
    private static readonly string[] ComponentStates = ["offering", "push", "delivery", "downloaded", "deleted", "deploy", "installed", "uninstalled"];
    private readonly List<JsonObject> _discoveries = [];
    private readonly List<StoredDiscovery> _discoveryMessages = [];
    private readonly Dictionary<string, DeviceRow> _devices = new(StringComparer.Ordinal);

    /// <summary>Every discovery body accepted, as sent.</summary>
    public IReadOnlyList<JsonObject> Discoveries { get { lock (_lock) { return [.. _discoveries.Select(Clone)]; } } }

    /// <summary>The <c>discovery_message</c> rows: what the service kept of each discovery, with its own time.</summary>
    public IReadOnlyList<StoredDiscovery> DiscoveryMessages { get { lock (_lock) { return [.. _discoveryMessages]; } } }

    /// <summary>The <c>device</c> row of a device, as the discovery service filled it, or null.</summary>
    public DeviceRow? Device(string deviceId)
    {
        lock (_lock)
        {
            return _devices.GetValueOrDefault(deviceId);
        }
    }

    private async Task<IResult> DiscoverAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        var problems = new List<string>();
        if (body is null)
        {
            problems.Add("body must be a JSON object");
        }
        else
        {
            RequireString(body, "id", problems);
            if (body["discoveryType"]?.GetValue<string>() is not ("get-app" or "get-map" or "mTls"))
            {
                problems.Add("discoveryType must be one of the following values: get-app, get-map, mTls");
            }

            if (body["deviceTypeToken"] is { } token && token.GetValueKind() != JsonValueKind.String)
            {
                problems.Add("deviceTypeToken must be a string");
            }

            if (body["platform"] is JsonObject platform && platform["token"]?.GetValueKind() != JsonValueKind.String)
            {
                problems.Add("platform.token must be a string");
            }

            CheckGeneral(body["general"], problems);
            foreach (var component in body["softwareData"]?["components"]?.AsArray() ?? [])
            {
                if (component?["catalogId"]?.GetValueKind() != JsonValueKind.String)
                {
                    problems.Add("softwareData.components.catalogId must be a string");
                }

                if (!ComponentStates.Contains(component?["state"]?.GetValue<string>()))
                {
                    problems.Add($"softwareData.components.state must be one of the following values: {string.Join(", ", ComponentStates)}");
                }
            }
        }

        if (problems.Count > 0)
        {
            return await BadRequestAsync(context, body, problems);
        }

        await Record(context, body, 201);
        lock (_lock)
        {
            _discoveries.Add(Clone(body!));
            StoreDiscovery(body!);
            var releases = new JsonArray();
            var deviceId = body!["id"]!.GetValue<string>();
            foreach (var release in _releases.Values.Where(r => r.OfferedTo is null || r.OfferedTo.Contains(deviceId)))
            {
                var entry = new JsonObject
                {
                    ["release"] = ReleaseJson(release),
                    ["isPush"] = release.IsPush,
                    ["hierarchyTrees"] = new JsonArray(),
                    ["dependedOnBy"] = new JsonArray([.. release.DependedOnBy.Select(d => (JsonNode?)d)]),
                };
                if (release.Available is { } available)
                {
                    entry["available"] = available;
                }

                releases.Add(entry);
            }

            return Results.Json(new JsonObject
            {
                ["offer"] = new JsonArray(),
                ["push"] = new JsonArray(),
                ["releases"] = releases,
                ["restrictions"] = Restrictions.DeepClone(),
                ["latestConfigSemVer"] = LatestConfigSemVer,
                ["configDeviceIds"] = new JsonArray(),
            }, statusCode: 201);
        }
    }

    /// <summary>
    /// setDeviceContext + discoveryDeviceContext: the row's name, OS, MAC, IP and available storage come only from
    /// <c>general</c> (nulled when it is absent; the name keeps its last value); the message is stored with the server's
    /// time; components are applied when <c>snapshotDate</c> is later than the previous stored message's time. (The real
    /// service saves the new message without awaiting it before it reads the latest one, so it compares with the previous.)
    /// </summary>
    private void StoreDiscovery(JsonObject body)
    {
        var id = body["id"]!.GetValue<string>();
        var general = Whitelisted(body["general"] as JsonObject);
        var personal = general?["personalDevice"] as JsonObject;
        var situational = general?["situationalDevice"] as JsonObject;
        var physical = general?["physicalDevice"] as JsonObject;
        var now = ServerNow;
        var previous = _devices.GetValueOrDefault(id);
        _devices[id] = new DeviceRow(
            id,
            Name: Text(personal?["name"]) ?? previous?.Name,
            Os: Text(physical?["OS"]),
            Mac: Text(physical?["MAC"]),
            Ip: Text(physical?["IP"]),
            AvailableStorage: Text(situational?["availableStorage"]),
            SerialNumber: physical?.ContainsKey("serialNumber") == true ? Text(physical["serialNumber"]) : previous?.SerialNumber,
            LastConnectionDate: now);

        var type = body["discoveryType"]!.GetValue<string>();
        var last = _discoveryMessages.LastOrDefault(m => m.DeviceId == id && m.DiscoveryType == type);
        var text = Text(body["snapshotDate"]);
        var snapshot = text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed : (DateTimeOffset?)null;
        var applied = last is null || (snapshot is { } s && s > last.SnapshotDate);
        _discoveryMessages.Add(new StoredDiscovery(id, type, now, snapshot, applied,
            personal?.DeepClone() as JsonObject, situational?.DeepClone() as JsonObject));
        if (!applied)
        {
            Log($"DEBUG [DiscoveryService] discovery of {id}: snapshotDate {text ?? "(none)"} is not after {last!.SnapshotDate:O}; components not applied");
            return;
        }

        if (type == "get-app" && body["softwareData"]?["components"] is JsonArray components)
        {
            ApplyComponents(id, components);
        }
    }

    private static JsonObject? Whitelisted(JsonObject? general)
    {
        if (general is null)
        {
            return null;
        }

        var kept = new JsonObject();
        foreach (var (section, fields) in GeneralFields)
        {
            if (general[section] is JsonObject values)
            {
                kept[section] = new JsonObject(values.Where(p => fields.Contains(p.Key)).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
            }
        }

        return kept;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
}

/// <summary>The discovery service's <c>device</c> row.</summary>
public sealed record DeviceRow(string Id, string? Name, string? Os, string? Mac, string? Ip, string? AvailableStorage, string? SerialNumber, DateTimeOffset LastConnectionDate);

/// <summary>
/// A <c>discovery_message</c> row: stored with the server's time (<see cref="SnapshotDate"/>), the device's
/// <see cref="SentSnapshotDate"/>, and whether its component states were applied.
/// </summary>
public sealed record StoredDiscovery(string DeviceId, string DiscoveryType, DateTimeOffset SnapshotDate, DateTimeOffset? SentSnapshotDate, bool Applied,
    JsonObject? PersonalDevice, JsonObject? SituationalDevice);
