using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Deploy;

/// <summary>The dependency questions of a deploy: what a root brings along, whether it is ready, who still needs a release.</summary>
internal static class DependencyGraph
{
    private static readonly DeploymentStatus[] Running =
        [DeploymentStatus.Start, DeploymentStatus.Installing, DeploymentStatus.Continue, DeploymentStatus.Pause];

    /// <summary>True for a release in deploy whose install has not ended (Start, Installing, Continue, Pause).</summary>
    public static bool IsInstalling(ReleaseRecord release) =>
        release.State == ReleaseState.Deploy && release.Position.DeployStatus is { } status && Running.Contains(status);

    public static async Task<Dictionary<string, ReleaseRecord>> ByIdAsync(ReleaseService releases, CancellationToken cancellationToken) =>
        (await releases.ListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.CatalogId, StringComparer.Ordinal);

    /// <summary>Every release <paramref name="root"/> depends on, directly or not, nearest first (each once).</summary>
    public static List<string> Closure(ReleaseRecord root, IReadOnlyDictionary<string, ReleaseRecord> all, out string? missing) =>
        Closure(root.CatalogId, root.Dependencies, id => all.TryGetValue(id, out var dependency) ? dependency.Dependencies : null, out missing);

    /// <summary>
    /// The same over any view of the releases: <paramref name="dependenciesOf"/> gives what a release depends on, or null
    /// when it is not on the device (the first such is <paramref name="missing"/>).
    /// </summary>
    public static List<string> Closure(string rootId, IEnumerable<string> direct, Func<string, IReadOnlyList<string>?> dependenciesOf, out string? missing)
    {
        missing = null;
        var seen = new HashSet<string>(StringComparer.Ordinal) { rootId };
        var order = new List<string>();
        var queue = new Queue<string>(direct);
        while (queue.TryDequeue(out var id))
        {
            if (!seen.Add(id))
            {
                continue;
            }

            if (dependenciesOf(id) is not { } next)
            {
                missing ??= id;
                continue;
            }

            order.Add(id);
            foreach (var nextId in next)
            {
                queue.Enqueue(nextId);
            }
        }

        return order;
    }

    /// <summary>
    /// Why the dependencies of <paramref name="root"/> do not allow its install now, naming the first one in the way, or
    /// null. Ready means installed, or downloaded with its files — also after a failed or cancelled install of its root
    /// (deploy/Error, deploy/Cancelled) and after an uninstall.
    /// </summary>
    public static string? Problem(ReleaseRecord root, IReadOnlyDictionary<string, ReleaseRecord> all)
    {
        var closure = Closure(root, all, out var missing);
        foreach (var id in closure)
        {
            var dependency = all[id];
            var ready = dependency.State switch
            {
                ReleaseState.Installed => true,
                ReleaseState.Downloaded or ReleaseState.Uninstalled => ReleaseInstallPlan.ArtifactsPresent(dependency),
                ReleaseState.Deploy => dependency.Position.DeployStatus is DeploymentStatus.Error or DeploymentStatus.Cancelled && ReleaseInstallPlan.ArtifactsPresent(dependency),
                _ => false,
            };
            if (!ready)
            {
                return $"release '{root.CatalogId}' cannot be installed: its dependency '{id}' is {dependency.Position}; every dependency must be downloaded or installed first";
            }
        }

        return missing is null ? null : $"release '{root.CatalogId}' cannot be installed: its dependency '{missing}' is not on this device; deliver it first";
    }

    /// <summary>A release being installed whose install needs <paramref name="catalogId"/> (directly or not), or null.</summary>
    public static string? InstallingWith(string catalogId, IReadOnlyDictionary<string, ReleaseRecord> all) =>
        all.Values.FirstOrDefault(r => r.CatalogId != catalogId && IsInstalling(r) && Closure(r, all, out _).Contains(catalogId))?.CatalogId;

    /// <summary>An installed (or installing) release that directly depends on <paramref name="catalogId"/>, or null.</summary>
    public static string? NeededBy(string catalogId, IEnumerable<ReleaseRecord> all) =>
        all.FirstOrDefault(r => r.CatalogId != catalogId && r.Dependencies.Contains(catalogId)
            && (r.State == ReleaseState.Installed || IsInstalling(r)))?.CatalogId;
}
