using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;

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

    internal static readonly string[] KnownStatuses = ["draft", "in_review", "approved", "released", "archived"];
    internal static readonly string[] KnownTypes = ["product", "formation"];

    public static Task<IReadOnlyList<OfferedRelease>> ReadAsync(string catalogDir, CancellationToken cancellationToken) =>
        ReadAsync(catalogDir, FileName, null, cancellationToken);

    /// <summary>
    /// Reads <paramref name="fileName"/> in <paramref name="catalogDir"/> as if it were its <c>catalog.json</c>: the offline
    /// tools check a catalog they are about to publish with exactly the rules the agent will apply to it.
    /// </summary>
    public static Task<IReadOnlyList<OfferedRelease>> ReadAsync(string catalogDir, string fileName, CancellationToken cancellationToken) =>
        ReadAsync(catalogDir, fileName, null, cancellationToken);

    /// <summary>
    /// Reads the catalog for a discovery: an entry whose JSON equals what <paramref name="stored"/> (the device's rows)
    /// holds for it shares that row's arrays, so reading a catalog the device already knows keeps almost nothing new.
    /// </summary>
    internal static async Task<IReadOnlyList<OfferedRelease>> ReadAsync(string catalogDir, string fileName, ReleaseSnapshot? stored, CancellationToken cancellationToken)
    {
        var root = RealRoot(catalogDir);
        var file = Path.Combine(root, fileName);
        if (!RealPath.IsInside(root, Resolve(file, file, fileName)))
        {
            throw new InvalidCatalogException($"catalog {file}: the file leads outside the catalog folder through a symbolic link");
        }

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
        var folders = new Dictionary<string, (string Real, int Links)>(StringComparer.Ordinal);
        var fast = new CatalogEntryReader(stored is null ? _ => null : stored.Find);
        try
        {
            await using var stream = File.OpenRead(file);
            releases = await CatalogJson.ReadReleasesAsync(stream, (int i, ref Utf8JsonReader json) =>
            {
                OfferedRelease entry;
                if (fast.TryRead(json) && CatalogIdRules.IsWellFormed(fast.Id, out _))
                {
                    // Written the plain way and its release checked while read: only its artifacts are left to check.
                    CheckArtifacts(file, root, fast.Id, fast.Artifacts, folders);
                    entry = fast.Take();
                }
                else
                {
                    entry = JsonSerializer.Deserialize(ref json, AgentJson.Context.OfferedRelease)
                        ?? throw new InvalidCatalogException($"catalog {file}: releases[{i}] is null");
                    CheckRelease(file, root, i, entry, folders);

                    // Checking expanded the entry into objects; a catalog of thousands of releases keeps only their JSON.
                    entry = entry.Compacted();
                }

                return seen.Add(entry.CatalogId!) ? entry : throw new InvalidCatalogException($"catalog {file}: release '{entry.CatalogId}' appears more than once");
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

        if (OfferingGraph.FindCycle(OfferingGraph.EdgesOf(releases)) is { } cycle)
        {
            throw new InvalidCatalogException($"catalog {file}: the dependencies form a cycle: {cycle}");
        }

        return releases;
    }

    /// <summary>
    /// The real path (every symbolic link followed) of an artifact whose url is relative to the catalog folder. What the
    /// downloader opens is this path, not the one written in the catalog (and it refuses a file that no longer opens as
    /// it). The reader checked the path when it read the catalog, but a link may have been swapped in since: it is
    /// checked again here, so the path handed out never leads outside.
    /// </summary>
    public static string ResolveLocalPath(string catalogDir, string relativeUrl)
    {
        var root = RealRoot(catalogDir);
        var path = RealPath.Resolve(Path.Join(root, Uri.UnescapeDataString(relativeUrl)));
        return RealPath.IsInside(root, path)
            ? path
            : throw new InvalidCatalogException($"catalog {Path.Combine(root, FileName)}: url '{relativeUrl}' leads outside the catalog folder through a symbolic link");
    }

    /// <summary>The catalog folder's own real path: it may be reached through a link (a mount point), and that is fine.</summary>
    private static string RealRoot(string catalogDir) => RealPath.Resolve(Path.GetFullPath(catalogDir));

    private static string Resolve(string catalogFile, string path, string url)
    {
        try
        {
            return RealPath.Resolve(path);
        }
        catch (IOException e)
        {
            throw new InvalidCatalogException($"catalog {catalogFile}: url '{url}' cannot be followed: {e.Message}", e);
        }
    }

    /// <summary>True for <c>http://</c> and <c>https://</c> URLs, which are downloaded rather than read from the folder.</summary>
    public static bool IsRemote(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    private static void CheckRelease(string file, string root, int index, OfferedRelease entry, Dictionary<string, (string Real, int Links)> folders)
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

        CheckArtifacts(file, root, id, entry.Artifacts, folders);
    }

    private static void CheckArtifacts(string file, string root, string id, IReadOnlyList<ArtifactSpec?>? artifacts, Dictionary<string, (string Real, int Links)> folders)
    {
        if (artifacts is null || artifacts.Count == 0)
        {
            return;
        }

        HashSet<string>? keys = artifacts.Count > 1 ? new(StringComparer.Ordinal) : null;
        foreach (var artifact in artifacts)
        {
            CheckArtifact(file, root, id, artifact, folders);
            if (keys is not null && !keys.Add(artifact.ItemKey))
            {
                throw new InvalidCatalogException($"catalog {file}: release '{id}': artifact '{artifact.ItemKey}' appears more than once");
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

    private static void CheckArtifact(string file, string root, string id, [NotNull] ArtifactSpec? artifact, Dictionary<string, (string Real, int Links)> folders)
    {
        if (artifact is null || string.IsNullOrWhiteSpace(artifact.ItemKey) || string.IsNullOrWhiteSpace(artifact.Url))
        {
            throw new InvalidCatalogException($"catalog {file}: release '{id}': an artifact lacks the required 'itemKey' or 'url'");
        }

        // Named only when something is wrong: thousands of artifacts are checked for every discovery.
        string What() => $"release '{id}': artifact '{artifact.ItemKey}'";
        if (artifact.Size is not { } size || size < 0)
        {
            throw new InvalidCatalogException($"catalog {file}: {What()}: the required non-negative 'size' is missing");
        }

        if (artifact.Hash is null || artifact.Hash.TryGetDigest() is null)
        {
            throw new InvalidCatalogException(
                $"catalog {file}: {What()}: 'hash' must be {{\"algorithm\": \"SHA256Hex\" or \"SHA256Base64\", \"hash\": a SHA-256 digest in that encoding}}");
        }

        if (IsRemote(artifact.Url))
        {
            return;
        }

        if (Uri.TryCreate(artifact.Url, UriKind.Absolute, out var absolute) && !Path.IsPathRooted(artifact.Url))
        {
            throw new InvalidCatalogException($"catalog {file}: {What()}: url '{SafeUrl.Masked(artifact.Url)}' has the unsupported scheme '{absolute.Scheme}' (use a path inside the catalog folder, http or https)");
        }

        var decoded = Uri.UnescapeDataString(artifact.Url);
        if (Path.IsPathRooted(decoded) || !RealPath.IsInside(root, Path.GetFullPath(Path.Join(root, decoded))))
        {
            throw new InvalidCatalogException($"catalog {file}: {What()}: url '{artifact.Url}' escapes the catalog folder");
        }

        // Every component is resolved, as the kernel will when the file is opened: a link to a folder in the middle of
        // the path ("files/rootlink -> /") leads outside as surely as a link at its end. Nothing about what lies outside
        // (whether it exists, its size) is looked at or told.
        var (path, info) = ResolveArtifact(file, root, decoded, artifact.Url, folders);
        if (!RealPath.IsInside(root, path))
        {
            throw new InvalidCatalogException($"catalog {file}: {What()}: url '{artifact.Url}' leads outside the catalog folder through a symbolic link");
        }

        if (!info.Exists)
        {
            throw new InvalidCatalogException($"catalog {file}: {What()}: the file '{artifact.Url}' does not exist");
        }

        if (info.Length != size)
        {
            throw new InvalidCatalogException($"catalog {file}: {What()}: the file '{artifact.Url}' has {info.Length} bytes, the catalog says {size}");
        }
    }

    /// <summary>
    /// <see cref="Resolve"/> for an artifact below the (real) catalog folder: its folder is resolved once per catalog read,
    /// not once per artifact (thousands of artifacts usually share a few folders), then its name within it. A name that is
    /// a plain file in that folder (no link) is its own real path: one look at the file tells that, and its size, where
    /// following the name as a possible link would look at it twice more.
    /// </summary>
    private static (string Path, FileInfo Info) ResolveArtifact(string catalogFile, string root, string decoded, string url, Dictionary<string, (string Real, int Links)> folders)
    {
        try
        {
            var slash = decoded.LastIndexOf(Path.DirectorySeparatorChar);
            var (folder, links) = (root, 0);
            if (slash >= 0)
            {
                var relativeFolder = decoded[..slash];
                if (!folders.TryGetValue(relativeFolder, out var known))
                {
                    var followed = 0;
                    known = (RealPath.Resolve(root, relativeFolder, ref followed), followed);
                    folders[relativeFolder] = known;
                }

                (folder, links) = known;
            }

            var name = decoded[(slash + 1)..];
            if (name is not ("" or "." or ".."))
            {
                var direct = new FileInfo(Path.Join(folder, name));
                if (direct.Exists && (direct.Attributes & FileAttributes.ReparsePoint) == 0)
                {
                    return (direct.FullName, direct);
                }
            }

            var path = RealPath.Resolve(folder, name, ref links);
            return (path, new FileInfo(path));
        }
        catch (IOException e)
        {
            throw new InvalidCatalogException($"catalog {catalogFile}: url '{url}' cannot be followed: {e.Message}", e);
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
