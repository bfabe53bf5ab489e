namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Bytes on disk over all artifacts of a closure, and an ETA from the rate over a sliding window. The downloader reports
/// each artifact's length as it grows (from any thread); a periodic sampler reads <see cref="Sample"/>. The percentage
/// never goes back, even when a server that ignores Range forces an artifact to start over.
/// </summary>
/// <remarks>
/// The rate is bytes over the last <see cref="RateWindowSeconds"/> (as curl's current speed), measured only from the first
/// sample at which bytes had moved, and trusted once it spans <see cref="MinimumSpanSeconds"/>: a short window or one that
/// includes connecting reads a rate several times too low and the ETA jumps (one busy half second made 4 s read as 39 s).
/// </remarks>
public sealed class DeliveryProgress
{
    private const double RateWindowSeconds = 5;
    private const double MinimumSpanSeconds = 1;

    private readonly Dictionary<string, long> _lengths = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _releaseOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _releaseTotals = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly long _total;
    private readonly List<(long Ticks, long Done)> _window = [];
    private double _lastPercent;
    private long? _startDone;
    private long _lastDone;

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

    /// <summary>The rate measured by the last <see cref="Sample"/> in bytes per second (0 while unknown).</summary>
    public double BytesPerSecond { get; private set; }

    /// <summary>The percentage a resumed delivery had reached: samples never show less.</summary>
    public void StartAtLeast(double percent)
    {
        lock (_gate)
        {
            _lastPercent = Math.Max(_lastPercent, Math.Clamp(percent, 0, 100));
        }
    }

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
            var rate = MeasureRate(timestampTicks, ticksPerSecond, done);
            BytesPerSecond = rate;
            long? eta = rate > 0 ? (long)Math.Ceiling(Math.Max(0, _total - done) / rate) : null;
            return (_lastPercent, eta);
        }
    }

    /// <summary>Bytes per second over the window, or 0 while unknown.</summary>
    private double MeasureRate(long timestampTicks, long ticksPerSecond, long done)
    {
        if (_startDone is null || done < _lastDone)
        {
            // First sample, or an artifact started over: what was measured no longer adds up; measure again once bytes move.
            _window.Clear();
            _startDone = done;
        }

        _lastDone = done;

        if (_window.Count == 0 && done == _startDone)
        {
            return 0; // nothing has moved yet: the window begins with the bytes, not with connecting
        }

        _window.Add((timestampTicks, done));
        var windowTicks = (long)(RateWindowSeconds * ticksPerSecond);
        while (_window.Count > 2 && timestampTicks - _window[1].Ticks >= windowTicks)
        {
            _window.RemoveAt(0);
        }

        var (startTicks, startDone) = _window[0];
        var seconds = (double)(timestampTicks - startTicks) / ticksPerSecond;
        return seconds >= MinimumSpanSeconds ? (done - startDone) / seconds : 0;
    }
}
