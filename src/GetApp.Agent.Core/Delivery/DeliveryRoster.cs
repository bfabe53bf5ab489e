namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// The engine's books of roots: queued, waiting for their previous run to let go, or running. One lock over all three,
/// so a root moving from one to the next is never seen in none of them: whoever asks which roots are being delivered
/// (to decide what a stopped run's dependencies may keep doing) never misses one.
/// </summary>
internal sealed class DeliveryRoster
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deferred = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeliveryRun> _running = new(StringComparer.Ordinal);

    public int RunningCount
    {
        get
        {
            lock (_gate)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>Marks a root queued; false when it already is (it must not be written to the queue twice).</summary>
    public bool TryQueue(string catalogId)
    {
        lock (_gate)
        {
            return !_deferred.Contains(catalogId) && _queued.Add(catalogId);
        }
    }

    /// <summary>
    /// Takes a root off the queue: a new run (now counted as running), or null with the run it must wait for when a
    /// previous run of the same root is still letting go (the root then counts as deferred until <see cref="Undefer"/>).
    /// </summary>
    public DeliveryRun? Take(string catalogId, Func<DeliveryRun> create, out DeliveryRun? finishing)
    {
        lock (_gate)
        {
            _queued.Remove(catalogId);
            if (_running.TryGetValue(catalogId, out finishing))
            {
                _deferred.Add(catalogId);
                return null;
            }

            var run = create();
            _running[catalogId] = run;
            return run;
        }
    }

    /// <summary>A deferred root goes back to the queue (true: write it to the queue).</summary>
    public bool Undefer(string catalogId)
    {
        lock (_gate)
        {
            _deferred.Remove(catalogId);
            return _queued.Add(catalogId);
        }
    }

    public void Ended(DeliveryRun run)
    {
        lock (_gate)
        {
            if (_running.TryGetValue(run.RootId, out var current) && ReferenceEquals(current, run))
            {
                _running.Remove(run.RootId);
            }
        }
    }

    public IReadOnlyList<DeliveryRun> Runs()
    {
        lock (_gate)
        {
            return [.. _running.Values];
        }
    }

    /// <summary>The roots something will deliver: queued, deferred, or running and not asked to stop.</summary>
    public HashSet<string> Keepers()
    {
        lock (_gate)
        {
            var keepers = new HashSet<string>(_queued, StringComparer.Ordinal);
            keepers.UnionWith(_deferred);
            keepers.UnionWith(_running.Values.Where(r => r.StopReason == DeliveryStopReason.None).Select(r => r.RootId));
            return keepers;
        }
    }
}
