using System.Text.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Health;
using GetApp.Agent.Core.Releases;

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

    public async Task<byte[]> OfferingAsync(CancellationToken cancellationToken) =>
        JsonSerializer.SerializeToUtf8Bytes(OfferingList.Of(await releases.ListAsync(cancellationToken).ConfigureAwait(false)), AgentJson.Context.IReadOnlyListOfferingItemDto);

    public async Task<byte[]> SummaryAsync(CancellationToken cancellationToken) =>
        JsonSerializer.SerializeToUtf8Bytes(await summary.BuildAsync(cancellationToken).ConfigureAwait(false), EventsJson.Context.AgentSummary);

    public static byte[] Notification(NotificationEvent notification) => JsonSerializer.SerializeToUtf8Bytes(notification, EventsJson.Context.NotificationEvent);

    /// <summary>
    /// Gives the hub the state found at start (every release on the device, every deploy record, the offering, the
    /// summary), so the first clients' snapshots are complete before anything has moved.
    /// </summary>
    public async Task PrimeAsync(EventHub hub, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hub);
        var all = await releases.ListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var release in all)
        {
            if (IsOnDevice(release))
            {
                hub.Prime(EventStreams.Delivery, release.CatalogId, Delivery(StatusOf(release, releases.Progress.Get(release.CatalogId))));
            }

            if (IsInDeploy(release))
            {
                hub.Prime(EventStreams.Deploy, release.CatalogId, await DeployAsync(release, cancellationToken).ConfigureAwait(false));
            }
        }

        hub.Prime(EventStreams.Offering, "", JsonSerializer.SerializeToUtf8Bytes(OfferingList.Of(all), AgentJson.Context.IReadOnlyListOfferingItemDto));
        hub.Prime(EventStreams.Agent, "", await SummaryAsync(cancellationToken).ConfigureAwait(false));
    }
}
