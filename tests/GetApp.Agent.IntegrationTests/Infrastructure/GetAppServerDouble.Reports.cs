using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// The double's report routes and what the delivery, deploy and discovery services make of them: the
/// <c>delivery_status</c> upsert (only a later <c>currentTime</c> updates a row), the 32-bit integer columns
/// (delivery-status.entity.ts, the deploy_status migration) that make a report fail after the gateway answered 201,
/// and the per-device component states (device.service.ts updateDeviceSoftware).
/// </summary>
public sealed partial class GetAppServerDouble
{
    private static readonly string[] DeliveryStatuses = ["Start", "Done", "Error", "Cancelled", "Pause", "Continue", "Download", "Deleted"];
    private static readonly string[] DeliveryStates = ["Prepare", "Download", "Validation", "Done"];
    private static readonly string[] DeployStatuses = ["Start", "Done", "Installing", "Continue", "Pause", "Cancelled", "Error", "Uninstall"];

    private readonly List<JsonObject> _deliveryReports = [];
    private readonly List<JsonObject> _deployReports = [];
    private readonly List<JsonObject> _ignoredReports = [];
    private readonly List<JsonObject> _rejectedReports = [];
    private readonly Dictionary<string, DateTimeOffset> _lastDeliveryTime = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Device, string CatalogId), ComponentState> _components = [];

    public IReadOnlyList<JsonObject> DeliveryReports { get { lock (_lock) { return [.. _deliveryReports.Select(Clone)]; } } }
    public IReadOnlyList<JsonObject> DeployReports { get { lock (_lock) { return [.. _deployReports.Select(Clone)]; } } }

    /// <summary>Delivery reports the real server would ignore (no <c>currentTime</c>, or not later than the stored one).</summary>
    public IReadOnlyList<JsonObject> IgnoredReports { get { lock (_lock) { return [.. _ignoredReports.Select(Clone)]; } } }

    /// <summary>Reports answered 201 that the real service then failed to store (a value overflowing a 32-bit column); see <see cref="ServerLog"/>.</summary>
    public IReadOnlyList<JsonObject> RejectedReports { get { lock (_lock) { return [.. _rejectedReports.Select(Clone)]; } } }

    /// <summary>The <c>device_component</c> state of a release on a device, as the server holds it, or null (no row).</summary>
    public ComponentState? Component(string deviceId, string catalogId)
    {
        lock (_lock)
        {
            return _components.GetValueOrDefault((deviceId, catalogId));
        }
    }

    private async Task<IResult> DeliveryStatusAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        var problems = CheckReport(body, "deliveryStatus", DeliveryStatuses, "downloadStart", "downloadStop", "downloadDone", "currentTime");
        if (body?["state"] is { } state && !(state.GetValueKind() == JsonValueKind.String && DeliveryStates.Contains(state.GetValue<string>())))
        {
            problems.Add($"state must be one of the following values: {string.Join(", ", DeliveryStates)}");
        }

        if (problems.Count > 0)
        {
            return await BadRequestAsync(context, body, problems);
        }

        await Record(context, body, 201);
        lock (_lock)
        {
            if ((Int32Problem(body!, "bit_number", "bitNumber") ?? Int32Problem(body!, "download_estimate_time", "downloadEstimateTime")) is { } overflow)
            {
                Reject(body!, "DeliveryService", overflow);
                return Results.StatusCode(201);
            }

            // delivery_status is unique per (device, catalogId, itemKey) and only updated when currentTime is later (§4.2).
            var device = body!["deviceId"]!.GetValue<string>();
            var catalogId = body["catalogId"]!.GetValue<string>();
            var key = $"{device}|{catalogId}|{body["itemKey"]?.GetValue<string>() ?? "gpkg"}";
            var time = body["currentTime"] is { } t ? DateTimeOffset.Parse(t.GetValue<string>(), CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
            if (time is null || (_lastDeliveryTime.TryGetValue(key, out var last) && time <= last))
            {
                _ignoredReports.Add(Clone(body));
                return Results.StatusCode(201);
            }

            _lastDeliveryTime[key] = time.Value;
            _deliveryReports.Add(Clone(body));
            if (_releases.ContainsKey(catalogId))
            {
                // The newest libs: Done marks the release downloaded only when the report is about the whole delivery.
                var status = body["deliveryStatus"]!.GetValue<string>();
                var phase = body["state"]?.GetValue<string>();
                SetComponent(device, catalogId, status switch
                {
                    "Deleted" => "deleted",
                    "Done" when phase is null or "Done" => "downloaded",
                    _ => "delivery",
                }, status == "Error" ? "Error" : null);
            }
        }

        return Results.StatusCode(201);
    }

    private async Task<IResult> DeployStatusAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        var problems = CheckReport(body, "deployStatus", DeployStatuses, "deployStart", "deployStop", "deployDone", "currentTime");
        if (body?["progress"] is { } p && (p.GetValueKind() != JsonValueKind.Number || p.GetValue<double>() is < 0 or > 100 || p.GetValue<double>() % 1 != 0))
        {
            problems.Add("progress must be an integer between 0 and 100");
        }

        if (problems.Count > 0)
        {
            return await BadRequestAsync(context, body, problems);
        }

        await Record(context, body, 201);
        lock (_lock)
        {
            if (Int32Problem(body!, "deploy_estimate_time", "deployEstimateTime") is { } overflow)
            {
                Reject(body!, "DeployService", overflow);
                return Results.StatusCode(201);
            }

            _deployReports.Add(Clone(body!));
            var catalogId = body!["catalogId"]!.GetValue<string>();
            if (_releases.ContainsKey(catalogId))
            {
                var status = body["deployStatus"]!.GetValue<string>();
                SetComponent(body["deviceId"]!.GetValue<string>(), catalogId, status switch
                {
                    "Done" => "installed",
                    "Uninstall" => "uninstalled",
                    _ => "deploy",
                }, status == "Error" ? "Error" : null);
            }
        }

        return Results.StatusCode(201);
    }

    /// <summary>What the server's delivery and deploy status DTOs share: ids, the status enum, the item type, ISO dates.</summary>
    private static List<string> CheckReport(JsonObject? body, string statusField, string[] statuses, params string[] dateFields)
    {
        var problems = new List<string>();
        if (body is null)
        {
            problems.Add("body must be a JSON object");
            return problems;
        }

        RequireString(body, "deviceId", problems);
        RequireString(body, "catalogId", problems);
        if (!statuses.Contains(body[statusField]?.GetValue<string>()))
        {
            problems.Add($"{statusField} must be one of the following values: {string.Join(", ", statuses)}");
        }

        if (!ItemTypes.Contains(body["type"]?.GetValue<string>()))
        {
            problems.Add("type must be one of the following values: software, map, cache, config");
        }

        CheckDates(body, problems, "", dateFields);
        return problems;
    }

    /// <summary>What Postgres says when a value does not fit an <c>integer</c> column, or null when it fits (or is absent).</summary>
    private static string? Int32Problem(JsonObject body, string column, string field)
    {
        if (body[field] is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        var text = value.ToJsonString();
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number != decimal.Truncate(number))
        {
            return $"invalid input syntax for type integer: \"{text}\" (column {column})";
        }

        return number is < int.MinValue or > int.MaxValue ? $"value \"{text}\" is out of range for type integer (column {column})" : null;
    }

    private void Reject(JsonObject body, string service, string problem)
    {
        _rejectedReports.Add(Clone(body));
        Log($"ERROR [{service}] QueryFailedError: {problem}; the report of {body["deviceId"]} for {body["catalogId"]} is lost");
    }

    /// <summary>
    /// Discovery (setCompsOnDeviceV2): every reported release the server knows takes the reported state; a release the
    /// device has (not an offer) that is not reported any more is uninstalled (its row removed).
    /// </summary>
    private void ApplyComponents(string deviceId, JsonArray components)
    {
        var reported = components.Select(c => (Id: c!["catalogId"]!.GetValue<string>(), State: c["state"]!.GetValue<string>(), Error: Text(c["error"]))).ToList();
        foreach (var key in _components.Keys.Where(k => k.Device == deviceId).ToList())
        {
            if (_components[key].State is not ("push" or "offering") && reported.All(r => Normalized(r.Id) != Normalized(key.CatalogId)))
            {
                SetComponent(deviceId, key.CatalogId, "uninstalled", null);
            }
        }

        foreach (var (id, state, error) in reported)
        {
            if (_releases.Keys.FirstOrDefault(k => Normalized(k) == Normalized(id)) is { } known)
            {
                SetComponent(deviceId, known, state, error);
            }
            else
            {
                Log($"WARN [DiscoveryService] Found unknown version from device {deviceId}: {id} (recorded as a pending version)");
            }
        }
    }

    /// <summary>updateDeviceSoftware: uninstalled removes the row; deleted too unless deploy/installed/uninstalled; an offer never overrides.</summary>
    private void SetComponent(string deviceId, string catalogId, string state, string? error)
    {
        var key = (deviceId, catalogId);
        var current = _components.GetValueOrDefault(key);
        switch (state)
        {
            case "uninstalled":
                _components.Remove(key);
                break;
            case "deleted" when current?.State is not ("deploy" or "installed" or "uninstalled"):
                _components.Remove(key);
                break;
            case "deleted":
                break;
            case "push" or "offering" when current is not null && current.State != "offering":
                break;
            default:
                _components[key] = new ComponentState(state, error, ServerNow);
                break;
        }
    }

    /// <summary>The server matches catalog ids as <c>projectName@version</c> (the id prefix ignored).</summary>
    private static string Normalized(string catalogId)
    {
        var at = catalogId.LastIndexOf('@');
        var name = at < 0 ? catalogId : catalogId[..at];
        return $"{name.Split('.')[^1]}@{(at < 0 ? "" : catalogId[(at + 1)..])}";
    }
}

/// <summary>A <c>device_component</c> row: the state, its error, and when the server last wrote it (server time).</summary>
public sealed record ComponentState(string State, string? Error, DateTimeOffset UpdatedAt);
