using GetApp.Agent.Core.Releases;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Stopping deliveries, and what a stopped run leaves behind. The rules (docs/delivery.md, "Lifecycle"):
/// <list type="bullet">
/// <item>Pausing or cancelling a release pauses or cancels every release being delivered that cannot finish without it (the
/// roots that need it), and stops the runs delivering any of them.</item>
/// <item>What those runs brought into delivery follows them, unless a root still being delivered needs it: cancelling R1
/// never cancels a dependency R2 still needs; R2's run goes on with it, from the bytes on disk.</item>
/// <item>No release is left looking busy (<c>delivery</c> with Start or InProgress) without a run that will deliver it:
/// a root whose run ended on its own ends in Error with the reason, and so does anything only it needed.</item>
/// </list>
/// Everything here runs under the control lock.
/// </summary>
public sealed partial class DeliveryEngine
{
    private async Task<MoveResult> StopDeliveryAsync(string catalogId, ReleaseAction action, DeliveryStopReason reason, CancellationToken cancellationToken)
    {
        var result = await releases.MoveAsync(catalogId, action, null, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return result;
        }

        // From here on the move is committed: the rest must happen whatever the client does.
        var byId = await ByIdAsync().ConfigureAwait(false);
        var stopped = new HashSet<string>(StringComparer.Ordinal) { catalogId };
        foreach (var dependent in byId.Values.Where(r => r.CatalogId != catalogId && DeliveryClosure.IsActive(r)
                     && DeliveryClosure.Needs([r.CatalogId], byId).Contains(catalogId)))
        {
            if ((await releases.MoveAsync(dependent.CatalogId, action, null, CancellationToken.None).ConfigureAwait(false)).Succeeded)
            {
                stopped.Add(dependent.CatalogId);
            }
        }

        // The runs delivering any of them let go of their files before anything else is decided.
        foreach (var run in _roster.Runs().Where(r => stopped.Contains(r.RootId) || r.Members.Any(stopped.Contains)))
        {
            if (run.Stop(reason))
            {
                await run.Completion.WaitAsync(StopWait, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        // What they brought into delivery follows them, unless a root still being delivered needs it.
        byId = await ByIdAsync().ConfigureAwait(false);
        var stillNeeded = DeliveryClosure.Needs(ActiveKeepers(byId), byId);
        foreach (var member in DeliveryClosure.Needs(stopped, byId).Where(id => !stopped.Contains(id) && !stillNeeded.Contains(id)))
        {
            if (byId[member].State == ReleaseState.Delivery
                && (await releases.MoveAsync(member, action, null, CancellationToken.None).ConfigureAwait(false)).Succeeded)
            {
                stopped.Add(member);
            }
        }

        if (reason == DeliveryStopReason.Cancel)
        {
            foreach (var id in stopped)
            {
                // A delivery waiting for space waits no more once cancelled.
                await ForgetSpaceWaitAsync(id).ConfigureAwait(false);
                await DiscardPartialsAsync(id).ConfigureAwait(false);
            }

            LogCancelled(catalogId);
        }

        await FailOrphansAsync(null, null).ConfigureAwait(false);
        return await releases.FindAsync(catalogId, CancellationToken.None).ConfigureAwait(false) is { } now ? MoveResult.Moved(now) : result;
    }

    /// <summary>A run ended without being asked to stop: if its root was not delivered (or failed), it ends in Error with the reason.</summary>
    private async Task SettleAfterRunAsync(DeliveryRun run)
    {
        try
        {
            await _control.WaitAsync(_stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            var reason = run.Abandoned ?? "its run ended before it was delivered";
            await FailOrphansAsync(run.RootId, reason).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Settling is best effort after the fact; a failure is logged and the next settle tries again.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogSettleFailed(run.RootId, e);
        }
        finally
        {
            _control.Release();
        }
    }

    /// <summary>
    /// The safety net: every release in delivery with Start or InProgress that no queued or running root will deliver ends
    /// in Error (a start retries it), so nothing ever looks busy with no run behind it.
    /// </summary>
    private async Task FailOrphansAsync(string? endedRoot, string? endedReason)
    {
        var byId = await ByIdAsync().ConfigureAwait(false);
        var needed = DeliveryClosure.Needs(ActiveKeepers(byId), byId);
        foreach (var orphan in byId.Values.Where(r => DeliveryClosure.IsActive(r) && !needed.Contains(r.CatalogId)))
        {
            var message = orphan.CatalogId == endedRoot
                ? $"the delivery stopped: {endedReason}; start it again to retry"
                : "its delivery stopped before it was finished, and nothing being delivered needs it now; start it to deliver it";
            var failed = await releases.MoveAsync(orphan.CatalogId, ReleaseAction.FailDelivery, new ReleaseChange { ErrMsg = message }, CancellationToken.None).ConfigureAwait(false);
            if (failed.Succeeded)
            {
                LogOrphanFailed(orphan.CatalogId, message);
            }
        }
    }

    /// <summary>The roots queued or running that are still in delivery: what they need must be left alone.</summary>
    private HashSet<string> ActiveKeepers(IReadOnlyDictionary<string, ReleaseRecord> byId)
    {
        var keepers = _roster.Keepers();
        keepers.RemoveWhere(id => !byId.TryGetValue(id, out var r) || !DeliveryClosure.IsActive(r));
        return keepers;
    }

    private async Task<Dictionary<string, ReleaseRecord>> ByIdAsync() =>
        (await releases.ListAsync(CancellationToken.None).ConfigureAwait(false)).ToDictionary(r => r.CatalogId, StringComparer.Ordinal);

    [LoggerMessage(EventId = 2050, Level = LogLevel.Warning, Message = "Delivery of {CatalogId} left without a run: {Reason}")]
    private partial void LogOrphanFailed(string catalogId, string reason);

    [LoggerMessage(EventId = 2051, Level = LogLevel.Error, Message = "Settling after the delivery run of {CatalogId} failed")]
    private partial void LogSettleFailed(string catalogId, Exception exception);
}
