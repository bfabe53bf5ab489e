using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Reporting;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream.GetAppServer;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Parent;

/// <summary>
/// Store-and-forward of children's status reports (<c>updateDownloadStatus</c>, <c>updateDeployStatus</c>): each report
/// is checked as the GetApp server checks it, then, in one transaction, the child's registry entry is updated and the
/// report is queued in the outbox, tagged with the child's device id. The outbox sender forwards it in order with this
/// agent's own reports. Its dates are moved into the upstream's clock and never go back per child and release, whatever
/// the estimate of that clock does meanwhile; <c>currentTime</c> is kept strictly increasing (the server ignores a report
/// that is not later than the last one it stored). Children's reports waiting in the outbox are bounded by
/// <c>parentReportsMax</c>: beyond it the oldest are dropped and counted.
/// </summary>
public sealed partial class ChildReports(
    AgentDatabase database,
    LiveSettings settings,
    TimeProvider timeProvider,
    ILogger<ChildReports> logger,
    ReportOutbox? outbox = null,
    ServerClock? serverClock = null)
{
    /// <summary>The <c>device</c> table key counting children's reports dropped because the outbox was full.</summary>
    public const string DroppedKey = "parent.reports.dropped";

    private static readonly string[] DeliveryStatuses = ["Start", "Done", "Error", "Cancelled", "Pause", "Continue", "Download", "Deleted"];
    private static readonly string[] DeployStatuses = ["Start", "Done", "Installing", "Continue", "Pause", "Cancelled", "Error", "Uninstall"];
    private static readonly string[] ItemTypes = ["software", "map", "cache", "config"];
    private static readonly string[] DeliveryDates = ["downloadStart", "downloadStop", "downloadDone", "currentTime"];
    private static readonly string[] DeployDates = ["deployStart", "deployStop", "deployDone", "currentTime"];
    private static readonly string[] DeliveryEventDates = DeliveryDates[..^1];
    private static readonly string[] DeployEventDates = DeployDates[..^1];

    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>Raised after a child's report is stored, with the child's device id (the fleet view follows it).</summary>
    public event Action<string>? Accepted;

    /// <summary>
    /// Checks and queues one report. Returns null when it was stored, else the problems that make the GetApp server refuse
    /// it (the route answers 400 with them, and nothing is stored).
    /// </summary>
    public async Task<IReadOnlyList<string>?> AcceptAsync(ReportKind kind, JsonObject report, string? address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var problems = Check(kind, report);
        if (problems.Count > 0)
        {
            return problems;
        }

        // Into the upstream's clock (see ChildTimes) with one offset for the whole report, so its dates keep their order.
        var offset = serverClock?.Offset ?? TimeSpan.Zero;

        var deviceId = report["deviceId"]!.GetValue<string>();
        var catalogId = report["catalogId"]!.GetValue<string>();
        var status = report[kind == ReportKind.Deploy ? "deployStatus" : "deliveryStatus"]!.GetValue<string>();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var now = serverClock?.Now ?? timeProvider.GetUtcNow();
            await ChildRegistry.TouchAsync(connection, transaction, deviceId, address, now, cancellationToken).ConfigureAwait(false);
            var (known, lastDelivery, lastDeploy) = await ChildRegistry.FindReleaseAsync(connection, transaction, deviceId, catalogId, cancellationToken).ConfigureAwait(false);

            // The child's own dates of a release only go forward in time, and so do they here, though the offset into the
            // upstream's clock may move between two reports (ChildRegistry.Relay): each date is at least the last one
            // relayed in that field for this release.
            var floors = ChildRegistry.ParseRelayedTimes(await ChildRegistry.FindRelayedTimesAsync(connection, transaction, deviceId, catalogId, cancellationToken).ConfigureAwait(false));
            ChildTimes.Convert(report, kind == ReportKind.Deploy ? DeployEventDates : DeliveryEventDates, (field, date) =>
                floors[field] = ChildRegistry.NotBefore(date + offset, floors.TryGetValue(field, out var floor) ? floor : null));

            // currentTime: one floor for both kinds, and strictly later (the server ignores a report not later than the last).
            var last = Later(lastDelivery is null ? null : ChildTimes.Parse(lastDelivery), lastDeploy is null ? null : ChildTimes.Parse(lastDeploy));
            var currentTime = NextCurrentTime(report["currentTime"] is JsonValue given ? ChildTimes.Parse(given.GetValue<string>()) + offset : null, last, now);
            report["currentTime"] = UtcDateTimeOffsetConverter.ToWire(currentTime);
            var wireTime = UtcDateTimeOffsetConverter.ToWire(currentTime);

            var release = Apply(kind, status, report, known, deviceId, catalogId, now);
            await ChildRegistry.SaveReleaseAsync(connection, transaction, release,
                kind == ReportKind.Delivery ? wireTime : lastDelivery, kind == ReportKind.Deploy ? wireTime : lastDeploy, cancellationToken).ConfigureAwait(false);
            await ChildRegistry.SaveRelayedTimesAsync(connection, transaction, deviceId, catalogId, ChildRegistry.RelayedTimesJson(floors), cancellationToken).ConfigureAwait(false);

            await using (var insert = connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO outbox (kind, payload, created_at, device_id) VALUES ($kind, $payload, $created, $device);";
                insert.Parameters.AddWithValue("$kind", kind == ReportKind.Deploy ? "deploy" : "delivery");
                insert.Parameters.AddWithValue("$payload", report.ToJsonString());
                insert.Parameters.AddWithValue("$created", now.ToString("O", CultureInfo.InvariantCulture));
                insert.Parameters.AddWithValue("$device", deviceId);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var dropped = await DropOverflowAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            if (dropped > 0)
            {
                LogDropped(dropped, settings.Current.ParentReportsMax);
            }
        }
        finally
        {
            _writeLock.Release();
        }

        outbox?.NotifyChanged();
        Accepted?.Invoke(deviceId);
        return null;
    }

    /// <summary>How many children's reports wait in the outbox, and how many were ever dropped because it was full.</summary>
    public async Task<(int Pending, long Dropped)> CountsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM outbox WHERE device_id IS NOT NULL;";
        var pending = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        var dropped = await DeviceTable.GetAsync(connection, null, DroppedKey, cancellationToken).ConfigureAwait(false);
        return (pending, long.TryParse(dropped, NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : 0);
    }

    /// <summary>The child's time when it is later than the last one forwarded for this release (or there was none); else 1 ms later than that.</summary>
    internal static DateTimeOffset NextCurrentTime(DateTimeOffset? given, DateTimeOffset? last, DateTimeOffset now)
    {
        var candidate = given ?? now;
        candidate = new DateTimeOffset(candidate.UtcTicks - (candidate.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        return last is { } l && candidate <= l ? l.AddMilliseconds(1) : candidate;
    }

    /// <summary>The registry's view after the report, by the GetApp server's own mapping of delivery and deploy statuses to states.</summary>
    internal static ChildRelease Apply(ReportKind kind, string status, JsonObject report, ChildRelease? known, string deviceId, string catalogId, DateTimeOffset now)
    {
        var before = known ?? new ChildRelease(deviceId, catalogId, Wire.Of(ReleaseState.Delivery), null, null, null, null, now);
        if (kind == ReportKind.Delivery)
        {
            var partial = report["state"] is JsonValue s && s.TryGetValue<string>(out var phase) && phase is "Prepare" or "Download" or "Validation";
            var state = status switch
            {
                "Deleted" => ReleaseState.Deleted,
                "Done" when !partial => ReleaseState.Downloaded,
                _ => ReleaseState.Delivery,
            };
            return before with
            {
                State = Wire.Of(state),
                DeliveryStatus = status,
                DeployStatus = null,
                Progress = status == "Done" && !partial ? 100 : Number(report, "downloadData") ?? before.Progress,
                Error = status == "Error" ? "Error" : null,
                UpdatedAt = now,
                // Only a running download moves: its average speed (bytes/s) and estimate (sent in ms, kept in s).
                Speed = status is "Download" or "Continue" ? Number(report, "downloadSpeed") : null,
                Eta = status is "Download" or "Continue" && Number(report, "downloadEstimateTime") is { } ms ? (long)Math.Round(ms / 1000) : null,
            };
        }

        var deployState = status switch
        {
            "Done" => ReleaseState.Installed,
            "Uninstall" => ReleaseState.Uninstalled,
            _ => ReleaseState.Deploy,
        };
        return before with
        {
            State = Wire.Of(deployState),
            DeployStatus = status,
            Progress = status == "Done" ? 100 : Number(report, "progress") ?? before.Progress,
            Error = status == "Error" ? "Error" : null,
            UpdatedAt = now,
            Speed = null,
            Eta = status == "Installing" && Number(report, "deployEstimateTime") is { } deployMs ? (long)Math.Round(deployMs / 1000) : null,
        };
    }

    /// <summary>The checks of the server's <c>DeliveryStatusDto</c> / <c>DeployStatusDto</c> that a report can fail.</summary>
    internal static List<string> Check(ReportKind kind, JsonObject report)
    {
        var problems = new List<string>();
        RequireText(report, "deviceId", problems);
        RequireText(report, "catalogId", problems);
        if (report["catalogId"] is JsonValue id && id.TryGetValue<string>(out var catalogId) && catalogId.Length > 0
            && !CatalogIdRules.IsWellFormed(catalogId, out var problem))
        {
            problems.Add($"catalogId is not valid: {problem}");
        }

        var (statusField, statuses) = kind == ReportKind.Deploy ? ("deployStatus", DeployStatuses) : ("deliveryStatus", DeliveryStatuses);
        if (!(report[statusField] is JsonValue sv && sv.TryGetValue<string>(out var status) && statuses.Contains(status)))
        {
            problems.Add($"{statusField} must be one of the following values: {string.Join(", ", statuses)}");
        }

        if (!(report["type"] is JsonValue tv && tv.TryGetValue<string>(out var type) && ItemTypes.Contains(type)))
        {
            problems.Add($"type must be one of the following values: {string.Join(", ", ItemTypes)}");
        }

        foreach (var name in kind == ReportKind.Deploy ? DeployDates : DeliveryDates)
        {
            if (report[name] is { } value && !(value is JsonValue v && v.TryGetValue<string>(out var text) && ChildTimes.Parse(text) is not null))
            {
                problems.Add($"{name} must be a valid ISO 8601 date string");
            }
        }

        string[] numbers = kind == ReportKind.Deploy
            ? ["deployEstimateTime", "progress"]
            : ["downloadData", "bitNumber", "downloadSpeed", "downloadEstimateTime"];
        foreach (var name in numbers)
        {
            if (report[name] is { } value && value.GetValueKind() != JsonValueKind.Number)
            {
                problems.Add($"{name} must be a number");
            }
        }

        if (kind == ReportKind.Deploy && Number(report, "progress") is { } progress && (progress is < 0 or > 100 || progress % 1 != 0))
        {
            problems.Add("progress must be an integer between 0 and 100");
        }

        if (kind == ReportKind.Delivery && report["itemKey"] is { } itemKey && itemKey.GetValueKind() != JsonValueKind.String)
        {
            problems.Add("itemKey must be a string");
        }

        return problems;
    }

    private async Task<int> DropOverflowAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        var max = settings.Current.ParentReportsMax;
        await using var count = connection.CreateCommand();
        count.Transaction = transaction;
        count.CommandText = "SELECT COUNT(*) FROM outbox WHERE device_id IS NOT NULL;";
        var pending = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (pending <= max)
        {
            return 0;
        }

        var excess = pending - max;
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE device_id IS NOT NULL ORDER BY id LIMIT $n);";
            delete.Parameters.AddWithValue("$n", excess);
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var before = await DeviceTable.GetAsync(connection, transaction, DroppedKey, cancellationToken).ConfigureAwait(false);
        var total = (long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : 0) + excess;
        await DeviceTable.SetAsync(connection, transaction, DroppedKey, total.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        return excess;
    }

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static void RequireText(JsonObject report, string name, List<string> problems)
    {
        if (!(report[name] is JsonValue v && v.TryGetValue<string>(out var text) && text.Length is > 0 and <= 1000))
        {
            problems.Add($"{name} must be a string");
        }
    }

    private static double? Number(JsonObject report, string name) =>
        report[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;


    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "{Count} of the children's oldest reports were dropped: more than {Max} were waiting for the upstream (parentReportsMax)")]
    private partial void LogDropped(int count, int max);
}
