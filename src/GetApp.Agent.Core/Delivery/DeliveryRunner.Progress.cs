using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Delivery;

/// <summary>The progress a delivery shows: seeded when it resumes, published twice a second, stored every two.</summary>
public sealed partial class DeliveryRunner
{
    /// <summary>
    /// A resumed delivery shows where it was from its first sample: the bytes already in the partial files count at once
    /// (the downloader reports them only after re-hashing each file, one by one), and the percentage starts from what the
    /// release showed when it stopped, never 0 % for a moment.
    /// </summary>
    private void SeedProgress(DeliveryProgress progress, IReadOnlyList<(ReleaseRecord Release, IReadOnlyList<PreparedArtifact> Artifacts)> plans, ReleaseRecord root)
    {
        foreach (var (release, artifacts) in plans)
        {
            var names = ArtifactFiles.Plan(artifacts.Select(a => a.Spec).ToList());
            var dir = PartialDirOf(release.CatalogId);
            foreach (var artifact in artifacts)
            {
                var partial = new FileInfo(Path.Combine(dir, names[artifact.Spec.ItemKey] + ".part"));
                if (partial.Exists && partial.Length > 0 && (artifact.Spec.Size is not { } size || partial.Length <= size))
                {
                    progress.Report(release.CatalogId, artifact.Spec.ItemKey, partial.Length);
                }
            }
        }

        progress.StartAtLeast(root.Progress ?? 0);
    }

    /// <summary>Shows progress on the API twice a second; writes it to the database every two seconds (never per chunk).</summary>
    private async Task PublishProgressAsync(string rootId, Func<string> current, DeliveryProgress progress, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PublishInterval, timeProvider);
        var lastPersist = timeProvider.GetTimestamp();
        Publish();
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            Publish();
            if (timeProvider.GetElapsedTime(lastPersist) >= PersistInterval)
            {
                lastPersist = timeProvider.GetTimestamp();
                await PersistProgressAsync(rootId, current(), progress, cancellationToken).ConfigureAwait(false);
            }
        }

        void Publish()
        {
            var (percent, eta) = progress.Sample(timeProvider.GetTimestamp(), timeProvider.TimestampFrequency);
            releases.Progress.Set(rootId, percent, eta, new TransferRate(progress.DoneBytes, progress.TotalBytes, Math.Round(progress.BytesPerSecond)));
            var member = current();
            if (member != rootId)
            {
                releases.Progress.Set(member, progress.PercentOf(member), null);
            }
        }
    }

    private async Task PersistProgressAsync(string rootId, string member, DeliveryProgress progress, CancellationToken cancellationToken)
    {
        var live = releases.Progress.Get(rootId);
        var percent = Math.Max(live?.Progress ?? 0, 100.0 * progress.DoneBytes / Math.Max(1, progress.TotalBytes));
        await releases.SaveProgressAsync(rootId, ReleaseState.Delivery, Math.Min(percent, 100), live?.Eta, cancellationToken).ConfigureAwait(false);
        if (member != rootId)
        {
            await releases.SaveProgressAsync(member, ReleaseState.Delivery, progress.PercentOf(member), null, cancellationToken).ConfigureAwait(false);
        }
    }
}
