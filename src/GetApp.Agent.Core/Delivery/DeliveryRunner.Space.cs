using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Room on the disk for a delivery (docs/delivery.md, "Prepare and free space", "Full disk"): too little of it for the rest
/// of the download is not a failure for good, but a wait for space (<see cref="SpaceWaitRule"/>), recorded before the
/// failure so the engine starts it again once there is room, also after a restart.
/// </summary>
public sealed partial class DeliveryRunner
{
    /// <summary>
    /// Before the failure is recorded: a delivery stopped by the full disk starts again by itself once space is freed, also
    /// after a restart (its errMsg says so). Were even this write refused, the engine still remembers it until a restart.
    /// </summary>
    private async Task RecordSpaceWaitAsync(string rootId, long? neededBytes)
    {
        try
        {
            await spaceWaits.AddAsync(rootId, neededBytes, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (DiskSpace.IsDiskFull(e))
        {
        }
    }

    /// <summary>
    /// Free space must cover what the closure still needs plus <c>deliveryStorageBufferBytes</c>. Short of it, the delivery
    /// waits for space (<see cref="ReleaseDeliveryFailedException.WaitsForSpace"/>), unless it can never fit: sizes beyond
    /// a 64-bit count, or more than the whole file system holds.
    /// </summary>
    private void CheckFreeSpace(string rootId, IReadOnlyList<(ReleaseRecord Release, IReadOnlyList<PreparedArtifact> Artifacts)> plans)
    {
        var needed = RestOf(plans);
        Directory.CreateDirectory(dataDirectory.PartialDir);
        var drive = new DriveInfo(dataDirectory.PartialDir);
        var buffer = settings.Current.DeliveryStorageBufferBytes;
        if (FreeSpaceCheck.Problem(needed, buffer, drive.AvailableFreeSpace, dataDirectory.Root) is not { } problem)
        {
            return;
        }

        if (needed is not { } n || n > drive.TotalSize - Math.Min(buffer, drive.TotalSize))
        {
            throw new ReleaseDeliveryFailedException(rootId,
                needed is null ? problem : $"{problem}; the whole disk holds {drive.TotalSize} bytes, so it can never fit", DeliveryFailureReason.Space);
        }

        throw new ReleaseDeliveryFailedException(rootId, problem, DeliveryFailureReason.Space) { WaitsForSpace = true };
    }

    /// <summary>The bytes the closure still needs (its sizes less what its partial files hold), or null beyond a 64-bit count.</summary>
    private long? RestOf(IReadOnlyList<(ReleaseRecord Release, IReadOnlyList<PreparedArtifact> Artifacts)> plans) =>
        FreeSpaceCheck.Needed(plans.Select(p =>
        {
            var dir = PartialDirOf(p.Release.CatalogId);
            var onDisk = Directory.Exists(dir) ? new DirectoryInfo(dir).EnumerateFiles().Sum(f => f.Length) : 0;
            var declared = p.Release.Release["metadata"] is JsonObject metadata ? ReleaseStatusMapper.Number(metadata, "totalSize") : null;
            return new FreeSpaceCheck.Release(declared, p.Artifacts.Select(a => a.Spec.Size).ToList(), onDisk);
        }));

    [LoggerMessage(EventId = 2350, Level = LogLevel.Warning, Message = "Delivery of {CatalogId} waits for space: it starts again by itself once {Needed} bytes are free ({Available} now)")]
    private partial void LogWaitingForSpace(string catalogId, long needed, long available);

    [LoggerMessage(EventId = 2351, Level = LogLevel.Error, Message = "Delivery of {CatalogId} stopped for the full disk and not even the reserve was left to record it ({Available} bytes free): it shows in delivery until space is back, then goes on from its bytes")]
    private partial void LogFailureNotRecorded(string catalogId, long available);
}
