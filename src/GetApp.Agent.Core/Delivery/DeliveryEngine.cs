using System.Collections.Concurrent;
using System.Threading.Channels;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Settings;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// The delivery engine's front: the control actions of the API (start, pause, resume, cancel, delete), a queue served by
/// <c>maxParallelDeliveries</c> workers (re-read on every dispatch, so a settings change applies at once), automatic
/// delivery of pushed (and, with <c>deliveryAutoTrigger</c>, offered) releases, and recovery after a restart.
/// </summary>
public sealed partial class DeliveryEngine(
    ReleaseService releases,
    DeliveryRunner runner,
    ArtifactDeliveryStore artifactStore,
    DataDirectory dataDirectory,
    LiveSettings settings,
    DiscoveryService discovery,
    DeliveryTelemetry telemetry,
    ILogger<DeliveryEngine> logger) : BackgroundService
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);

    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeliveryRun> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slotFreed = new(0);
    private CancellationToken _stopping = CancellationToken.None;

    /// <summary><c>offering</c>/<c>push</c>/<c>deleted</c>, or <c>delivery</c> with Error/Cancel → <c>delivery</c>, and queued.</summary>
    public async Task<MoveResult> StartDeliveryAsync(string catalogId, CancellationToken cancellationToken)
    {
        var result = await releases.MoveAsync(catalogId, ReleaseAction.StartDelivery, null, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            LogQueued(catalogId);
            Enqueue(catalogId);
        }

        return result;
    }

    /// <summary>Pauses the release (and the run delivering it); partial bytes stay on disk for the resume.</summary>
    public async Task<MoveResult> PauseDeliveryAsync(string catalogId, CancellationToken cancellationToken)
    {
        var result = await releases.MoveAsync(catalogId, ReleaseAction.PauseDelivery, null, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return result;
        }

        foreach (var member in await StopRunsCoveringAsync(catalogId, DeliveryStopReason.Pause).ConfigureAwait(false))
        {
            await releases.MoveAsync(member, ReleaseAction.PauseDelivery, null, CancellationToken.None).ConfigureAwait(false);
        }

        return await ReloadAsync(result, cancellationToken).ConfigureAwait(false);
    }

    public async Task<MoveResult> ResumeDeliveryAsync(string catalogId, CancellationToken cancellationToken)
    {
        var result = await releases.MoveAsync(catalogId, ReleaseAction.ResumeDelivery, null, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            Enqueue(catalogId);
        }

        return result;
    }

    /// <summary>Cancels the release (and the run delivering it) and discards its partial bytes.</summary>
    public async Task<MoveResult> CancelDeliveryAsync(string catalogId, CancellationToken cancellationToken)
    {
        var result = await releases.MoveAsync(catalogId, ReleaseAction.CancelDelivery, null, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return result;
        }

        foreach (var member in await StopRunsCoveringAsync(catalogId, DeliveryStopReason.Cancel).ConfigureAwait(false))
        {
            if ((await releases.MoveAsync(member, ReleaseAction.CancelDelivery, null, CancellationToken.None).ConfigureAwait(false)).Succeeded)
            {
                await DiscardPartialsAsync(member).ConfigureAwait(false);
            }
        }

        await DiscardPartialsAsync(catalogId).ConfigureAwait(false);
        LogCancelled(catalogId);
        return await ReloadAsync(result, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>downloaded</c>/<c>uninstalled</c> → <c>deleted</c>; its artifacts folder is removed.</summary>
    public async Task<MoveResult> DeleteDeliveryAsync(string catalogId, CancellationToken cancellationToken)
    {
        var result = await releases.MoveAsync(catalogId, ReleaseAction.DeleteDelivery, null, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            DeliveryRunner.DeleteQuietly(dataDirectory.ArtifactsDirOf(catalogId));
            await DiscardPartialsAsync(catalogId).ConfigureAwait(false);
            LogDeleted(catalogId);
        }

        return result;
    }

    /// <summary>Recovers after a restart (also after <c>kill -9</c>) before the API listens, then starts pushed releases.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var all = await releases.ListAsync(cancellationToken).ConfigureAwait(false);
        var active = all.Where(r => r.Position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Start or DeliveryStatus.InProgress }).ToList();
        var dependencies = active.SelectMany(r => r.Dependencies).ToHashSet(StringComparer.Ordinal);
        foreach (var release in active.Where(r => !dependencies.Contains(r.CatalogId)))
        {
            LogResuming(release.CatalogId);
            Enqueue(release.CatalogId);
        }

        // A cancel interrupted by a crash still discards its bytes.
        foreach (var release in all.Where(r => r.Position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Cancel }))
        {
            await DiscardPartialsAsync(release.CatalogId).ConfigureAwait(false);
        }

        discovery.Discovered += OnDiscovered;
        settings.Changed += OnSettingsChanged;
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
        await StartAutomaticAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        discovery.Discovered -= OnDiscovered;
        settings.Changed -= OnSettingsChanged;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(_running.Values.Select(r => r.Completion)).WaitAsync(StopWait, CancellationToken.None)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (_running.Count >= settings.Current.MaxParallelDeliveries)
                {
                    await _slotFreed.WaitAsync(stoppingToken).ConfigureAwait(false);
                }

                if (!_queue.Reader.TryRead(out var catalogId))
                {
                    continue;
                }

                lock (_queued)
                {
                    _queued.Remove(catalogId);
                }

                if (_running.TryGetValue(catalogId, out var finishing))
                {
                    // The previous run of this release is still letting go (it just failed, or was paused): go again after it.
                    _ = finishing.Completion.ContinueWith(_ => Enqueue(catalogId), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                    continue;
                }

                var run = new DeliveryRun(catalogId, stoppingToken);
                _running[catalogId] = run;
                run.Completion = Task.Run(() => RunAsync(run, stoppingToken), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunAsync(DeliveryRun run, CancellationToken stoppingToken)
    {
        try
        {
            await runner.RunAsync(run, stoppingToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One broken delivery must not stop the engine; it is logged and the release stays where it was.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // A bug must not leave the release looking busy forever: it ends in Error, and a start retries it.
            LogRunCrashed(run.RootId, e);
            telemetry.Failed(run.RootId, DeliveryFailureReason.Internal);
            foreach (var member in run.Members)
            {
                Task fail = releases.MoveAsync(member, ReleaseAction.FailDelivery, new ReleaseChange { ErrMsg = $"internal error: {e.Message}" }, CancellationToken.None);
                await fail.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            _running.TryRemove(run.RootId, out _);
            run.Dispose();
            _slotFreed.Release();
        }
    }

    private void Enqueue(string catalogId)
    {
        lock (_queued)
        {
            if (!_queued.Add(catalogId))
            {
                return;
            }
        }

        _queue.Writer.TryWrite(catalogId);
    }

    /// <summary>Stops every run delivering <paramref name="catalogId"/> and waits until it let go; returns the other members of those runs still in delivery.</summary>
    private async Task<IReadOnlyList<string>> StopRunsCoveringAsync(string catalogId, DeliveryStopReason reason)
    {
        var others = new List<string>();
        foreach (var run in _running.Values.Where(r => r.Members.Contains(catalogId)).ToList())
        {
            run.Stop(reason);
            await run.Completion.WaitAsync(StopWait, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            others.AddRange(run.Members.Where(m => m != catalogId));
        }

        var stillInDelivery = new List<string>();
        foreach (var id in others.Distinct(StringComparer.Ordinal))
        {
            if (await releases.FindAsync(id, CancellationToken.None).ConfigureAwait(false) is { State: ReleaseState.Delivery })
            {
                stillInDelivery.Add(id);
            }
        }

        return stillInDelivery;
    }

    private async Task DiscardPartialsAsync(string catalogId)
    {
        DeliveryRunner.DeleteQuietly(runner.PartialDirOf(catalogId));
        await artifactStore.DeleteAsync(catalogId, CancellationToken.None).ConfigureAwait(false);
        releases.Progress.Clear(catalogId);
    }

    private async Task<MoveResult> ReloadAsync(MoveResult result, CancellationToken cancellationToken) =>
        await releases.FindAsync(result.Release!.CatalogId, cancellationToken).ConfigureAwait(false) is { } now ? MoveResult.Moved(now) : result;

    private void OnDiscovered() => _ = StartAutomaticAsync(_stopping);

    private void OnSettingsChanged(AgentSettings current)
    {
        _slotFreed.Release();
        if (current.DeliveryAutoTrigger)
        {
            _ = StartAutomaticAsync(_stopping);
        }
    }

    /// <summary>Pushed releases are delivered without being asked; offered ones too with <c>deliveryAutoTrigger</c>.</summary>
    private async Task StartAutomaticAsync(CancellationToken cancellationToken)
    {
        try
        {
            var autoTrigger = settings.Current.DeliveryAutoTrigger;
            foreach (var release in await releases.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                if (release.State is ReleaseState.Push || (autoTrigger && release.State is ReleaseState.Offering))
                {
                    await StartDeliveryAsync(release.CatalogId, cancellationToken).ConfigureAwait(false);
                }
            }
        }
#pragma warning disable CA1031 // Fire-and-forget from an event: a failure is logged, the next discovery tries again.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogAutoStartFailed(e);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Delivery of {CatalogId} queued")]
    private partial void LogQueued(string catalogId);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Resuming the delivery of {CatalogId} after a restart")]
    private partial void LogResuming(string catalogId);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Delivery of {CatalogId} cancelled; partial bytes discarded")]
    private partial void LogCancelled(string catalogId);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Delivered artifacts of {CatalogId} deleted")]
    private partial void LogDeleted(string catalogId);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Error, Message = "Delivery run of {CatalogId} crashed")]
    private partial void LogRunCrashed(string catalogId, Exception exception);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "Starting pushed deliveries failed")]
    private partial void LogAutoStartFailed(Exception exception);
}
