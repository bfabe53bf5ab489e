using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// Puts releases of an offline catalog into <c>downloaded</c> exactly as the delivery engine does, through the domain
/// (never SQL): each artifact file is copied into <c>DataDirectory.ArtifactsDirOf(id)</c> under its
/// <see cref="ArtifactFiles.Plan"/> name, and the release moves StartDelivery → BeginDownload → BeginValidation →
/// CompleteDelivery (with <c>artsDirPath</c>). All given releases enter delivery first and complete in the order given
/// (leaf → root), so a root stays in delivery while its dependencies complete, as with the real engine.
/// </summary>
public static class DeliveredReleases
{
    public static async Task DeliverAsync(TestAgent agent, string catalogDir, params string[] leafToRoot)
    {
        await EnsureDiscoveredAsync(agent, leafToRoot);
        foreach (var id in leafToRoot)
        {
            await MoveAsync(agent, id, ReleaseAction.StartDelivery, null);
        }

        foreach (var id in leafToRoot)
        {
            await CompleteAsync(agent, catalogDir, id);
        }
    }

    /// <summary>Copies the files of a release already in delivery and completes its delivery.</summary>
    public static async Task CompleteAsync(TestAgent agent, string catalogDir, string catalogId)
    {
        var release = await agent.Releases.FindAsync(catalogId, CancellationToken.None)
            ?? throw new InvalidOperationException($"release {catalogId} is not known");
        var artsDir = agent.Get<DataDirectory>().ArtifactsDirOf(catalogId);
        Directory.CreateDirectory(artsDir);
        var names = ArtifactFiles.Plan(release.Artifacts);
        var root = Path.GetFullPath(catalogDir) + Path.DirectorySeparatorChar;
        foreach (var artifact in release.Artifacts)
        {
            var source = Path.GetFullPath(Path.Combine(catalogDir, Uri.UnescapeDataString(artifact.Url)));
            if (!source.StartsWith(root, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"artifact url {artifact.Url} escapes the catalog");
            }

            File.Copy(source, Path.Combine(artsDir, names[artifact.ItemKey]), overwrite: true);
        }

        await MoveAsync(agent, catalogId, ReleaseAction.BeginDownload, null);
        await MoveAsync(agent, catalogId, ReleaseAction.BeginValidation, null);
        await MoveAsync(agent, catalogId, ReleaseAction.CompleteDelivery, new ReleaseChange { ArtsDirPath = artsDir });
    }

    public static async Task EnsureDiscoveredAsync(TestAgent agent, IEnumerable<string> catalogIds)
    {
        foreach (var id in catalogIds)
        {
            if (await agent.Releases.FindAsync(id, CancellationToken.None) is null)
            {
                await agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
                return;
            }
        }
    }

    private static async Task MoveAsync(TestAgent agent, string catalogId, ReleaseAction action, ReleaseChange? change)
    {
        var result = await agent.Releases.MoveAsync(catalogId, action, change, CancellationToken.None);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"{action} of {catalogId} failed: {result.Message}");
        }
    }
}
