using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Contracts;

/// <summary>An offline catalog's <c>catalog.json</c>: the server's discovery answer with each release's artifacts inline.</summary>
public sealed record CatalogDocument(IReadOnlyList<OfferedRelease>? Releases);
