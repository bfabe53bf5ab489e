namespace GetApp.Agent.Core.Releases;

/// <summary>
/// The lifecycle coordinates of a release: its state plus the sub-state that is meaningful in it
/// (delivery phase and status while delivering, deployment status from <c>deploy</c> on).
/// </summary>
public readonly record struct ReleasePosition(
    ReleaseState State,
    DeliveryState? DeliveryState,
    DeliveryStatus? DeliveryStatus,
    DeploymentStatus? DeployStatus)
{
    public override string ToString() => (DeliveryStatus, DeployStatus) switch
    {
        ({ } d, _) when State is ReleaseState.Delivery => $"{Wire.Of(State)} ({Wire.Of(DeliveryState)}, {d})",
        (_, { } s) => $"{Wire.Of(State)} ({s})",
        _ => Wire.Of(State),
    };
}
