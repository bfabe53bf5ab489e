namespace GetApp.Agent.Core.Upstream.OfflineCatalog;

/// <summary>
/// An offline catalog folder as the upstream (a USB stick, the shipped sample). It is read afresh on every call, so a
/// stick that was swapped or updated is seen at the next discovery.
/// </summary>
public sealed class OfflineCatalogUpstream(string catalogDir) : IUpstream
{
    public string CatalogDir { get; } = Path.GetFullPath(catalogDir);

    public string Description => $"offline catalog {CatalogDir}";

    public async Task<DiscoveryAnswer> DiscoverAsync(DiscoveryRequest request, CancellationToken cancellationToken) =>
        new(await CatalogReader.ReadAsync(CatalogDir, CatalogReader.FileName, request.Stored, cancellationToken).ConfigureAwait(false)) { Checked = true };

    public async Task<PreparedDelivery> PrepareDeliveryAsync(string catalogId, CancellationToken cancellationToken)
    {
        var releases = await CatalogReader.ReadAsync(CatalogDir, cancellationToken).ConfigureAwait(false);
        var entry = releases.FirstOrDefault(r => r.CatalogId == catalogId);
        if (entry is null)
        {
            return new PreparedDelivery(PrepareStatus.Error, [], $"release '{catalogId}' is no longer in the catalog {CatalogDir}");
        }

        var artifacts = (entry.Artifacts ?? []).Select(a => new PreparedArtifact(a,
            CatalogReader.IsRemote(a.Url) ? new Uri(a.Url) : new Uri(CatalogReader.ResolveLocalPath(CatalogDir, a.Url)))).ToList();
        return new PreparedDelivery(PrepareStatus.Done, artifacts);
    }
}
