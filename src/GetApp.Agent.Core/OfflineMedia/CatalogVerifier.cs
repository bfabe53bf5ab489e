using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.OfflineCatalog;

namespace GetApp.Agent.Core.OfflineMedia;

/// <summary>What <c>catalog verify</c> found.</summary>
public sealed record CatalogVerifyReport(
    string CatalogFile, int Releases, int Files, long Bytes, int RemoteFiles, int SignaturesChecked, IReadOnlyList<string> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// <c>catalog verify</c>: everything the agent will check when it uses the catalog, done now, on the medium, before it
/// travels. The structure, paths (none may leave the folder, symbolic links included) and sizes are checked by the agent's
/// own <see cref="CatalogReader"/>, so verify and run never disagree; then every local file is read and hashed (the agent
/// does that only when it delivers), every <c>dependedOnBy</c> must name a release of the catalog (the agent silently drops
/// an edge to an unknown release, which is nearly always a typo in an id), and with a cosign key every signature is checked.
/// </summary>
public static class CatalogVerifier
{
    public static async Task<CatalogVerifyReport> VerifyAsync(string catalogDir, CosignVerifier cosign, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cosign);
        var root = Path.GetFullPath(catalogDir);
        var file = Path.Combine(root, CatalogReader.FileName);
        if (!Directory.Exists(root))
        {
            return new CatalogVerifyReport(file, 0, 0, 0, 0, 0, [$"the catalog folder {root} does not exist"]);
        }

        IReadOnlyList<OfferedRelease> releases;
        try
        {
            releases = await CatalogReader.ReadAsync(root, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidCatalogException e)
        {
            return new CatalogVerifyReport(file, 0, 0, 0, 0, 0, [e.Message]);
        }

        var problems = new List<string>();
        var ids = releases.Select(r => r.CatalogId!).ToHashSet(StringComparer.Ordinal);
        int files = 0, remote = 0, signatures = 0;
        long bytes = 0;
        foreach (var release in releases)
        {
            foreach (var dependent in release.DependedOnBy ?? [])
            {
                if (!ids.Contains(dependent))
                {
                    problems.Add($"release '{release.CatalogId}': dependedOnBy names '{dependent}', which is not in the catalog (a typo in the id? the agent would ignore this dependency)");
                }
            }

            foreach (var artifact in release.Artifacts ?? [])
            {
                if (CatalogReader.IsRemote(artifact.Url))
                {
                    remote++;
                    continue;
                }

                var what = $"release '{release.CatalogId}': artifact '{artifact.ItemKey}'";
                byte[] digest;
                try
                {
                    (digest, _) = await ArtifactCopy.HashAsync(CatalogReader.ResolveLocalPath(root, artifact.Url), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidCatalogException)
                {
                    // A link swapped in since the catalog was read is refused like any other path that leads outside.
                    problems.Add($"{what}: the file '{artifact.Url}' cannot be read: {e.Message}");
                    continue;
                }

                files++;
                bytes += artifact.Size ?? 0;
                if (!digest.AsSpan().SequenceEqual(artifact.Hash!.TryGetDigest()))
                {
                    problems.Add($"{what}: the file '{artifact.Url}' has SHA-256 {Convert.ToHexStringLower(digest)}, the catalog says {Convert.ToHexStringLower(artifact.Hash.TryGetDigest()!)} (damaged or replaced; copy it again)");
                    continue;
                }

                if (cosign.KeyPath is not null)
                {
                    signatures++;
                    if (cosign.Check(artifact, digest) is { } refused)
                    {
                        problems.Add($"release '{release.CatalogId}': {refused}");
                    }
                }
            }
        }

        return new CatalogVerifyReport(file, releases.Count, files, bytes, remote, signatures, problems);
    }
}
