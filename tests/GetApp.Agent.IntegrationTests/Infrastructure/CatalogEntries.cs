using System.Text.Json.Nodes;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>Catalog entries whose artifacts are URLs (of a <see cref="TestOrigin"/>), for <see cref="TestCatalog.AddRaw"/>.</summary>
public static class CatalogEntries
{
    public static JsonObject Http(string catalogId, IEnumerable<(string Name, string Url, long Size, string Sha256Hex)> artifacts,
        bool isPush = false, string[]? dependedOnBy = null, JsonObject? metadata = null) => new()
    {
        ["release"] = TestCatalog.Release(catalogId, metadata),
        ["isPush"] = isPush,
        ["dependedOnBy"] = new JsonArray([.. (dependedOnBy ?? []).Select(d => (JsonNode?)d)]),
        ["artifacts"] = new JsonArray([.. artifacts.Select(a => (JsonNode?)new JsonObject
        {
            ["itemKey"] = $"{catalogId}@{a.Name}",
            ["artifactType"] = "software",
            ["url"] = a.Url,
            ["size"] = a.Size,
            ["hash"] = new JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = a.Sha256Hex },
        })]),
    };

    /// <summary>A release with one artifact served by <paramref name="file"/> (at its URL unless <paramref name="url"/> is given).</summary>
    public static JsonObject Http(string catalogId, OriginFile file, bool isPush = false, string[]? dependedOnBy = null, string? url = null, string? sha256Hex = null) =>
        Http(catalogId, [(file.Name, url ?? file.Url.ToString(), file.Size, sha256Hex ?? file.Sha256Hex)], isPush, dependedOnBy);
}
