namespace GetApp.Agent.Core.Upstream;

/// <summary>The upstream of an agent that was given neither a catalog nor a server: nothing is offered.</summary>
public sealed class NoUpstream : IUpstream
{
    public string Description => "none (no --catalog or --upstream given)";

    public Task<DiscoveryAnswer> DiscoverAsync(DiscoveryRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new DiscoveryAnswer([]));

    public Task<PreparedDelivery> PrepareDeliveryAsync(string catalogId, CancellationToken cancellationToken) =>
        Task.FromResult(new PreparedDelivery(PrepareStatus.Error, [], "no upstream is configured"));
}
