using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Delivery;

/// <summary>The delivery of one release's artifacts: each downloaded (resumed, retried), verified, and moved into place.</summary>
public sealed partial class DeliveryRunner
{
    private async Task DeliverReleaseAsync(string catalogId, bool isRoot, IReadOnlyList<PreparedArtifact> artifacts, DeliveryProgress progress, CancellationToken cancellationToken)
    {
        var gate = _releaseLocks.GetOrAdd(catalogId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var release = await releases.FindAsync(catalogId, cancellationToken).ConfigureAwait(false);
            if (release is not null && !isRoot && release.Position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Error })
            {
                // It failed in another root's run while this one waited: this root fails for the same reason (a start retries).
                throw new ReleaseDeliveryFailedException(catalogId, release.ErrMsg ?? "its delivery failed", DeliveryFailureReason.Other);
            }

            if (release is not null && !isRoot && DeliveryClosure.IsDelivered(release))
            {
                // Another delivery brought it while this one waited.
                foreach (var artifact in artifacts)
                {
                    progress.Complete(catalogId, artifact.Spec.ItemKey, artifact.Spec.Size ?? 0);
                }

                return;
            }

            if (!isRoot)
            {
                await MoveAsync(catalogId, ReleaseAction.BeginDownload, null, cancellationToken).ConfigureAwait(false);
            }

            var started = timeProvider.GetTimestamp();
            var names = ArtifactFiles.Plan(artifacts.Select(a => a.Spec).ToList());
            var partialDir = PartialDirOf(catalogId);
            var artsDir = dataDirectory.ArtifactsDirOf(catalogId);
            var results = new List<(PreparedArtifact Artifact, string Partial, DownloadOutcome Outcome, string? Problem, DeliveryFailureReason Reason)>();
            var current = artifacts.ToList();
            for (var i = 0; i < current.Count; i++)
            {
                var fileName = names[current[i].Spec.ItemKey];
                var partial = Path.Combine(partialDir, fileName + ".part");
                TakeBackMovedFile(Path.Combine(artsDir, fileName), partial, current[i].Spec.Size);
                var (artifact, outcome) = await DownloadWithRetriesAsync(catalogId, current[i], fileName, partial, progress, cancellationToken).ConfigureAwait(false);
                var (problem, signatureProblem) = Verify(artifact, outcome);
                if (signatureProblem is not null && !string.IsNullOrWhiteSpace(artifact.Spec.Signature))
                {
                    // As the reference agent does, a file whose signature fails is fetched once more from zero before the
                    // delivery fails: bytes damaged on the way (or a resumed file whose start came from elsewhere) get a
                    // clean second chance. A wrong size or hash fails at once, as documented; a missing signature too.
                    LogSignatureRetry(catalogId, artifact.Spec.ItemKey, signatureProblem);
                    DeleteQuietly(partial);
                    await artifactStore.ClearValidatorAsync(catalogId, artifact.Spec.ItemKey, CancellationToken.None).ConfigureAwait(false);
                    (artifact, outcome) = await DownloadWithRetriesAsync(catalogId, artifact, fileName, partial, progress, cancellationToken).ConfigureAwait(false);
                    (problem, signatureProblem) = Verify(artifact, outcome);
                }

                current[i] = artifact;
                results.Add((artifact, partial, outcome, problem ?? signatureProblem, problem is null ? DeliveryFailureReason.Signature : DeliveryFailureReason.Integrity));
            }

            await MoveAsync(catalogId, ReleaseAction.BeginValidation, null, cancellationToken).ConfigureAwait(false);
            foreach (var (_, _, _, problem, reason) in results)
            {
                if (problem is not null)
                {
                    // Corrupt or truncated bytes are never kept, let alone moved into artsDirPath.
                    DeleteQuietly(partialDir);
                    await artifactStore.DeleteAsync(catalogId, CancellationToken.None).ConfigureAwait(false);
                    throw new ReleaseDeliveryFailedException(catalogId, problem, reason);
                }
            }

            Directory.CreateDirectory(artsDir);
            foreach (var (artifact, partial, _, _, _) in results)
            {
                // The partial file was fsynced when its last byte was written; the rename is atomic within the data dir.
                File.Move(partial, Path.Combine(artsDir, names[artifact.Spec.ItemKey]), overwrite: true);
            }

            // ...and durable once the folder is (and its own entry, if it was just created): only then may the database
            // say the files are in artsDirPath.
            DirectorySync.Sync(artsDir);
            DirectorySync.Sync(Path.GetDirectoryName(artsDir)!);

            DeleteQuietly(partialDir);
            await artifactStore.DeleteAsync(catalogId, CancellationToken.None).ConfigureAwait(false);
            var seconds = (int)Math.Round(timeProvider.GetElapsedTime(started).TotalSeconds);
            if (isRoot)
            {
                await PersistProgressAsync(catalogId, catalogId, progress, CancellationToken.None).ConfigureAwait(false);
            }

            // The list the file names were planned from is stored with the release: deploy derives the same names from it.
            var delivered = new ReleaseChange { DownloadDuration = seconds, ArtsDirPath = artsDir, Artifacts = artifacts.Select(a => a.Spec.AtRest()).ToList() };
            await MoveAsync(catalogId, ReleaseAction.CompleteDelivery, delivered, CancellationToken.None).ConfigureAwait(false);
            LogReleaseDelivered(catalogId, results.Sum(r => r.Outcome.Length), seconds, artsDir);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// A <c>kill -9</c> (or power cut) while the validated files were being moved into artsDirPath leaves some of them
    /// there and the release still in delivery. Such a file, whole (the expected size) and without a partial file beside
    /// it, goes back to being the partial file, complete: the download finds nothing left to fetch and the bytes are
    /// hashed and validated again, instead of being fetched a second time. Called under the release's lock, so no other
    /// run is moving this release's files.
    /// </summary>
    private static void TakeBackMovedFile(string final, string partial, long? expectedSize)
    {
        if (expectedSize is not { } size || File.Exists(partial) || !File.Exists(final) || new FileInfo(final).Length != size)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        File.Move(final, partial);
    }

    /// <summary>Size and hash first; the signature only of intact bytes, so that the two kinds of failure can be told apart.</summary>
    private (string? Integrity, string? Signature) Verify(PreparedArtifact artifact, DownloadOutcome outcome) =>
        DeliveryValidator.Check(artifact.Spec, outcome.Length, outcome.Sha256) is { } problem
            ? (problem, null)
            : (null, signatures.Check(artifact.Spec, outcome.Sha256));

    private async Task<(PreparedArtifact Artifact, DownloadOutcome Outcome)> DownloadWithRetriesAsync(
        string catalogId, PreparedArtifact artifact, string fileName, string partial, DeliveryProgress progress, CancellationToken cancellationToken)
    {
        var itemKey = artifact.Spec.ItemKey;
        var failures = 0;
        var reprepares = 0;
        var validator = await artifactStore.FindValidatorAsync(catalogId, itemKey, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            ThrowIfDiskFull();
            var current = settings.Current;
            var lengthBefore = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            var lastLength = lengthBefore;
            var observer = new DownloadObserver(
                length =>
                {
                    if (length > lastLength)
                    {
                        telemetry.Downloaded(length - lastLength);
                    }

                    lastLength = length;
                    progress.Report(catalogId, itemKey, length);
                },
                v => validator = v);
            try
            {
                await artifactStore.SaveAsync(catalogId, itemKey, fileName, artifact.Source.ToString(), artifact.Spec.Size, lengthBefore, null, "download", cancellationToken).ConfigureAwait(false);
                var request = new DownloadRequest(itemKey, artifact.Source, artifact.Spec.Size, partial, validator);
                var outcome = await downloader.DownloadAsync(request, observer, TimeSpan.FromSeconds(current.StallTimeoutSecs), cancellationToken).ConfigureAwait(false);
                await artifactStore.SaveAsync(catalogId, itemKey, fileName, artifact.Source.ToString(), artifact.Spec.Size, outcome.Length, validator, "downloaded", CancellationToken.None).ConfigureAwait(false);
                return (artifact, outcome);
            }
            catch (SourceExpiredException expired)
            {
                if (++reprepares > MaxReprepares)
                {
                    throw new ReleaseDeliveryFailedException(catalogId, $"artifact '{itemKey}': {expired.Message}, still after preparing the release again {MaxReprepares} times",
                        DeliveryFailureReason.ExpiredUrl);
                }

                LogSourceExpired(catalogId, itemKey);
                telemetry.Retrying(DeliveryFailureReason.ExpiredUrl);
                var fresh = await PrepareAsync(catalogId, cancellationToken).ConfigureAwait(false);
                artifact = fresh.FirstOrDefault(a => a.Spec.ItemKey == itemKey)
                    ?? throw new ReleaseDeliveryFailedException(catalogId, $"artifact '{itemKey}' is no longer part of the prepared release", DeliveryFailureReason.Prepare);
            }
            catch (DeliveryException e) when (e.Retriable)
            {
                await SaveLengthAsync(catalogId, itemKey, fileName, artifact, lastLength, validator).ConfigureAwait(false);
                // An attempt that moved the file forward is not a failure to count: a flaky link still finishes.
                if (lastLength <= lengthBefore)
                {
                    failures++;
                }

                if (failures > current.DownloadRetryCount)
                {
                    throw new ReleaseDeliveryFailedException(catalogId, $"artifact '{itemKey}': {e.Message} (gave up after {current.DownloadRetryCount} retries)", e.Reason);
                }

                var delay = RetryBackoff.WithRetryAfter(
                    RetryBackoff.Delay(current.DeliveryRetryDelaySecs, Math.Max(1, failures), Random.Shared.NextDouble()), e.RetryAfter);
                LogRetrying(catalogId, itemKey, e.Message, delay.TotalSeconds);
                telemetry.Retrying(e.Reason);
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (NotEnoughSpaceException e)
            {
                // The bytes received are good: kept for a start once there is room.
                throw new ReleaseDeliveryFailedException(catalogId, $"artifact '{itemKey}': {e.Message}", DeliveryFailureReason.Space) { WaitsForSpace = true };
            }
            catch (DeliveryException e) when (!DiskSpace.IsDiskFull(e))
            {
                DeleteQuietly(partial);
                await artifactStore.ClearValidatorAsync(catalogId, itemKey, CancellationToken.None).ConfigureAwait(false);
                throw new ReleaseDeliveryFailedException(catalogId, $"artifact '{itemKey}': {e.Message}", e.Reason);
            }
            catch (OperationCanceledException)
            {
                await SaveLengthAsync(catalogId, itemKey, fileName, artifact, lastLength, validator).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>No attempt starts while the disk is full: the room freed for the agent's records is not for downloads.</summary>
    private void ThrowIfDiskFull()
    {
        if (space.IsFull)
        {
            throw new IOException("no download starts while it is", DiskSpace.NoSpaceErrno);
        }
    }

    private Task SaveLengthAsync(string catalogId, string itemKey, string fileName, PreparedArtifact artifact, long length, string? validator) =>
        artifactStore.SaveAsync(catalogId, itemKey, fileName, artifact.Source.ToString(), artifact.Spec.Size, length, validator, "download", CancellationToken.None);
}
