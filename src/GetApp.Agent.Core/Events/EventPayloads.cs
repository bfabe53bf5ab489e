using System.Text;
using System.Text.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Health;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Events;

/// <summary>
/// The payload of each stream, serialised once per event, and the snapshot a client gets when it connects without a
/// usable <c>Last-Event-ID</c>. Payloads are self-contained: the same shapes as the REST answers, so a client never needs
/// a follow-up call to act on an event.
/// </summary>
public sealed class EventPayloads(ReleaseService releases, DeployView deployView, NotificationLog notifications, AgentSummaryBuilder summary)
{
    /// <summary>How many recent notifications a snapshot repeats (the full history is <c>GET /api/v2/agent/notifications</c>).</summary>
    public const int SnapshotNotifications = 20;

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

    public static byte[] Reset(EventStreams stream) => Encoding.UTF8.GetBytes($"{{\"stream\":\"{EventStreamNames.PathOf(stream)}\"}}");

    /// <summary>
    /// The current state of each stream in <paramref name="streams"/>: a <c>reset</c> marker, then the offering (one
    /// event), every release on the device, every deploy record, the last <see cref="SnapshotNotifications"/> notifications, the device summary.
    /// </summary>
    public async Task<IReadOnlyList<AgentEvent>> SnapshotAsync(EventStreams streams, CancellationToken cancellationToken)
    {
        var events = new List<AgentEvent>();
        IReadOnlyList<ReleaseRecord>? all = null;
        foreach (var stream in EventStreamNames.Each)
        {
            if ((streams & stream) == 0)
            {
                continue;
            }

            events.Add(new AgentEvent(0, stream, Reset(stream), AgentEventKind.Reset));
            switch (stream)
            {
                case EventStreams.Agent:
                    events.Add(new AgentEvent(0, stream, await SummaryAsync(cancellationToken).ConfigureAwait(false)));
                    break;
                case EventStreams.Offering:
                    all ??= await releases.ListAsync(cancellationToken).ConfigureAwait(false);
                    events.Add(new AgentEvent(0, stream, JsonSerializer.SerializeToUtf8Bytes(OfferingList.Of(all), AgentJson.Context.IReadOnlyListOfferingItemDto)));
                    break;
                case EventStreams.Delivery:
                    all ??= await releases.ListAsync(cancellationToken).ConfigureAwait(false);
                    foreach (var release in all.Where(IsOnDevice))
                    {
                        events.Add(new AgentEvent(0, stream, Delivery(StatusOf(release, releases.Progress.Get(release.CatalogId)))));
                    }

                    break;
                case EventStreams.Deploy:
                    all ??= await releases.ListAsync(cancellationToken).ConfigureAwait(false);
                    foreach (var release in all.Where(IsInDeploy))
                    {
                        events.Add(new AgentEvent(0, stream, await DeployAsync(release, cancellationToken).ConfigureAwait(false)));
                    }

                    break;
                case EventStreams.Notifications:
                    foreach (var notification in notifications.Recent(SnapshotNotifications))
                    {
                        events.Add(new AgentEvent(0, stream, Notification(notification)));
                    }

                    break;
            }
        }

        return events;
    }
}
