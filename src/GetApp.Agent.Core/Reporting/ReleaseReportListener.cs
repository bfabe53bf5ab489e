using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream.GetAppServer;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Reporting;

/// <summary>
/// Turns every release write into the GetApp server report it calls for (<see cref="ReportPlan"/>) and puts it in the
/// outbox inside the same transaction. The report's dates come from the release's own history: when its download and
/// its install started are kept in the <c>device</c> table beside the outbox.
/// </summary>
public sealed class ReleaseReportListener(DeviceIdentity identity, TimeProvider timeProvider, ServerClock serverClock) : IReleaseWriteListener
{
    /// <summary>
    /// One stable <c>itemKey</c> per release: the server keeps one delivery row per (device, catalogId, itemKey), and the
    /// reports describe the release as a whole (a Done for one artifact would mark the release downloaded, §4.2).
    /// </summary>
    public static string ItemKeyOf(string catalogId) => catalogId;

    public async Task OnReleaseWrittenAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRecord before, ReleaseRecord after, CancellationToken cancellationToken)
    {
        foreach (var plan in ReportPlan.For(before, after))
        {
            await EnqueueAsync(connection, transaction, after, plan, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task EnqueueAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRecord after, PlannedReport plan, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        // Report times are in the server's time (the dates it stores, e.g. downloadedAt); still strictly increasing.
        var currentTime = await ReportOutbox.NextCurrentTimeAsync(connection, transaction, serverClock.ToServer(now), cancellationToken).ConfigureAwait(false);
        var timesKey = "reporting.times:" + after.CatalogId;
        var times = JsonNode.Parse(await DeviceTable.GetAsync(connection, transaction, timesKey, cancellationToken).ConfigureAwait(false) ?? "{}") as JsonObject ?? [];

        string payload;
        if (plan.Kind == ReportKind.Delivery)
        {
            if (plan.Status == "Start")
            {
                times["downloadStart"] = UtcDateTimeOffsetConverter.ToWire(currentTime);
            }

            var start = ReadTime(times, "downloadStart");
            var total = TotalSizeOf(after);
            var progress = plan.Status is "Done" ? 100 : after.Progress;
            long? bytes = total is { } t && progress is { } p ? (long)(t * Math.Clamp(p, 0, 100) / 100) : null;
            var elapsed = start is { } s ? (currentTime - s).TotalSeconds : 0;
            var dto = new DeliveryStatusDto
            {
                DeviceId = identity.DeviceId,
                CatalogId = after.CatalogId,
                ItemKey = ItemKeyOf(after.CatalogId),
                DeliveryStatus = plan.Status,
                State = StateOf(plan.Status, after),
                Type = ServerWire.ItemTypeSoftware,
                DownloadStart = start,
                DownloadStop = plan.Status is "Error" or "Pause" or "Cancelled" ? currentTime : null,
                DownloadDone = plan.Status is "Done" ? currentTime : null,
                DownloadData = plan.Status is "Start" or "Deleted" ? null : progress,
                BitNumber = plan.Status is "Download" or "Done" && bytes is { } counted ? Int32Column(counted) : null,
                DownloadSpeed = plan.Status is "Download" && bytes is { } b && elapsed > 0 ? Math.Round(b / elapsed, 1) : null,
                // GetApp's clients send the estimate in milliseconds; the agent keeps seconds.
                DownloadEstimateTime = plan.Status is "Download" && after.Eta is { } eta ? Int32Column(Math.Min(eta, int.MaxValue) * 1000L) : null,
                CurrentTime = currentTime,
            };
            payload = JsonSerializer.Serialize(dto, GetAppServerJsonContext.Default.DeliveryStatusDto);
        }
        else
        {
            if (plan.Status == "Start")
            {
                times["deployStart"] = UtcDateTimeOffsetConverter.ToWire(currentTime);
            }

            var dto = new DeployStatusDto
            {
                DeviceId = identity.DeviceId,
                CatalogId = after.CatalogId,
                DeployStatus = plan.Status,
                Type = ServerWire.ItemTypeSoftware,
                DeployStart = ReadTime(times, "deployStart"),
                DeployStop = plan.Status is "Error" or "Cancelled" or "Pause" or "Uninstall" ? currentTime : null,
                DeployDone = plan.Status is "Done" ? currentTime : null,
                DeployEstimateTime = plan.Status is "Installing" && after.Eta is { } eta ? Int32Column(Math.Min(eta, int.MaxValue) * 1000L) : null,
                Progress = plan.Status is "Done" ? 100 : after.Progress is { } p ? (int)Math.Clamp(Math.Round(p), 0, 100) : null,
                CurrentTime = currentTime,
            };
            payload = JsonSerializer.Serialize(dto, GetAppServerJsonContext.Default.DeployStatusDto);
        }

        await DeviceTable.SetAsync(connection, transaction, timesKey, times.ToJsonString(), cancellationToken).ConfigureAwait(false);
        await ReportOutbox.EnqueueAsync(connection, transaction, plan.Kind, payload, now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A value for one of the server's 32-bit integer columns (<c>bit_number</c>, <c>download_estimate_time</c>,
    /// <c>deploy_estimate_time</c>): a larger one makes the server drop the whole report after answering 201. It
    /// saturates: a 3 GiB release reports 2147483647 bytes once past 2 GiB (its <c>downloadData</c> % stays exact), an
    /// ETA beyond 24.8 days reports 24.8 days.
    /// </summary>
    public static int Int32Column(long value) => (int)Math.Clamp(value, 0, int.MaxValue);

    /// <summary>
    /// <c>DeliveryStateEnum</c> of a report: Start is about preparing, Download and Done name themselves; a pause,
    /// resume, cancel or error carries the phase the release was in (an Error in Validation is a failed verification).
    /// Deleted has no phase.
    /// </summary>
    public static string? StateOf(string status, ReleaseRecord after) => status switch
    {
        "Start" => "Prepare",
        "Download" => "Download",
        "Done" => "Done",
        "Deleted" => null,
        _ => after.Position.DeliveryState switch
        {
            DeliveryState.Prepare => "Prepare",
            DeliveryState.Download => "Download",
            DeliveryState.Validation => "Validation",
            DeliveryState.Done => "Done",
            _ => null,
        },
    };

    /// <summary>The release's bytes: its artifacts' sizes when all are known, else the server's <c>release.size</c>.</summary>
    private static long? TotalSizeOf(ReleaseRecord release) =>
        release.Artifacts.Count > 0 && release.Artifacts.All(a => a.Size is not null) ? release.Artifacts.Sum(a => a.Size!.Value)
        : release.Release["size"] is JsonValue v && v.TryGetValue<long>(out var size) && size > 0 ? size
        : null;

    private static DateTimeOffset? ReadTime(JsonObject times, string name) =>
        times[name] is JsonValue v && v.TryGetValue<string>(out var text)
        && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var value)
            ? value : null;
}
