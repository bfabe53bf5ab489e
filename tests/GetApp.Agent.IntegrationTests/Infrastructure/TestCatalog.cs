using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>Writes offline catalogs (catalog.json plus real files with real sizes and hashes) into a temp folder.</summary>
public sealed class TestCatalog : IDisposable
{
    private readonly TempDirectory _dir = new("getapp-catalog");
    private readonly JsonArray _releases = [];

    public string Path => _dir.Path;

    /// <summary>Adds a release whose artifacts are the given files (name → content), written under files/&lt;project&gt;/.</summary>
    public TestCatalog Add(string catalogId, bool isPush = false, string[]? dependedOnBy = null, IReadOnlyDictionary<string, byte[]>? files = null,
        string? executable = null, string? arguments = null, JsonObject? metadata = null)
    {
        var project = catalogId.Split('@')[0].Split('.', 2)[^1];
        var artifacts = new JsonArray();
        foreach (var (name, content) in files ?? new Dictionary<string, byte[]>())
        {
            var relative = $"files/{project}/{name}";
            var full = _dir.Combine("files", project, name);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, content);
            var artifact = new JsonObject
            {
                ["itemKey"] = $"{catalogId}@{name}",
                ["artifactType"] = "software",
                ["url"] = relative,
                ["size"] = content.Length,
                ["hash"] = new JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = Convert.ToHexStringLower(SHA256.HashData(content)) },
            };
            if (name == executable)
            {
                artifact["isExecutable"] = true;
                artifact["arguments"] = arguments;
            }

            artifacts.Add(artifact);
        }

        _releases.Add(new JsonObject
        {
            ["release"] = Release(catalogId, metadata),
            ["isPush"] = isPush,
            ["dependedOnBy"] = new JsonArray([.. (dependedOnBy ?? []).Select(d => (JsonNode?)d)]),
            ["artifacts"] = artifacts,
        });
        return this;
    }

    /// <summary>Gives an added release the display name and notes a person reads (screenshots, the dashboard).</summary>
    public TestCatalog Describe(string catalogId, string displayName, string? releaseNotes = null)
    {
        var release = _releases.Select(e => e!["release"]!.AsObject()).Single(r => (string?)r["id"] == catalogId);
        release["displayName"] = displayName;
        release["releaseNotes"] = releaseNotes;
        return this;
    }

    /// <summary>Adds an entry exactly as given (for broken catalogs).</summary>
    public TestCatalog AddRaw(JsonObject entry)
    {
        _releases.Add(entry);
        return this;
    }

    public TestCatalog Write()
    {
        File.WriteAllText(_dir.Combine("catalog.json"), new JsonObject { ["releases"] = _releases.DeepClone() }.ToJsonString());
        return this;
    }

    public void WriteRaw(string catalogJson) => File.WriteAllText(_dir.Combine("catalog.json"), catalogJson);

    public static JsonObject Release(string catalogId, JsonObject? metadata = null)
    {
        var version = catalogId.Split('@')[^1];
        var head = catalogId.Split('@')[0].Split('.', 2);
        return new JsonObject
        {
            ["id"] = catalogId,
            ["version"] = version,
            ["projectId"] = int.TryParse(head[0], out var id) ? id : 0,
            ["projectName"] = head[^1],
            ["displayName"] = head[^1],
            ["status"] = "released",
            ["type"] = "product",
            ["createdAt"] = "2026-01-01T00:00:00.000Z",
            ["updatedAt"] = "2026-01-02T00:00:00.000Z",
            ["metadata"] = metadata ?? new JsonObject(),
        };
    }

    public void Dispose() => _dir.Dispose();
}
