using System.Globalization;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.OfflineMedia;

/// <summary>What <c>getapp-agent catalog add</c> was asked to add.</summary>
public sealed record CatalogAddRequest
{
    public required string CatalogDir { get; init; }
    public required string Project { get; init; }
    public required string Version { get; init; }

    /// <summary>GetApp's numeric project id; by default the one this project already has in the catalog, else the next free one.</summary>
    public int? ProjectId { get; init; }

    public IReadOnlyList<string> Files { get; init; } = [];
    public bool Push { get; init; }
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>The file that installs the release; by default every file with the execute bit is executable, the first one installs.</summary>
    public string? Installer { get; init; }

    public string? Arguments { get; init; }
    public string? DisplayName { get; init; }
    public string? ReleaseNotes { get; init; }
    public bool AutoDeploy { get; init; }

    /// <summary>Replace a release with the same id instead of refusing.</summary>
    public bool Replace { get; init; }

    /// <summary>When enabled, every signature file is checked against its artifact as it is added.</summary>
    public CosignVerifier Cosign { get; init; } = CosignVerifier.Disabled;
}

/// <summary>
/// <c>catalog add</c>: copies a release's files into an offline catalog folder (<c>files/&lt;catalog id&gt;/</c>) and writes
/// its entry: sizes and SHA-256 computed while copying, <c>isExecutable</c> from the execute bit (or <c>--installer</c>),
/// the installer's arguments, a cosign signature from <c>FILE.sig</c> beside a file, dependencies as GetApp writes them
/// (<c>dependedOnBy</c> on each dependency).
/// </summary>
public static class CatalogAdd
{
    public const string SignatureSuffix = ".sig";

    public static async Task<OfferedRelease> RunAsync(CatalogAddRequest request, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var project = request.Project.Trim();
        var version = request.Version.Trim();
        if (project.Length == 0 || project.Any(c => char.IsWhiteSpace(c) || c is '@' or '/' or '\\'))
        {
            throw new OfflineMediaException($"--project '{request.Project}' is not a project name: use letters, digits, '.', '-' or '_' (no spaces, '@' or '/')");
        }

        if (version.Length == 0 || version.Any(c => char.IsWhiteSpace(c) || c is '/' or '\\'))
        {
            throw new OfflineMediaException($"--version '{request.Version}' is not a version: e.g. 1.0.0 (no spaces or '/')");
        }

        var files = Plan(request);
        using var catalog = await CatalogFolder.OpenAsync(request.CatalogDir, create: false, cancellationToken).ConfigureAwait(false);
        var projectId = request.ProjectId ?? ProjectIdOf(catalog, project);
        var catalogId = $"{projectId}.{project}@{version}";
        if (!CatalogIdRules.IsWellFormed(catalogId, out var problem))
        {
            throw new OfflineMediaException($"The catalog id '{catalogId}' cannot be used: {problem}");
        }

        if (catalog.Find(catalogId) is not null && !request.Replace)
        {
            throw new OfflineMediaException($"'{catalogId}' is already in the catalog {catalog.Root}: give --replace to replace it, or a new --version");
        }

        foreach (var dependency in request.DependsOn)
        {
            if (dependency == catalogId)
            {
                throw new OfflineMediaException($"'{catalogId}' cannot depend on itself");
            }

            if (catalog.Find(dependency) is null)
            {
                var known = catalog.Releases.Select(r => r.CatalogId).ToList();
                throw new OfflineMediaException($"--depends-on '{dependency}' is not in the catalog {catalog.Root}: add it first" +
                    (known.Count > 0 ? $" (it holds {string.Join(", ", known)})" : ""));
            }
        }

        var folder = $"files/{FileSafeName.From(catalogId)}";
        var artifacts = new List<ArtifactSpec>();
        var staged = new List<StagedFile>();
        try
        {
            foreach (var file in files)
            {
                artifacts.Add(await AddFileAsync(catalog.Root, folder, catalogId, file, request, staged, cancellationToken).ConfigureAwait(false));
            }

            // Every file is copied and accepted: only now do they take their names.
            foreach (var copy in staged)
            {
                copy.Commit();
            }
        }
        finally
        {
            foreach (var copy in staged)
            {
                copy.Dispose();
            }
        }

        var now = timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var metadata = new JsonObject();
        if (request.AutoDeploy)
        {
            metadata["autoDeploy"] = true;
        }

        var entry = new OfferedRelease
        {
            Release = new JsonObject
            {
                ["id"] = catalogId,
                ["version"] = version,
                ["projectId"] = projectId,
                ["projectName"] = project,
                ["displayName"] = request.DisplayName ?? project,
                ["label"] = null,
                ["status"] = "released",
                ["type"] = "product",
                ["latest"] = true,
                ["releaseNotes"] = request.ReleaseNotes,
                ["createdAt"] = now,
                ["updatedAt"] = now,
                ["releasedAt"] = now,
                ["size"] = artifacts.Sum(a => a.Size ?? 0),
                ["metadata"] = metadata,
                ["policies"] = new JsonArray(),
            },
            IsPush = request.Push,
            DependedOnBy = [],
            Artifacts = artifacts,
        };
        catalog.Put(entry);
        foreach (var dependency in request.DependsOn)
        {
            catalog.AddDependency(catalogId, dependency);
        }

        await catalog.SaveAsync(cancellationToken).ConfigureAwait(false);
        return catalog.Find(catalogId)!;
    }

    private sealed record PlannedFile(string Path, string Name, bool Executable, string? Arguments, string? SignatureFile);

    /// <summary>Checks the files and decides names, roles and signatures before anything is written.</summary>
    private static List<PlannedFile> Plan(CatalogAddRequest request)
    {
        var given = request.Files.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
        // "app.bin app.bin.sig" (e.g. from a glob): the .sig is app.bin's signature, not an artifact.
        var signatures = given.Where(f => f.EndsWith(SignatureSuffix, StringComparison.Ordinal) && given.Contains(f[..^SignatureSuffix.Length], StringComparer.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var paths = given.Where(f => !signatures.Contains(f)).ToList();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new OfflineMediaException(Directory.Exists(path) ? $"{path} is a folder: give the files themselves" : $"{path} does not exist");
            }

            var name = Path.GetFileName(path);
            if (FileSafeName.From(name) != name)
            {
                throw new OfflineMediaException($"The file name '{name}' would be changed on the device (only letters, digits, '.', '-', '_', '@' and '+' are kept): rename the file");
            }

            if (!names.Add(name))
            {
                throw new OfflineMediaException($"Two files are named '{name}': a release's files share one folder on the device; rename one");
            }
        }

        string? installer = null;
        if (request.Installer is { } wanted)
        {
            installer = paths.FirstOrDefault(p => p == Path.GetFullPath(wanted)) ?? paths.FirstOrDefault(p => Path.GetFileName(p) == wanted)
                ?? throw new OfflineMediaException($"--installer '{wanted}' is not one of the files given");
        }

        bool IsUninstaller(string path) => Path.GetFileName(path) is "uninstall" or "uninstall.sh";
        bool IsExecutable(string path) => installer is not null
            ? path == installer || (IsUninstaller(path) && HasExecuteBit(path))
            : HasExecuteBit(path);

        // The installer first: the agent runs the first executable artifact that is not the uninstaller.
        var ordered = installer is null ? paths : [installer, .. paths.Where(p => p != installer)];
        var installerPath = installer ?? ordered.FirstOrDefault(p => IsExecutable(p) && !IsUninstaller(p));
        if (request.Arguments is not null && installerPath is null)
        {
            throw new OfflineMediaException("--arguments needs an installer: make it executable (chmod +x FILE) or name it with --installer FILE");
        }

        return [.. ordered.Select(p => new PlannedFile(
            p, Path.GetFileName(p), IsExecutable(p), p == installerPath ? request.Arguments : null,
            File.Exists(p + SignatureSuffix) ? p + SignatureSuffix : null))];
    }

    private static async Task<ArtifactSpec> AddFileAsync(
        string root, string folder, string catalogId, PlannedFile file, CatalogAddRequest request, List<StagedFile> staged, CancellationToken cancellationToken)
    {
        var destination = Path.Combine(root, folder, file.Name);
        var signature = file.SignatureFile is { } signatureFile
            ? (await File.ReadAllTextAsync(signatureFile, cancellationToken).ConfigureAwait(false)).Trim()
            : null;

        byte[] sha256;
        long size;
        if (destination == file.Path)
        {
            // A file already in place in the catalog folder is used where it is.
            (sha256, size) = await ArtifactCopy.HashAsync(file.Path, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var copy = await ArtifactCopy.StageAsync(file.Path, destination, file.Executable, cancellationToken).ConfigureAwait(false);
            staged.Add(copy);
            (sha256, size) = (copy.Sha256, copy.Length);
        }

        var spec = new ArtifactSpec
        {
            ItemKey = $"{catalogId}@{file.Name}",
            ArtifactType = "software",
            Url = $"{folder}/{file.Name}",
            Size = size,
            Hash = new ArtifactHash(ArtifactHash.Sha256Hex, Convert.ToHexStringLower(sha256)),
            IsExecutable = file.Executable ? true : null,
            Arguments = file.Arguments,
            Signature = signature,
        };
        if (request.Cosign.Check(spec, sha256) is { } refused)
        {
            throw new OfflineMediaException($"{file.Path}: {refused}" + (signature is null ? $" (put its signature in {file.Path}{SignatureSuffix})" : ""));
        }

        return spec;
    }

    private static int ProjectIdOf(CatalogFolder catalog, string project)
    {
        var ids = catalog.Releases.Select(r => (Name: ReleaseStatusMapper.Text(r.Release!, "projectName"), Id: r.Release!["projectId"]!.GetValue<int>())).ToList();
        return ids.FirstOrDefault(p => p.Name == project) is { Name: not null } same ? same.Id : ids.Count == 0 ? 1 : ids.Max(p => p.Id) + 1;
    }

    private static bool HasExecuteBit(string path) =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0;
}
