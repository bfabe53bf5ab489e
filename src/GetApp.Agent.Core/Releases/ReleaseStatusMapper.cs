using System.Globalization;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Releases;

/// <summary>Builds the API's views of a release from what is stored (and, while something runs, the live progress).</summary>
public static class ReleaseStatusMapper
{
    public static DeviceReleaseStatusDto ToStatusDto(ReleaseRecord release, LiveProgress? live)
    {
        var running = ShowsLiveProgress(release.Position);
        var progress = running && live is { } l ? l.Progress : release.Progress;
        // Nothing moves (queued, paused, cancelled, failed, done): no ETA, whatever was stored while it ran.
        long? eta = running ? (live is { } e ? e.Eta : release.Eta) : null;
        var status = release.State is ReleaseState.Delivery or ReleaseState.Downloaded
            ? release.Position.DeliveryStatus?.ToString()
            : release.Position.DeployStatus?.ToString();

        return new DeviceReleaseStatusDto(
            ArtsDirPath: release.ArtsDirPath,
            DeliveryState: release.Position.DeliveryState,
            DeviceReleaseStatus: status,
            DownloadDuration: release.DownloadDuration,
            ErrMsg: release.ErrMsg,
            Eta: eta,
            Progress: progress is { } p ? Math.Round(p, 2) : null,
            Release: ToReleaseDto(release),
            State: release.State);
    }

    /// <summary>True while a delivery downloads or an install runs: the status then shows the live progress board.</summary>
    public static bool ShowsLiveProgress(ReleasePosition position) =>
        position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.InProgress }
            or { State: ReleaseState.Deploy, DeployStatus: DeploymentStatus.Installing };

    public static ReleaseDto ToReleaseDto(ReleaseRecord record)
    {
        var r = record.Release;
        return new ReleaseDto(
            CreatedAt: Date(r, "createdAt") ?? record.DiscoveredAt,
            Dependencies: record.Dependencies,
            DisplayName: Text(r, "displayName"),
            Id: record.CatalogId,
            Label: Text(r, "label"),
            Latest: r["latest"] is JsonValue latest && latest.TryGetValue<bool>(out var b) ? b : null,
            Metadata: r["metadata"] as JsonObject,
            Policies: r["policies"] as JsonArray,
            ProjectId: Number(r, "projectId") is { } id ? (int)id : 0,
            ProjectName: Text(r, "projectName") ?? "",
            ReleaseNotes: Text(r, "releaseNotes"),
            ReleasedAt: Date(r, "releasedAt"),
            Size: Number(r, "size") is { } size ? (long)size : null,
            Status: Text(r, "status") ?? "released",
            Type: Text(r, "type") ?? "product",
            UpdatedAt: Date(r, "updatedAt") ?? record.UpdatedAt,
            Version: Text(r, "version") ?? "");
    }

    public static OfferingItemDto ToOfferingDto(ReleaseRecord release) =>
        new(release.Release, release.IsPush, release.State, release.Dependencies);

    internal static string? Text(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    internal static double? Number(JsonObject o, string name) => o[name] switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    internal static DateTimeOffset? Date(JsonObject o, string name) =>
        Text(o, name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d)
            ? d
            : null;
}
