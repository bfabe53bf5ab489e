using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Parent;

/// <summary>
/// A child's release in the agent API's own shape (<c>DeviceReleaseStatusDto</c>), for the cdn routes. The child reports
/// with the GetApp server's spellings; they are mapped back to the agent's: <c>Download</c>/<c>Continue</c> →
/// <c>InProgress</c>, <c>Cancelled</c> → <c>Cancel</c>; deploy statuses are the same on both sides.
/// </summary>
public static class ChildReleaseView
{
    /// <param name="release">The release object as an upstream offered it (null: only its id is known).</param>
    public static DeviceReleaseStatusDto ToStatusDto(ChildRelease child, JsonObject? release, DateTimeOffset fallbackDate)
    {
        ArgumentNullException.ThrowIfNull(child);
        var state = ParseState(child.State);
        var record = new ReleaseRecord
        {
            CatalogId = child.CatalogId,
            Release = release ?? new JsonObject { ["id"] = child.CatalogId, ["version"] = child.CatalogId.Split('@')[^1] },
            Position = new ReleasePosition(state, null, null, null),
            DiscoveredAt = fallbackDate,
            UpdatedAt = child.UpdatedAt,
        };
        var (status, phase) = state switch
        {
            ReleaseState.Delivery => Delivery(child.DeliveryStatus),
            ReleaseState.Downloaded => ("Done", DeliveryState.Done),
            ReleaseState.Deploy or ReleaseState.Installed or ReleaseState.Uninstalled =>
                (child.DeployStatus ?? (state == ReleaseState.Installed ? "Done" : state == ReleaseState.Uninstalled ? "Uninstall" : null), DeliveryState.Done),
            _ => ((string?)null, (DeliveryState?)null),
        };
        return new DeviceReleaseStatusDto(
            ArtsDirPath: null,
            DeliveryState: phase,
            DeviceReleaseStatus: status,
            DownloadDuration: null,
            ErrMsg: child.Error,
            Eta: child.Eta,
            Progress: child.Progress is { } p ? Math.Round(p, 2) : null,
            Release: ReleaseStatusMapper.ToReleaseDto(record),
            State: state);
    }

    private static (string? Status, DeliveryState? Phase) Delivery(string? reported) => reported switch
    {
        "Start" => ("Start", DeliveryState.Prepare),
        "Download" or "Continue" => ("InProgress", DeliveryState.Download),
        "Pause" => ("Pause", DeliveryState.Download),
        "Cancelled" => ("Cancel", null),
        "Error" => ("Error", null),
        "Done" => ("InProgress", DeliveryState.Validation),
        _ => (null, null),
    };

    private static ReleaseState ParseState(string state)
    {
        try
        {
            return Wire.ParseState(state);
        }
        catch (System.Text.Json.JsonException)
        {
            return ReleaseState.Delivery;
        }
    }
}
