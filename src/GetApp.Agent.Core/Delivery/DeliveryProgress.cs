namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Bytes on disk over all artifacts of a closure, and an ETA from a smoothed rate. The downloader reports each artifact's
/// length as it grows (from any thread); a once-a-second sampler reads <see cref="Sample"/>. The percentage never goes
/// back, even when a server that ignores Range forces an artifact to start over.
/// </summary>
public sealed class DeliveryProgress
{
    private const double Smoothing = 0.3;

    private readonly Dictionary<string, long> _lengths = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _releaseOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _releaseTotals = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly long _total;
    private double _lastPercent;
    private long _lastDone = -1;
    private long _lastTicks;
    private double _rate;
    private bool _firstRate;

    /// <param name="artifacts">(catalog id, item key, expected size) of every artifact still to deliver.</param>
    public DeliveryProgress(IEnumerable<(string CatalogId, string ItemKey, long Size)> artifacts)
    {
        foreach (var (catalogId, itemKey, size) in artifacts)
        {
            var key = catalogId + "\n" + itemKey;
            _lengths[key] = 0;
            _releaseOf[key] = catalogId;
            _releaseTotals[catalogId] = _releaseTotals.GetValueOrDefault(catalogId) + size;
            _total += size;
        }
    }

    public long TotalBytes => _total;

    public void Report(string catalogId, string itemKey, long length)
    {
        lock (_gate)
        {
            _lengths[catalogId + "\n" + itemKey] = length;
        }
    }

    /// <summary>Counts an artifact as fully done (delivered, or already present).</summary>
    public void Complete(string catalogId, string itemKey, long size) => Report(catalogId, itemKey, size);

    public long DoneBytes
    {
        get
        {
            lock (_gate)
            {
                return Math.Min(_lengths.Values.Sum(), _total);
            }
        }
    }

    /// <summary>Percentage of one release of the closure.</summary>
    public double PercentOf(string catalogId)
    {
        lock (_gate)
        {
            var total = _releaseTotals.GetValueOrDefault(catalogId);
            if (total <= 0)
            {
                return 0;
            }

            var done = _lengths.Where(kv => _releaseOf[kv.Key] == catalogId).Sum(kv => kv.Value);
            return Math.Clamp(100.0 * done / total, 0, 100);
        }
    }

    /// <summary>Takes a sample at <paramref name="timestampTicks"/> (TimeProvider timestamps): the closure's percentage and ETA in seconds (null until a rate is known).</summary>
    public (double Percent, long? Eta) Sample(long timestampTicks, long ticksPerSecond)
    {
        var done = DoneBytes;
        lock (_gate)
        {
            var percent = _total <= 0 ? 100 : Math.Clamp(100.0 * done / _total, 0, 100);
            _lastPercent = Math.Max(_lastPercent, percent);
            if (_lastDone >= 0)
            {
                var seconds = (double)(timestampTicks - _lastTicks) / ticksPerSecond;
                if (seconds > 0)
                {
                    var instant = Math.Max(0, done - _lastDone) / seconds;
                    // The first window measured usually began before the bytes did (preparing, connecting), so its
                    // rate is too low: the next window replaces it instead of being blended with it.
                    var blend = _rate > 0 && !_firstRate;
                    _firstRate = _rate <= 0;
                    _rate = blend ? (Smoothing * instant) + ((1 - Smoothing) * _rate) : instant;
                }
            }

            _lastDone = done;
            _lastTicks = timestampTicks;
            long? eta = _rate > 0 ? (long)Math.Ceiling(Math.Max(0, _total - done) / _rate) : null;
            return (_lastPercent, eta);
        }
    }
}
