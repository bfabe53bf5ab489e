namespace GetApp.Agent.Core.Upstream;

/// <summary>
/// Where releases come from: the GetApp server, a parent agent, or an offline catalog folder (docs/architecture.md §3).
/// Engines only ever talk to this interface.
/// </summary>
public interface IUpstream
{
    /// <summary>A short description for logs and the device API ("offline catalog /media/usb", a server URL...).</summary>
    string Description { get; }

    /// <summary>Asks what is offered or pushed to this device. Throws <see cref="UpstreamException"/> on failure.</summary>
    Task<DiscoveryAnswer> DiscoverAsync(DiscoveryRequest request, CancellationToken cancellationToken);

    /// <summary>Asks where the artifacts of <paramref name="catalogId"/> can be downloaded from.</summary>
    Task<PreparedDelivery> PrepareDeliveryAsync(string catalogId, CancellationToken cancellationToken);
}
