namespace GetApp.Agent.Core.Fleet;

/// <summary>The commands a parent sends its managed children (GetApp's action names, docs/fleet.md).</summary>
public enum FleetAction
{
    /// <summary>Discover now (the child asks its upstream, this parent, for its offering).</summary>
    Discovery,

    /// <summary>The release becomes a push offer on the child (delivered at once, installed by its own policy).</summary>
    Push,

    /// <summary>Start delivering the release (or resume it when paused).</summary>
    DeliveryStart,

    /// <summary>Pause the release's delivery (it can be resumed; its bytes stay).</summary>
    DeliveryStop,

    /// <summary>Cancel the release's delivery (its partial bytes are discarded).</summary>
    DeliveryCancel,

    /// <summary>Delete the delivered release's files.</summary>
    DeliveryDelete,

    /// <summary>Install the delivered release.</summary>
    DeployStart,

    /// <summary>Send fresh device data (metadata) to the parent.</summary>
    MetadataRequest,
}

/// <summary>Where a command stands, as the parent records it (docs/fleet.md).</summary>
public enum FleetCommandStatus
{
    /// <summary>Waiting for the child's channel (it is offline, or the command was just queued).</summary>
    Pending,

    /// <summary>Written to the child's open channel; not acknowledged yet (sent again on its next connection until it is).</summary>
    Sent,

    /// <summary>The child acknowledged it; it runs commands one at a time, in order.</summary>
    Received,

    /// <summary>The child's lifecycle took it; it is running (a delivery, an install, a discovery).</summary>
    Accepted,

    /// <summary>Finished.</summary>
    Done,

    /// <summary>The child's lifecycle refused it (the message says why); nothing changed on the child.</summary>
    Refused,

    /// <summary>Taken, then failed (a delivery or install that ended in error).</summary>
    Failed,

    /// <summary>Its expiry passed before the child took it; it will never run.</summary>
    Expired,

    /// <summary>Cancelled by the operator before it was sent; it will never run.</summary>
    Cancelled,
}

/// <summary>Wire names and rules of <see cref="FleetAction"/> and <see cref="FleetCommandStatus"/>.</summary>
public static class FleetActions
{
    public static readonly FleetAction[] All =
    [
        FleetAction.Discovery, FleetAction.Push, FleetAction.DeliveryStart, FleetAction.DeliveryStop, FleetAction.DeliveryCancel,
        FleetAction.DeliveryDelete, FleetAction.DeployStart, FleetAction.MetadataRequest,
    ];

    public static readonly FleetCommandStatus[] Statuses =
    [
        FleetCommandStatus.Pending, FleetCommandStatus.Sent, FleetCommandStatus.Received, FleetCommandStatus.Accepted, FleetCommandStatus.Done,
        FleetCommandStatus.Refused, FleetCommandStatus.Failed, FleetCommandStatus.Expired, FleetCommandStatus.Cancelled,
    ];

    /// <summary>The statuses a child may report.</summary>
    public static readonly FleetCommandStatus[] Reported =
        [FleetCommandStatus.Received, FleetCommandStatus.Accepted, FleetCommandStatus.Done, FleetCommandStatus.Refused, FleetCommandStatus.Failed];

    public static string NameOf(FleetAction action) => action switch
    {
        FleetAction.Discovery => "Discovery",
        FleetAction.Push => "Push",
        FleetAction.DeliveryStart => "DeliveryStart",
        FleetAction.DeliveryStop => "DeliveryStop",
        FleetAction.DeliveryCancel => "DeliveryCancel",
        FleetAction.DeliveryDelete => "DeliveryDelete",
        FleetAction.DeployStart => "DeployStart",
        FleetAction.MetadataRequest => "MetadataRequest",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    public static FleetAction? Parse(string? name)
    {
        foreach (var action in All)
        {
            if (string.Equals(NameOf(action), name, StringComparison.Ordinal))
            {
                return action;
            }
        }

        return null;
    }

    /// <summary>Whether the action is about one release (<c>catalogId</c> required), or about the device (none allowed).</summary>
    public static bool NeedsRelease(FleetAction action) => action is not (FleetAction.Discovery or FleetAction.MetadataRequest);

    public static string NameOf(FleetCommandStatus status) => status switch
    {
        FleetCommandStatus.Pending => "pending",
        FleetCommandStatus.Sent => "sent",
        FleetCommandStatus.Received => "received",
        FleetCommandStatus.Accepted => "accepted",
        FleetCommandStatus.Done => "done",
        FleetCommandStatus.Refused => "refused",
        FleetCommandStatus.Failed => "failed",
        FleetCommandStatus.Expired => "expired",
        FleetCommandStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static FleetCommandStatus? ParseStatus(string? name)
    {
        foreach (var status in Statuses)
        {
            if (string.Equals(NameOf(status), name, StringComparison.Ordinal))
            {
                return status;
            }
        }

        return null;
    }

    /// <summary>Ended: nothing more will happen to the command.</summary>
    public static bool IsFinal(FleetCommandStatus status) => status >= FleetCommandStatus.Done;

    /// <summary>
    /// Whether a command at <paramref name="from"/> takes <paramref name="to"/>: statuses only move forward, and a final
    /// one stays, except that the child's own outcome wins over an expiry the parent recorded meanwhile (the child did
    /// take it, at the last moment: what it did is the truth).
    /// </summary>
    public static bool Advances(FleetCommandStatus from, FleetCommandStatus to)
    {
        if (from == FleetCommandStatus.Expired)
        {
            return to is FleetCommandStatus.Received or FleetCommandStatus.Accepted or FleetCommandStatus.Done or FleetCommandStatus.Refused or FleetCommandStatus.Failed;
        }

        return !IsFinal(from) && Rank(to) > Rank(from);
    }

    private static int Rank(FleetCommandStatus status) => status switch
    {
        FleetCommandStatus.Pending => 0,
        FleetCommandStatus.Sent => 1,
        FleetCommandStatus.Received => 2,
        FleetCommandStatus.Accepted => 3,
        _ => 4,
    };
}
