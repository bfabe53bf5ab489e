using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Upstream.OfflineCatalog;

/// <summary>
/// Reads and checks an offline catalog folder (<c>catalog.json</c> plus artifact files, docs/architecture.md §3). Anything
/// wrong is an <see cref="InvalidCatalogException"/> naming the file, the release and the problem; nothing half-read
/// is ever returned.
/// </summary>
public static class CatalogReader
{
    public const string FileName = "catalog.json";

    /// <summary>A catalog file larger than this is refused: it is a mistake, not a catalog.</summary>
    public const long MaxCatalogBytes = 64L * 1024 * 1024;

    private static readonly string[] KnownStatuses = ["draft", "in_review", "approved", "released", "archived"];
    private static readonly string[] KnownTypes = ["product", "formation"];

    public static async Task<IReadOnlyList<OfferedRelease>> ReadAsync(string catalogDir, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(catalogDir);
        var file = Path.Combine(root, FileName);
        if (!File.Exists(file))
        {
            throw new InvalidCatalogException($"catalog {file}: the file does not exist");
        }

        if (new FileInfo(file).Length > MaxCatalogBytes)
        {
            throw new InvalidCatalogException($"catalog {file}: the file is larger than {MaxCatalogBytes} bytes");
        }

        List<OfferedRelease>? releases;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await using var stream = File.OpenRead(file);
            releases = await CatalogJson.ReadReleasesAsync(stream, (i, entry) =>
            {
                if (entry is null)
                {
                    throw new InvalidCatalogException($"catalog {file}: releases[{i}] is null");
                }

                CheckRelease(file, root, i, entry);
                if (!seen.Add(entry.CatalogId!))
                {
                    throw new InvalidCatalogException($"catalog {file}: release '{entry.CatalogId}' appears more than once");
                }

                // Checking expanded the entry into objects; a catalog of thousands of releases keeps only their JSON.
                return entry.Compacted();
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "";
            throw new InvalidCatalogException($"catalog {file}: not valid JSON{where}: {FirstSentence(e.Message)}", e);
        }

        if (releases is null)
        {
            throw new InvalidCatalogException($"catalog {file}: the required array 'releases' is missing");
        }

        if (OfferingGraph.FindCycle(OfferingGraph.DependenciesOf(releases)) is { } cycle)
        {
            throw new InvalidCatalogException($"catalog {file}: the dependencies form a cycle: {cycle}");
        }

        return releases;
    }

    /// <summary>The absolute path of an artifact whose url is relative to the catalog folder (already checked to stay inside).</summary>
    public static string ResolveLocalPath(string catalogDir, string relativeUrl) =>
        Path.GetFullPath(Path.Combine(Path.GetFullPath(catalogDir), Uri.UnescapeDataString(relativeUrl)));

    /// <summary>True for <c>http://</c> and <c>https://</c> URLs, which are downloaded rather than read from the folder.</summary>
    public static bool IsRemote(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    private static void CheckRelease(string file, string root, int index, OfferedRelease entry)
    {
        if (entry.Release is not { } release)
        {
            throw new InvalidCatalogException($"catalog {file}: releases[{index}]: the required object 'release' is missing");
        }

        var id = entry.CatalogId;
        var name = id is null ? $"releases[{index}]" : $"release '{id}'";
        if (id is null)
        {
            throw new InvalidCatalogException($"catalog {file}: {name}: the required string 'release.id' is missing");
        }

        if (!CatalogIdRules.IsWellFormed(id, out var problem))
        {
            throw new InvalidCatalogException($"catalog {file}: {name}: {problem}");
        }

        foreach (var field in new[] { "version", "projectName" })
        {
            if (string.IsNullOrWhiteSpace(ReleaseStatusMapper.Text(release, field)))
            {
                throw new InvalidCatalogException($"catalog {file}: {name}: the required string 'release.{field}' is missing");
            }
        }

        if (release["projectId"] is not JsonValue projectId || !projectId.TryGetValue<int>(out _))
        {
            throw new InvalidCatalogException($"catalog {file}: {name}: the required integer 'release.projectId' is missing");
        }

        CheckOneOf(file, name, release, "status", KnownStatuses);
        CheckOneOf(file, name, release, "type", KnownTypes);
        foreach (var field in new[] { "createdAt", "updatedAt", "releasedAt" })
        {
            if (release[field] is JsonNode node && (ReleaseStatusMapper.Text(release, field) is not { } text
                || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)))
            {
                throw new InvalidCatalogException($"catalog {file}: {name}: 'release.{field}' is not an ISO 8601 date ({node.ToJsonString()})");
            }
        }

        if (entry.DependedOnBy?.Any(string.IsNullOrEmpty) == true)
        {
            throw new InvalidCatalogException($"catalog {file}: {name}: 'dependedOnBy' holds an empty catalog id");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var artifact in entry.Artifacts ?? [])
        {
            CheckArtifact(file, root, name, artifact);
            if (!keys.Add(artifact.ItemKey))
            {
                throw new InvalidCatalogException($"catalog {file}: {name}: artifact '{artifact.ItemKey}' appears more than once");
            }
        }
    }

    private static void CheckOneOf(string file, string name, JsonObject release, string field, string[] allowed)
    {
        if (release[field] is not null && !allowed.Contains(ReleaseStatusMapper.Text(release, field)))
        {
            throw new InvalidCatalogException(
                $"catalog {file}: {name}: 'release.{field}' is {release[field]!.ToJsonString()}, expected one of {string.Join(", ", allowed)}");
        }
    }

    private static void CheckArtifact(string file, string root, string name, ArtifactSpec? artifact)
    {
        if (artifact is null || string.IsNullOrWhiteSpace(artifact.ItemKey) || string.IsNullOrWhiteSpace(artifact.Url))
        {
            throw new InvalidCatalogException($"catalog {file}: {name}: an artifact lacks the required 'itemKey' or 'url'");
        }

        var what = $"{name}: artifact '{artifact.ItemKey}'";
        if (artifact.Size is not { } size || size < 0)
        {
            throw new InvalidCatalogException($"catalog {file}: {what}: the required non-negative 'size' is missing");
        }

        if (artifact.Hash is null || artifact.Hash.TryGetDigest() is null)
        {
            throw new InvalidCatalogException(
                $"catalog {file}: {what}: 'hash' must be {{\"algorithm\": \"SHA256Hex\" or \"SHA256Base64\", \"hash\": a SHA-256 digest in that encoding}}");
        }

        if (IsRemote(artifact.Url))
        {
            return;
        }

        if (Uri.TryCreate(artifact.Url, UriKind.Absolute, out var absolute) && !Path.IsPathRooted(artifact.Url))
        {
            throw new InvalidCatalogException($"catalog {file}: {what}: url '{artifact.Url}' has the unsupported scheme '{absolute.Scheme}' (use a path inside the catalog folder, http or https)");
        }

        var decoded = Uri.UnescapeDataString(artifact.Url);
        var path = ResolveLocalPath(root, artifact.Url);
        if (Path.IsPathRooted(decoded) || !IsInside(root, path))
        {
            throw new InvalidCatalogException($"catalog {file}: {what}: url '{artifact.Url}' escapes the catalog folder");
        }

        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new InvalidCatalogException($"catalog {file}: {what}: the file '{artifact.Url}' does not exist");
        }

        // A symbolic link inside the folder must not lead outside it either.
        if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target && !IsInside(root, target.FullName))
        {
            throw new InvalidCatalogException($"catalog {file}: {what}: the file '{artifact.Url}' is a link that leads outside the catalog folder");
        }

        if (info.Length != size)
        {
            throw new InvalidCatalogException($"catalog {file}: {what}: the file '{artifact.Url}' has {info.Length} bytes, the catalog says {size}");
        }
    }

    private static bool IsInside(string root, string path) =>
        path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
