using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Runs the delivery of one root: its closure leaf → root, each release through prepare → download → validation → done.
/// The root's position and progress describe the whole closure; a failing dependency fails the root with its name.
/// </summary>
public sealed partial class DeliveryRunner(
    ReleaseService releases,
    IUpstream upstream,
    ArtifactDownloader downloader,
    CosignVerifier signatures,
    ArtifactDeliveryStore artifactStore,
    SpaceWaitStore spaceWaits,
    DataDirectory dataDirectory,
    LiveSettings settings,
    DiskSpace space,
    DeliveryTelemetry telemetry,
    TimeProvider timeProvider,
    ILogger<DeliveryRunner> logger)
{
    private static readonly TimeSpan PublishInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan PersistInterval = TimeSpan.FromSeconds(2);
    private const int MaxReprepares = 3;

    // Two roots sharing a dependency never download it twice: the second waits, then sees it delivered.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _releaseLocks = new(StringComparer.Ordinal);

    /// <summary>The partial files of a release: kept across restarts so downloads resume.</summary>
    public string PartialDirOf(string catalogId) => Path.Combine(dataDirectory.PartialDir, FileSafeName.From(catalogId));

    public async Task RunAsync(DeliveryRun run, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(run);
        var token = run.Token;
        var root = await releases.FindAsync(run.RootId, token).ConfigureAwait(false);
        if (root?.Position is not { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Start or DeliveryStatus.InProgress })
        {
            return;
        }

        var current = run.RootId;
        var limit = TimeSpan.FromMinutes(settings.Current.DeliveryTimeoutMins);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(limit);
        DeliveryProgress? progress = null;
        var plans = new List<(ReleaseRecord Release, IReadOnlyList<PreparedArtifact> Artifacts)>();
        using var publisherStop = new CancellationTokenSource();
        Task publisher = Task.CompletedTask;
        try
        {
            ThrowIfDiskFull();
            var all = (await releases.ListAsync(token).ConfigureAwait(false)).ToDictionary(r => r.CatalogId, StringComparer.Ordinal);
            var closure = DeliveryClosure.Resolve(run.RootId, all);
            run.Members = closure.Select(r => r.CatalogId).ToList();
            foreach (var member in closure.Where(m => m.CatalogId != run.RootId))
            {
                current = member.CatalogId;
                await BringIntoDeliveryAsync(member, token).ConfigureAwait(false);
            }

            foreach (var member in closure)
            {
                current = member.CatalogId;
                plans.Add((member, await PrepareAsync(member.CatalogId, timeout.Token).ConfigureAwait(false)));
            }

            current = run.RootId;
            CheckFreeSpace(run.RootId, plans);
            progress = new DeliveryProgress(plans.SelectMany(p => p.Artifacts.Select(a => (p.Release.CatalogId, a.Spec.ItemKey, a.Spec.Size ?? 0))));
            SeedProgress(progress, plans, root);
            await MoveAsync(run.RootId, ReleaseAction.BeginDownload, null, token).ConfigureAwait(false);
            LogDeliveryStarted(run.RootId, closure.Count, progress.TotalBytes);
            publisher = PublishProgressAsync(run.RootId, () => current, progress, publisherStop.Token);
            foreach (var (member, artifacts) in plans)
            {
                current = member.CatalogId;
                await DeliverReleaseAsync(member.CatalogId, member.CatalogId == run.RootId, artifacts, progress, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (ReleaseDeliveryFailedException failure) when (failure.WaitsForSpace)
        {
            // Too little room for the rest of the download (the check before it, or the room an attempt reserves): not a
            // failure for good. It waits for what it still needs, counted now (the bytes kept are not needed again).
            var needed = SpaceWaitRule.Threshold(RestOf(plans) ?? long.MaxValue, settings.Current.DeliveryStorageBufferBytes);
            run.DiskFull = true;
            run.SpaceNeeded = needed;
            await RecordSpaceWaitAsync(run.RootId, needed).ConfigureAwait(false);
            LogWaitingForSpace(run.RootId, needed, space.Available());
            await FailAsync(run.RootId, failure.CatalogId,
                $"{failure.Message}; waiting for space: the delivery starts again by itself, from the bytes it kept, once {needed} bytes are free in {dataDirectory.Root} (cancel it to stop waiting)",
                failure.Reason).ConfigureAwait(false);
        }
        catch (ReleaseDeliveryFailedException failure)
        {
            await FailAsync(run.RootId, failure.CatalogId, failure.Message, failure.Reason).ConfigureAwait(false);
        }
        catch (Exception e) when (DiskSpace.IsDiskFull(e))
        {
            // The disk is full (our partial file, the database, or someone else): the reserve is given back so this can be
            // recorded; the bytes received are kept for the resume the engine starts once space returns.
            space.Exhausted();
            run.DiskFull = true;
            await RecordSpaceWaitAsync(run.RootId, null).ConfigureAwait(false);
            var message = $"the disk is full ({space.Available()} bytes free in {dataDirectory.Root}): {e.Message}; the bytes received so far are kept, and the delivery starts again by itself once space is freed";
            try
            {
                await FailAsync(run.RootId, current, message, DeliveryFailureReason.Space).ConfigureAwait(false);
            }
            catch (Exception recording) when (DiskSpace.IsDiskFull(recording))
            {
                // Not even the reserve was left to record it. The engine keeps the wait (run.DiskFull) and, once space is
                // back, the delivery goes on from its bytes though it still shows in delivery (DeliveryEngine.RestartAfterSpaceAsync).
                LogFailureNotRecorded(run.RootId, space.Available());
                run.Abandoned = message;
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
        {
            await FailAsync(run.RootId, current, $"the delivery timed out after {limit.TotalMinutes:0} min (deliveryTimeoutMins)", DeliveryFailureReason.Timeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Paused, cancelled or shutting down: the engine decides what happens to the state and files.
        }
        catch (DeliveryStoppedException stopped)
        {
            // Another party moved a release this run needed: the engine records why on the root (it must not look busy).
            LogDeliveryStopped(run.RootId, stopped.Message);
            run.Abandoned = stopped.Message;
        }
        finally
        {
            await publisherStop.CancelAsync().ConfigureAwait(false);
            await publisher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (progress is not null)
            {
                try
                {
                    await PersistProgressAsync(run.RootId, current, progress, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (DiskSpace.IsDiskFull(e))
                {
                    // Progress is a hint; the bytes on disk are the truth a resume starts from.
                }
            }

            foreach (var member in run.Members)
            {
                releases.Progress.Clear(member);
            }
        }
    }

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

    private async Task BringIntoDeliveryAsync(ReleaseRecord member, CancellationToken cancellationToken)
    {
        var action = member.Position switch
        {
            { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Start or DeliveryStatus.InProgress } => (ReleaseAction?)null,
            { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Pause } => ReleaseAction.ResumeDelivery,
            _ => ReleaseAction.StartDelivery,
        };
        if (action is { } a)
        {
            await MoveAsync(member.CatalogId, a, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Asks the upstream where the artifacts are, polling while it is still preparing (a GetApp server may take a while).</summary>
    private async Task<IReadOnlyList<PreparedArtifact>> PrepareAsync(string catalogId, CancellationToken cancellationToken)
    {
        while (true)
        {
            PreparedDelivery prepared;
            try
            {
                prepared = await upstream.PrepareDeliveryAsync(catalogId, cancellationToken).ConfigureAwait(false);
            }
            catch (UpstreamException e)
            {
                throw new ReleaseDeliveryFailedException(catalogId, $"prepare failed: {e.Message}", DeliveryFailureReason.Prepare);
            }

            switch (prepared.Status)
            {
                case PrepareStatus.Done:
                    foreach (var artifact in prepared.Artifacts)
                    {
                        if (DeliverySources.Check(artifact.Source) is { } problem)
                        {
                            throw new ReleaseDeliveryFailedException(catalogId, $"artifact '{artifact.Spec.ItemKey}': {problem}", DeliveryFailureReason.Source);
                        }
                    }

                    return prepared.Artifacts;
                case PrepareStatus.Error:
                    throw new ReleaseDeliveryFailedException(catalogId, $"prepare failed: {prepared.Error ?? "the upstream could not prepare the release"}", DeliveryFailureReason.Prepare);
                default:
                    await Task.Delay(TimeSpan.FromSeconds(settings.Current.QueryStatusIntervalSec), timeProvider, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

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

    private async Task FailAsync(string rootId, string failedId, string message, DeliveryFailureReason reason)
    {
        LogDeliveryFailed(failedId, message);
        telemetry.Failed(failedId, reason);
        if (failedId != rootId)
        {
            telemetry.Failed(rootId, reason, countAgain: false);
        }

        await releases.MoveAsync(failedId, ReleaseAction.FailDelivery, new ReleaseChange { ErrMsg = message }, CancellationToken.None).ConfigureAwait(false);
        if (failedId != rootId)
        {
            await releases.MoveAsync(rootId, ReleaseAction.FailDelivery, new ReleaseChange { ErrMsg = $"dependency '{failedId}' failed: {message}" }, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task MoveAsync(string catalogId, ReleaseAction action, ReleaseChange? change, CancellationToken cancellationToken)
    {
        var result = await releases.MoveAsync(catalogId, action, change, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // After a crash during validation the release is already past these steps; its bytes are checked again anyway.
            var alreadyPast = action is ReleaseAction.BeginDownload or ReleaseAction.BeginValidation
                && result.Release?.Position is { State: ReleaseState.Delivery, DeliveryState: DeliveryState.Validation, DeliveryStatus: DeliveryStatus.InProgress };
            if (!alreadyPast)
            {
                throw new DeliveryStoppedException(result.Message);
            }
        }
    }

    internal static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Delivery of {CatalogId}: {Count} release(s), {Bytes} bytes to fetch")]
    private partial void LogDeliveryStarted(string catalogId, int count, long bytes);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Delivered {CatalogId}: {Bytes} bytes in {Seconds} s into {ArtsDir}")]
    private partial void LogReleaseDelivered(string catalogId, long bytes, int seconds, string artsDir);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Delivery of {CatalogId} failed: {Reason}")]
    private partial void LogDeliveryFailed(string catalogId, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Download of {CatalogId} / {ItemKey} failed: {Reason}; retrying in {DelaySecs:0.#} s")]
    private partial void LogRetrying(string catalogId, string itemKey, string reason, double delaySecs);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "The URL of {CatalogId} / {ItemKey} expired (403); preparing the release again")]
    private partial void LogSourceExpired(string catalogId, string itemKey);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Delivery of {CatalogId} stopped: {Reason}")]
    private partial void LogDeliveryStopped(string catalogId, string reason);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Download of {CatalogId} / {ItemKey} failed its signature check ({Reason}); downloading it once more")]
    private partial void LogSignatureRetry(string catalogId, string itemKey, string reason);
}
