using System.Text.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Health;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Events;

/// <summary>
/// The payload of each stream, serialised once per event (and shared by every client). Payloads are self-contained: the
/// same shapes as the REST answers, so a client never needs a follow-up call to act on an event.
/// </summary>
public sealed class EventPayloads(ReleaseService releases, DeployView deployView, AgentSummaryBuilder summary)
{
    public static bool IsOnDevice(ReleaseRecord release) => !OfferingList.IsOffer(release);

    public static bool IsInDeploy(ReleaseRecord release) => release.State is ReleaseState.Deploy or ReleaseState.Installed or ReleaseState.Uninstalled;

    /// <summary>The release's <c>DeviceReleaseStatusDto</c>, as <c>GET /api/v2/device/releases/{id}</c> answers it.</summary>
    public static DeviceReleaseStatusDto StatusOf(ReleaseRecord release, LiveProgress? live) => ReleaseStatusMapper.ToStatusDto(release, live);

    public static byte[] Delivery(DeviceReleaseStatusDto status) => JsonSerializer.SerializeToUtf8Bytes(status, AgentJson.Context.DeviceReleaseStatusDto);

    public async Task<byte[]> DeployAsync(ReleaseRecord release, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeToUtf8Bytes(await deployView.DescribeAsync(release, cancellationToken).ConfigureAwait(false), AgentJson.Context.DeployDto);

    /// <summary>The offering as <c>GET /api/v2/device/offering</c> answers it, from the offers' JSON the read model holds.</summary>
    public async Task<byte[]> OfferingAsync(CancellationToken cancellationToken) =>
        OfferingOf(await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// The JSON array of every offer's item, as the serializer writes the list (no DTO built, no release parsed, no item
    /// kept): one array of exactly its size.
    /// </summary>
    public static byte[] OfferingOf(ReleaseSnapshot snapshot) => OfferingItems.ArrayOf(snapshot);

    private IEnumerable<(string Key, EventRenderer Render)> OnDevice(ReleaseSnapshot snapshot, bool deployOnly)
    {
        foreach (var row in snapshot)
        {
            if (!row.IsOnDevice)
            {
                continue;
            }

            if (!deployOnly)
            {
                yield return (row.CatalogId, _ => ValueTask.FromResult(row.StatusJson(releases.Progress.Get(row.CatalogId))));
            }
            else if (row.State is ReleaseState.Deploy or ReleaseState.Installed or ReleaseState.Uninstalled)
            {
                yield return (row.CatalogId, async ct => await DeployAsync(row.ToRecord(), ct).ConfigureAwait(false));
            }
        }
    }

    public async Task<byte[]> SummaryAsync(CancellationToken cancellationToken) =>
        JsonSerializer.SerializeToUtf8Bytes(await summary.BuildAsync(cancellationToken).ConfigureAwait(false), EventsJson.Context.AgentSummary);

    public static byte[] Notification(NotificationEvent notification) => JsonSerializer.SerializeToUtf8Bytes(notification, EventsJson.Context.NotificationEvent);

    /// <summary>
    /// Gives the hub the state found at start (every release on the device, every deploy record, the offering, the
    /// summary), so the first clients' snapshots are complete before anything has moved. The releases' states are
    /// rendered only when a client's snapshot is written, from the read model's rows as they were at start (the status
    /// JSON those rows render anyway for the API): a device of thousands of releases starts as fast, and as small, as
    /// one of a few.
    /// </summary>
    public async Task PrimeAsync(EventHub hub, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hub);
        var snapshot = await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        // Read from the read model as it is when a client's snapshot is written: a key no event has set since the start
        // still holds what it held then (any change of a release is followed by its event).
        hub.PrimeAll(EventStreams.Delivery, () => OnDevice(releases.LastKnown, deployOnly: false));
        hub.PrimeAll(EventStreams.Deploy, () => OnDevice(releases.LastKnown, deployOnly: true));
        if (snapshot.Any(row => !row.IsOnDevice))
        {
            hub.Prime(EventStreams.Offering, "", _ => ValueTask.FromResult<ReadOnlyMemory<byte>>(OfferingOf(releases.LastKnown)));
        }
        else
        {
            hub.Prime(EventStreams.Offering, "", "[]"u8.ToArray());
        }

        hub.Prime(EventStreams.Agent, "", await SummaryAsync(cancellationToken).ConfigureAwait(false));
    }
}
