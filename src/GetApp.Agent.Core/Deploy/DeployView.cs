using GetApp.Agent.Core.Device;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Deploy;

/// <summary>The <c>DeployDto</c> of a release: its deploy record, with status and live progress from the release itself.</summary>
public sealed class DeployView(ReleaseService releases, DeployRecordStore records, DeviceIdentity deviceId, TimeProvider timeProvider)
{
    /// <summary><c>GET /api/v2/deploy/{catalog_id}</c>: 404 for an unknown release and for one never deployed.</summary>
    public async Task<DeployResult> GetAsync(string catalogId, CancellationToken cancellationToken)
    {
        var release = await releases.FindAsync(catalogId, cancellationToken).ConfigureAwait(false);
        if (release is null)
        {
            return DeployResult.NotFound($"release '{catalogId}' is not known to this device");
        }

        var record = await records.FindAsync(catalogId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return DeployResult.NotFound($"release '{catalogId}' has not been deployed on this device ({release.Position}); start it with POST /api/v2/deploy/start/{catalogId}");
        }

        return DeployResult.Ok(ToDto(release, record));
    }

    public async Task<DeployDto> DescribeAsync(ReleaseRecord release, CancellationToken cancellationToken)
    {
        var record = await records.FindAsync(release.CatalogId, cancellationToken).ConfigureAwait(false);
        return ToDto(release, record ?? new DeployRecord { CatalogId = release.CatalogId });
    }

    private DeployDto ToDto(ReleaseRecord release, DeployRecord record)
    {
        var inDeploy = release.State is ReleaseState.Deploy or ReleaseState.Installed or ReleaseState.Uninstalled;
        var live = release.Position.DeployStatus == DeploymentStatus.Installing ? releases.Progress.Get(release.CatalogId) : null;
        var progress = live?.Progress ?? (inDeploy ? release.Progress : record.Progress);
        return new DeployDto(
            CatalogId: release.CatalogId,
            CompletedAt: record.CompletedAt,
            CurrentTime: timeProvider.GetUtcNow(),
            DeviceId: deviceId.DeviceId,
            // An ETA only while the install runs: a paused, failed or finished install has none.
            Eta: release.Position.DeployStatus == DeploymentStatus.Installing ? live?.Eta ?? release.Eta : null,
            MessageLog: record.MessageLog ?? release.ErrMsg,
            Progress: progress is { } p ? (int)Math.Round(p) : null,
            RequestedStatus: record.RequestedStatus,
            StartedAt: record.StartedAt,
            Status: inDeploy ? release.Position.DeployStatus : record.Status,
            StoppedAt: record.StoppedAt,
            Type: "software",
            PostInstallAction: record.Details[DetailKeys.PostInstallAction] is JsonObject action ? (JsonObject)action.DeepClone() : null,
            LogPath: record.Details[DetailKeys.LogPath] is JsonValue v && v.TryGetValue<string>(out var path) ? path : null);
    }
}
