using System.Collections.Concurrent;
using System.Security.Cryptography;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Parent;

/// <summary>One artifact this agent holds and can hand to a child: its spec, its file, and the SHA-256 a child can check.</summary>
public sealed record HeldArtifact(ArtifactSpec Spec, string FileName, string Path, long Length, ArtifactHash? Hash);

/// <summary>
/// The artifacts a parent can serve: those of releases it holds (downloaded, deployed, installed or uninstalled, files in
/// <c>artsDirPath</c>), whether it fetched them for itself or for its children. Only the release's own artifact files are
/// ever served, by the names delivery gave them (an installer's other files in the folder are not). When the upstream gave
/// no hash (a GetApp origin gives none for software files), the parent hashes the file once and hands that out, so a
/// child checks what crossed the site's network too; the hash is kept per (file, size, modification time).
/// </summary>
public sealed class HeldArtifacts(AgentDatabase database)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _hashing = new(StringComparer.Ordinal);

    public static bool IsHeld(ReleaseRecord release) =>
        release.State is ReleaseState.Downloaded or ReleaseState.Deploy or ReleaseState.Installed or ReleaseState.Uninstalled
        && release.ArtsDirPath is not null && release.Artifacts.Count > 0;

    /// <summary>
    /// Every artifact of a held release with its file, or null when the release is not held or a file is missing or has
    /// another size than the upstream announced (an installer moved or changed it): then it cannot be served from here.
    /// </summary>
    public async Task<IReadOnlyList<HeldArtifact>?> ListAsync(ReleaseRecord release, bool withHashes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(release);
        if (!IsHeld(release))
        {
            return null;
        }

        var names = ArtifactFiles.Plan(release.Artifacts);
        var list = new List<HeldArtifact>(release.Artifacts.Count);
        foreach (var spec in release.Artifacts)
        {
            var name = names[spec.ItemKey];
            var path = Path.Combine(release.ArtsDirPath!, name);
            var info = new FileInfo(path);
            if (!info.Exists || (spec.Size is { } size && size != info.Length))
            {
                return null;
            }

            var hash = spec.Hash ?? (withHashes ? await HashAsync(release.CatalogId, name, info, cancellationToken).ConfigureAwait(false) : null);
            list.Add(new HeldArtifact(spec, name, path, info.Length, hash));
        }

        return list;
    }

    /// <summary>The artifact of a held release stored under <paramref name="fileName"/>, or null.</summary>
    public static HeldArtifact? Find(ReleaseRecord release, string fileName)
    {
        if (!IsHeld(release))
        {
            return null;
        }

        foreach (var (itemKey, name) in ArtifactFiles.Plan(release.Artifacts))
        {
            if (string.Equals(name, fileName, StringComparison.Ordinal))
            {
                var spec = release.Artifacts.First(a => a.ItemKey == itemKey);
                return new HeldArtifact(spec, name, Path.Combine(release.ArtsDirPath!, name), spec.Size ?? -1, spec.Hash);
            }
        }

        return null;
    }

    private async Task<ArtifactHash> HashAsync(string catalogId, string fileName, FileInfo file, CancellationToken cancellationToken)
    {
        var gate = _hashing.GetOrAdd(file.FullName, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var ticks = file.LastWriteTimeUtc.Ticks;
            await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (var find = connection.CreateCommand())
            {
                find.CommandText = "SELECT sha256_hex FROM served_artifacts WHERE catalog_id = $id AND file_name = $name AND size = $size AND modified_ticks = $ticks;";
                find.Parameters.AddWithValue("$id", catalogId);
                find.Parameters.AddWithValue("$name", fileName);
                find.Parameters.AddWithValue("$size", file.Length);
                find.Parameters.AddWithValue("$ticks", ticks);
                if (await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string known)
                {
                    return new ArtifactHash(ArtifactHash.Sha256Hex, known);
                }
            }

            string hex;
            await using (var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 20, FileOptions.SequentialScan))
            {
                hex = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            }

            await using (var save = connection.CreateCommand())
            {
                save.CommandText = "INSERT OR REPLACE INTO served_artifacts (catalog_id, file_name, size, modified_ticks, sha256_hex) VALUES ($id, $name, $size, $ticks, $hash);";
                save.Parameters.AddWithValue("$id", catalogId);
                save.Parameters.AddWithValue("$name", fileName);
                save.Parameters.AddWithValue("$size", file.Length);
                save.Parameters.AddWithValue("$ticks", ticks);
                save.Parameters.AddWithValue("$hash", hex);
                await save.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return new ArtifactHash(ArtifactHash.Sha256Hex, hex);
        }
        finally
        {
            gate.Release();
        }
    }
}
