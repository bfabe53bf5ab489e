using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// The releases a delivery of a root has to bring: its dependencies (transitively), leaf → root, each once, without the
/// ones already on the device (downloaded, deploy, installed, uninstalled: their files are here).
/// </summary>
public static class DeliveryClosure
{
    /// <summary>True when the release's artifacts are already on the device.</summary>
    public static bool IsDelivered(ReleaseRecord release) =>
        release.State is ReleaseState.Downloaded or ReleaseState.Deploy or ReleaseState.Installed or ReleaseState.Uninstalled;

    /// <summary>True while a delivery of the release is under way or about to be (<c>delivery</c> with Start or InProgress).</summary>
    public static bool IsActive(ReleaseRecord release) => IsActive(release.Position);

    /// <inheritdoc cref="IsActive(ReleaseRecord)"/>
    public static bool IsActive(ReleasePosition position) =>
        position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Start or DeliveryStatus.InProgress };

    /// <summary>
    /// Every release the deliveries of <paramref name="roots"/> bring (the roots included): their dependencies, transitively,
    /// not going through one already on the device, as <see cref="Resolve"/> does. Unknown ids are left out.
    /// </summary>
    public static HashSet<string> Needs(IEnumerable<string> roots, IReadOnlyDictionary<string, ReleaseRecord> releases)
    {
        ArgumentNullException.ThrowIfNull(releases);
        var needed = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(string Id, bool IsRoot)>(roots.Select(r => (r, true)));
        while (pending.TryPop(out var next))
        {
            if (!releases.TryGetValue(next.Id, out var release) || (!next.IsRoot && IsDelivered(release)) || !needed.Add(next.Id))
            {
                continue;
            }

            foreach (var dependency in release.Dependencies)
            {
                pending.Push((dependency, false));
            }
        }

        return needed;
    }

    /// <summary>Leaf → root order of what still has to be delivered (the root last). Throws when a dependency is unknown.</summary>
    public static IReadOnlyList<ReleaseRecord> Resolve(string rootId, IReadOnlyDictionary<string, ReleaseRecord> releases)
    {
        ArgumentNullException.ThrowIfNull(releases);
        var order = new List<ReleaseRecord>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        Visit(rootId, rootId);
        return order;

        void Visit(string id, string requiredBy)
        {
            if (!visited.Add(id))
            {
                return;
            }

            if (!releases.TryGetValue(id, out var release))
            {
                throw new ReleaseDeliveryFailedException(id, $"dependency '{id}' of '{requiredBy}' is not offered to this device", DeliveryFailureReason.Prepare);
            }

            if (id != rootId && IsDelivered(release))
            {
                return;
            }

            foreach (var dependency in release.Dependencies)
            {
                Visit(dependency, id);
            }

            order.Add(release);
        }
    }
}
