using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.OfflineMedia;

/// <summary>What <c>getapp-agent export</c> was asked to write.</summary>
public sealed record ExportRequest
{
    /// <summary>The data dir of the agent that delivered the releases.</summary>
    public required string DataDir { get; init; }

    /// <summary>The catalog folder to write (created, or merged into when it already holds a catalog).</summary>
    public required string ToDir { get; init; }

    public required IReadOnlyList<string> CatalogIds { get; init; }

    /// <summary>Mark the named releases as pushed, so the receiving agent delivers them by itself.</summary>
    public bool Push { get; init; }

    /// <summary>When enabled, every exported artifact must carry a valid signature (as the agent checked when it delivered it).</summary>
    public CosignVerifier Cosign { get; init; } = CosignVerifier.Disabled;
}

/// <summary>What was exported: every release written (the named ones and their dependencies), files and bytes copied.</summary>
public sealed record ExportReport(string CatalogDir, IReadOnlyList<string> Exported, int Files, long Bytes);

/// <summary>
/// <c>export</c>: writes releases this agent has delivered, with their dependencies and signatures, as an offline catalog
/// another agent uses with <c>--catalog</c> (GetApp's USB transfer: an agent with a network delivers, a stick carries the
/// releases to a cut-off device). It reads the data dir directly and never writes to it: the database is opened
/// read-only (SQLite's WAL lets it read beside a running agent, without the data dir lock) and each delivered file is
/// hashed as it is copied and checked against what it was delivered with, so a release deleted or changed meanwhile fails
/// the export, naming it, instead of producing a catalog that would fail on the device.
/// </summary>
public static class ReleaseExporter
{
    public static async Task<ExportReport> ExportAsync(ExportRequest request, Action<string>? onFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.CatalogIds.Count == 0)
        {
            throw new OfflineMediaException("Name at least one release to export (its catalog id, e.g. 7.demo-app@1.0.0; see `getapp-agent releases`)");
        }

        var dataDir = new DataDirectory(request.DataDir);
        var releases = await ReadReleasesAsync(dataDir, cancellationToken).ConfigureAwait(false);
        var closure = Closure(releases, request.CatalogIds);

        using var catalog = await CatalogFolder.OpenAsync(request.ToDir, create: true, cancellationToken).ConfigureAwait(false);
        var staged = new List<StagedFile>();
        try
        {
            foreach (var record in closure)
            {
                catalog.Put(await StageAsync(record, dataDir, catalog.Root, closure, request, staged, onFile, cancellationToken).ConfigureAwait(false));
            }

            // Every file is copied and checked: only now do they take their names, then the catalog names them.
            foreach (var copy in staged)
            {
                copy.Commit();
            }

            await catalog.SaveAsync(cancellationToken).ConfigureAwait(false);
            return new ExportReport(catalog.Root, [.. closure.Select(r => r.CatalogId)], staged.Count, staged.Sum(s => s.Length));
        }
        finally
        {
            foreach (var copy in staged)
            {
                copy.Dispose();
            }
        }
    }

    /// <summary>Stages one release's files (each checked against what it was delivered with) and returns its catalog entry.</summary>
    private static async Task<OfferedRelease> StageAsync(ReleaseRecord record, DataDirectory dataDir, string catalogRoot, IReadOnlyList<ReleaseRecord> closure,
        ExportRequest request, List<StagedFile> staged, Action<string>? onFile, CancellationToken cancellationToken)
    {
        var artifacts = new List<ArtifactSpec>();
        // The stored path, else where this data dir keeps it (a data dir restored elsewhere from a backup).
        var sourceDir = record.ArtsDirPath is { } stored && Directory.Exists(stored) ? stored : dataDir.ArtifactsDirOf(record.CatalogId);
        var folder = $"files/{FileSafeName.From(record.CatalogId)}";
        foreach (var artifact in record.Artifacts)
        {
            var source = ArtifactFiles.PathOf(sourceDir, record.Artifacts, artifact.ItemKey);
            var name = Path.GetFileName(source);
            StagedFile copy;
            try
            {
                copy = await ArtifactCopy.StageAsync(source, Path.Combine(catalogRoot, folder, name), artifact.IsExecutable == true, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new OfflineMediaException(
                    $"'{record.CatalogId}': its file {source} is gone (deleted since it was delivered?): deliver it again (getapp-agent deliver {record.CatalogId}), then export", e);
            }

            staged.Add(copy);
            if (Refusal(record, artifact, copy.Sha256, copy.Length, request.Cosign) is { } refused)
            {
                throw new OfflineMediaException(refused);
            }

            onFile?.Invoke($"{folder}/{name} ({copy.Length} bytes)");
            artifacts.Add(new ArtifactSpec
            {
                ItemKey = artifact.ItemKey,
                ArtifactType = artifact.ArtifactType,
                Url = $"{folder}/{name}",
                Size = copy.Length,
                Hash = new ArtifactHash(ArtifactHash.Sha256Hex, Convert.ToHexStringLower(copy.Sha256)),
                IsExecutable = artifact.IsExecutable,
                Arguments = artifact.Arguments,
                MetaData = artifact.MetaData,
                Signature = artifact.Signature,
            });
        }

        return new OfferedRelease
        {
            Release = (System.Text.Json.Nodes.JsonObject)record.Release.DeepClone(),
            IsPush = (request.Push && request.CatalogIds.Contains(record.CatalogId, StringComparer.Ordinal)) || record.IsPush,
            DependedOnBy = [.. closure.Where(r => r.Dependencies.Contains(record.CatalogId, StringComparer.Ordinal)).Select(r => r.CatalogId)],
            HierarchyTrees = record.HierarchyTrees is null ? null : (System.Text.Json.Nodes.JsonArray)record.HierarchyTrees.DeepClone(),
            Artifacts = artifacts,
        };
    }

    private static string? Refusal(ReleaseRecord record, ArtifactSpec artifact, byte[] digest, long length, CosignVerifier cosign)
    {
        var expected = artifact.Hash?.TryGetDigest();
        if ((expected is not null && !digest.AsSpan().SequenceEqual(expected)) || (artifact.Size is { } size && size != length))
        {
            return $"'{record.CatalogId}': its file for '{artifact.ItemKey}' no longer matches what was delivered (changed on disk): deliver it again, then export";
        }

        return cosign.Check(artifact, digest) is { } refused ? $"'{record.CatalogId}': {refused}" : null;
    }

    /// <summary>The releases in the data dir, read in one read-only transaction.</summary>
    private static async Task<IReadOnlyList<ReleaseRecord>> ReadReleasesAsync(DataDirectory dataDir, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDir.Root, AgentDatabase.FileName);
        if (!File.Exists(path))
        {
            throw new OfflineMediaException($"{dataDir.Root} holds no agent data ({AgentDatabase.FileName} is missing): give the agent's data dir with --data-dir (or GETAPP_DATA_DIR / DATA_PATH)");
        }

        // DefaultTimeout also sets SQLite's busy timeout: a read waits out the agent's write transactions.
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 30 }.ToString();
        try
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA user_version;";
                var version = Convert.ToInt32(await pragma.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                if (version != SchemaMigrator.CurrentVersion)
                {
                    throw new OfflineMediaException(version < SchemaMigrator.CurrentVersion
                        ? $"The data dir {dataDir.Root} was written by an older agent (schema {version}, this one knows {SchemaMigrator.CurrentVersion}): start the agent once with this version, or export with the agent's own binary"
                        : $"The data dir {dataDir.Root} was written by a newer agent (schema {version}, this one knows {SchemaMigrator.CurrentVersion}): export with the agent's own binary");
                }
            }

            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            return await ReleaseStore.ListAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e)
        {
            throw new OfflineMediaException($"The agent database {path} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The named releases and their dependencies (transitively), dependencies first, each once; all must be delivered here.</summary>
    private static List<ReleaseRecord> Closure(IReadOnlyList<ReleaseRecord> releases, IReadOnlyList<string> roots)
    {
        var byId = releases.ToDictionary(r => r.CatalogId, StringComparer.Ordinal);
        var result = new List<ReleaseRecord>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        void Visit(string id, string? dependent)
        {
            if (!seen.Add(id))
            {
                return;
            }

            var of = dependent is null ? "" : $" (a dependency of '{dependent}')";
            if (!byId.TryGetValue(id, out var record))
            {
                throw new OfflineMediaException($"This agent does not know '{id}'{of}: see `getapp-agent releases` for what it has delivered");
            }

            if (!IsDelivered(record))
            {
                throw new OfflineMediaException($"'{id}'{of} is not delivered on this agent (it is {Describe(record)}): deliver it first (getapp-agent deliver {id}), then export");
            }

            foreach (var dependency in record.Dependencies)
            {
                Visit(dependency, id);
            }

            result.Add(record);
        }

        foreach (var root in roots)
        {
            Visit(root, null);
        }

        return result;
    }

    private static bool IsDelivered(ReleaseRecord record) =>
        record.State is ReleaseState.Downloaded or ReleaseState.Deploy or ReleaseState.Installed or ReleaseState.Uninstalled
        && record.ArtsDirPath is not null;

    private static string Describe(ReleaseRecord record) => record.State switch
    {
        ReleaseState.Offering or ReleaseState.Push => "only offered",
        ReleaseState.Delivery => $"being delivered ({record.Position.DeliveryStatus}{(record.Progress is { } p ? $", {p:0}%" : "")})",
        ReleaseState.Deleted => "deleted",
        _ => record.State.ToString().ToLowerInvariant(),
    };
}
