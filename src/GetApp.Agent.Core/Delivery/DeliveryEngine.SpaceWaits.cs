using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Delivery;

/// <summary>Deliveries waiting for room on the disk: noted, watched, and started again once there is room (also after a restart).</summary>
public sealed partial class DeliveryEngine
{
    /// <summary>Space is back: the deliveries waiting for it are looked at at once, not at the next tick of the watch.</summary>
    private void OnSpaceChanged(bool full)
    {
        // Kept until a look uses it (one already under way may have read the disk before it came back).
        Volatile.Write(ref _diskBack, full ? 0 : 1);
        if (!full)
        {
            _ = StartSpaceWaitsDueAsync();
        }
    }

    internal void NoteSpaceWait(string catalogId, long? needed)
    {
        lock (_waitingForSpace)
        {
            var order = _waitingForSpace.TryGetValue(catalogId, out var known) ? known.Order : ++_waitOrder;
            _waitingForSpace[catalogId] = (needed, order);
        }
    }

    /// <summary>
    /// Looks every 2 s, while deliveries wait for space, whether there is room for them (<see cref="SpaceWaitRule"/>): a
    /// disk that was full, a delivery that needs more than came back, the disk monitor that starts out knowing nothing of
    /// a full disk after a restart, space freed while the agent was stopped. A statvfs when something waits; nothing else.
    /// </summary>
    private async Task WatchSpaceWaitsAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await StartSpaceWaitsDueAsync().ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromSeconds(2), timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task StartSpaceWaitsDueAsync()
    {
        // One look at a time: the monitor's event and the watch's tick must not both start the same delivery.
        if (Interlocked.Exchange(ref _checkingSpace, 1) == 1)
        {
            return;
        }

        try
        {
            SpaceWait[] waits;
            lock (_waitingForSpace)
            {
                if (_waitingForSpace.Count == 0)
                {
                    return;
                }

                waits = [.. _waitingForSpace.OrderBy(w => w.Value.Order).Select(w => new SpaceWait(w.Key, w.Value.Needed))];
            }

            var diskBack = Interlocked.Exchange(ref _diskBack, 0) == 1;
            foreach (var id in SpaceWaitRule.Due(waits, space.Available(), space.IsFull, diskBack))
            {
                await RestartAfterSpaceAsync(id).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _checkingSpace, 0);
        }
    }

    private async Task RestartAfterSpaceAsync(string catalogId)
    {
        try
        {
            // Only a delivery still in the Error it waits in: one a person started, cancelled or deleted meanwhile stays as
            // they left it. The wait is forgotten before the run is queued: should that run find too little room, it
            // records its wait anew.
            var result = await UnderControlAsync(async () =>
            {
                await ForgetSpaceWaitAsync(catalogId).ConfigureAwait(false);
                var release = await releases.FindAsync(catalogId, _stopping).ConfigureAwait(false);
                if (release is not null && DeliveryClosure.IsActive(release.Position) && !_roster.Keepers().Contains(catalogId))
                {
                    // Its failure could not be recorded (the disk was full to the last byte of the reserve): still in delivery
                    // in the database, with no run behind it. It goes on from its bytes, as it would after a restart.
                    Enqueue(catalogId);
                    return MoveResult.Moved(release);
                }

                if (release?.Position is not { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Error })
                {
                    return MoveResult.NotFound(catalogId);
                }

                var moved = await releases.MoveAsync(catalogId, ReleaseAction.StartDelivery, null, _stopping).ConfigureAwait(false);
                if (moved.Succeeded)
                {
                    Enqueue(catalogId);
                }

                return moved;
            }, _stopping).ConfigureAwait(false);
            if (result.Succeeded)
            {
                LogRestartedAfterSpace(catalogId);
            }
        }
#pragma warning disable CA1031 // From the watch: a failure is logged; a start by hand still works.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogAutoStartFailed(e);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>It is no longer waiting for space (started again, by itself or by a person, or cancelled): forgotten, also on disk.</summary>
    internal async Task ForgetSpaceWaitAsync(string catalogId)
    {
        lock (_waitingForSpace)
        {
            // The set mirrors the table (loaded from it at start, added to with it): nothing to forget, no write.
            if (!_waitingForSpace.Remove(catalogId))
            {
                return;
            }
        }

        try
        {
            await spaceWaits.RemoveAsync(catalogId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (DiskSpace.IsDiskFull(e))
        {
            // Left for the next start, which forgets a wait whose release is no longer in Error.
        }
    }
}
