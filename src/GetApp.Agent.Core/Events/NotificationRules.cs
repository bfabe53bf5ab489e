using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Health;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Events;

/// <summary>What a notification says, before it gets its id and time.</summary>
public sealed record NotificationDraft(string Kind, string Severity, string Category, string Message, NotificationEntity? Entity);

/// <summary>
/// Which changes a person must be told about, and how: failures (once each, naming the release), and state flips of the
/// upstream and of the free space (once when it goes wrong, once when it is back; not at every retry or sample).
/// </summary>
public static class NotificationRules
{
    /// <param name="failureReason">Why the delivery failed, when the delivery engine said (a refused signature is a security matter).</param>
    public static NotificationDraft? ForMove(ReleaseMoved moved, DeliveryFailureReason? failureReason)
    {
        ArgumentNullException.ThrowIfNull(moved);
        var id = moved.After.CatalogId;
        var release = new NotificationEntity("release", id);
        return moved.Action switch
        {
            ReleaseAction.FailDelivery when failureReason == DeliveryFailureReason.Signature =>
                new(NotificationKinds.SignatureRefused, "error", "security", $"A signature was refused: the delivery of {id} failed: {moved.After.ErrMsg}", release),
            ReleaseAction.FailDelivery =>
                new(NotificationKinds.DeliveryFailed, "error", "delivery", $"The delivery of {id} failed: {moved.After.ErrMsg}", release),
            ReleaseAction.FailDeploy =>
                new(NotificationKinds.DeployFailed, "error", "deploy", $"The install of {id} failed: {moved.After.ErrMsg}", release),
            _ => null,
        };
    }

    public static NotificationDraft? ForUpstream(UpstreamStatus before, UpstreamStatus after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return (before.State, after.State) switch
        {
            (not UpstreamState.Unreachable, UpstreamState.Unreachable) =>
                new(NotificationKinds.UpstreamUnreachable, "warning", "upstream", $"The upstream is unreachable: {after.LastError?.Message ?? "no answer"}", null),
            (UpstreamState.Unreachable, UpstreamState.Reachable) =>
                new(NotificationKinds.UpstreamBack, "info", "upstream", "The upstream is reachable again", null),
            _ => null,
        };
    }

    /// <param name="before">The previous sample; null for the first one (low space at start is told too).</param>
    public static NotificationDraft? ForDisk(DiskSample? before, DiskSample after)
    {
        ArgumentNullException.ThrowIfNull(after);
        if (after.Low && before?.Low != true)
        {
            return new(NotificationKinds.DiskLow, "warning", "storage", after.FreeBytes is { } free
                ? $"Disk space is low in {after.Path}: {free} bytes free (delivery buffer {after.BufferBytes} bytes)"
                : $"The free space of {after.Path} cannot be read", null);
        }

        return !after.Low && before?.Low == true
            ? new(NotificationKinds.DiskRecovered, "info", "storage", $"Disk space is sufficient again in {after.Path}: {after.FreeBytes} bytes free", null)
            : null;
    }
}
