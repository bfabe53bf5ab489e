using System.Collections.Concurrent;
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
