using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.OfflineCatalog;

namespace GetApp.Agent.Core.OfflineMedia;

/// <summary>
/// An offline catalog folder opened for writing by <c>catalog add</c> and <c>export</c>: its releases as the agent's own
/// <see cref="CatalogReader"/> reads them, changed in memory, then published atomically. The new <c>catalog.json</c> is
/// written beside the old one, checked with the agent's reader (so a tool never publishes a catalog <c>run</c> would
/// refuse), fsynced and renamed over it: a stick pulled out mid-write keeps the old catalog, whole. One writer at a time
/// (<c>.catalog.lock</c>).
/// </summary>
public sealed class CatalogFolder : IDisposable
{
    public const string LockFileName = ".catalog.lock";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly FileStream _lock;
    private readonly List<OfferedRelease> _releases;

    private CatalogFolder(string root, FileStream lockFile, List<OfferedRelease> releases)
    {
        Root = root;
        _lock = lockFile;
        _releases = releases;
    }

    public string Root { get; }

    public string CatalogFile => Path.Combine(Root, CatalogReader.FileName);

    public IReadOnlyList<OfferedRelease> Releases => _releases;

    /// <summary>Creates <paramref name="dir"/> (and its parents) with an empty catalog; refuses to overwrite one.</summary>
    public static async Task InitAsync(string dir, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(dir);
        if (File.Exists(root))
        {
            throw new OfflineMediaException($"{root} is a file; give a folder for the catalog");
        }

        Directory.CreateDirectory(root);
        using var folder = await OpenAsync(root, create: true, cancellationToken).ConfigureAwait(false);
        if (File.Exists(folder.CatalogFile))
        {
            throw new OfflineMediaException($"{folder.CatalogFile} already exists: add releases to it with `getapp-agent catalog add {root} ...`, or choose an empty folder");
        }

        await folder.SaveAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a catalog folder for changes. With <paramref name="create"/>, a folder without <c>catalog.json</c> (or that
    /// does not exist) starts empty; an existing <c>catalog.json</c> must pass the agent's checks first.
    /// </summary>
    public static async Task<CatalogFolder> OpenAsync(string dir, bool create, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(dir);
        if (!Directory.Exists(root))
        {
            if (!create)
            {
                throw new OfflineMediaException($"The catalog folder {root} does not exist: create it with `getapp-agent catalog init {root}`");
            }

            Directory.CreateDirectory(root);
        }

        FileStream lockFile;
        try
        {
            lockFile = new FileStream(Path.Combine(root, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new OfflineMediaException($"Another `catalog add` or `export` is writing {root} ({LockFileName} is held): wait for it to finish", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new OfflineMediaException($"The catalog folder {root} cannot be written ({e.Message}): check that the medium is mounted read-write", e);
        }

        try
        {
            var file = Path.Combine(root, CatalogReader.FileName);
            if (!File.Exists(file))
            {
                if (!create)
                {
                    throw new OfflineMediaException($"{root} has no {CatalogReader.FileName}: create one with `getapp-agent catalog init {root}`");
                }

                return new CatalogFolder(root, lockFile, []);
            }

            IReadOnlyList<OfferedRelease> releases;
            try
            {
                releases = await CatalogReader.ReadAsync(root, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidCatalogException e)
            {
                throw new OfflineMediaException($"The existing catalog is broken, so nothing was changed: {e.Message}", e);
            }

            return new CatalogFolder(root, lockFile, [.. releases]);
        }
        catch
        {
            await lockFile.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public OfferedRelease? Find(string catalogId) => _releases.FirstOrDefault(r => r.CatalogId == catalogId);

    /// <summary>Adds <paramref name="entry"/>, or replaces the entry with its id (keeping the releases that already depended on it).</summary>
    public void Put(OfferedRelease entry)
    {
        var index = _releases.FindIndex(r => r.CatalogId == entry.CatalogId);
        if (index < 0)
        {
            _releases.Add(entry);
            return;
        }

        var dependents = (_releases[index].DependedOnBy ?? []).Union(entry.DependedOnBy ?? [], StringComparer.Ordinal).ToList();
        _releases[index] = entry with { DependedOnBy = dependents };
    }

    /// <summary>Records that <paramref name="dependentId"/> depends on <paramref name="dependencyId"/> (which must be in the catalog).</summary>
    public void AddDependency(string dependentId, string dependencyId)
    {
        var index = _releases.FindIndex(r => r.CatalogId == dependencyId);
        if (index < 0)
        {
            throw new OfflineMediaException($"'{dependencyId}' is not in the catalog {Root}: add it first, then the releases that depend on it");
        }

        var dependents = _releases[index].DependedOnBy ?? [];
        if (!dependents.Contains(dependentId, StringComparer.Ordinal))
        {
            _releases[index] = _releases[index] with { DependedOnBy = [.. dependents, dependentId] };
        }
    }

    /// <summary>Writes, checks and publishes <c>catalog.json</c> (see the class remarks).</summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        var temporary = $".{CatalogReader.FileName}.{Environment.ProcessId}.tmp";
        var temporaryPath = Path.Combine(Root, temporary);
        try
        {
            await using (var stream = new FileStream(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                await using (var writer = new Utf8JsonWriter(stream, WriterOptions))
                {
                    ToJson(_releases).WriteTo(writer);
                }

                await stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                await CatalogReader.ReadAsync(Root, temporary, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidCatalogException e)
            {
                throw new OfflineMediaException($"The catalog would be refused by the agent, so it was not changed: {e.Message.Replace(temporary, CatalogReader.FileName, StringComparison.Ordinal)}", e);
            }

            File.Move(temporaryPath, CatalogFile, overwrite: true);
            DirectorySync.Sync(Root);
        }
        finally
        {
            File.Delete(temporaryPath);
        }
    }

    /// <summary>The catalog as GetApp's discovery answer, artifacts inline, fields this agent leaves unset left out.</summary>
    public static JsonObject ToJson(IEnumerable<OfferedRelease> releases) => new()
    {
        ["releases"] = new JsonArray([.. releases.OrderBy(r => r.CatalogId, StringComparer.Ordinal).Select(r => (JsonNode?)ToJson(r))]),
    };

    private static JsonObject ToJson(OfferedRelease entry)
    {
        var json = new JsonObject
        {
            ["release"] = entry.Release?.DeepClone(),
            ["isPush"] = entry.IsPush,
            ["dependedOnBy"] = new JsonArray([.. (entry.DependedOnBy ?? []).Order(StringComparer.Ordinal).Select(d => (JsonNode?)d)]),
        };
        if (entry.HierarchyTrees is not null)
        {
            json["hierarchyTrees"] = entry.HierarchyTrees.DeepClone();
        }

        if (entry.Available is not null)
        {
            json["available"] = entry.Available;
        }

        json["artifacts"] = new JsonArray([.. (entry.Artifacts ?? []).Select(a => (JsonNode?)ToJson(a))]);
        return json;
    }

    private static JsonObject ToJson(ArtifactSpec artifact)
    {
        var json = new JsonObject
        {
            ["itemKey"] = artifact.ItemKey,
            ["artifactType"] = artifact.ArtifactType ?? "software",
            ["url"] = artifact.Url,
            ["size"] = artifact.Size,
            ["hash"] = artifact.Hash is { } hash ? new JsonObject { ["algorithm"] = hash.Algorithm, ["hash"] = hash.Hash } : null,
        };
        if (artifact.IsExecutable is { } executable)
        {
            json["isExecutable"] = executable;
        }

        if (artifact.Arguments is not null)
        {
            json["arguments"] = artifact.Arguments;
        }

        if (artifact.MetaData is not null)
        {
            json["metaData"] = artifact.MetaData;
        }

        if (artifact.Signature is not null)
        {
            json["signature"] = artifact.Signature;
        }

        return json;
    }

    public void Dispose() => _lock.Dispose();
}
