using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace GetApp.Agent.Core.Metrics;

/// <summary>
/// Listens to the agent's instruments and ASP.NET Core's request durations (only those of this agent's container: the
/// meter's scope is its <see cref="IMeterFactory"/>), keeps a running aggregate per label set (sums for counters, last
/// values for gauges, buckets for histograms) and writes them in the Prometheus text format. Recording is a dictionary
/// lookup and an add; nothing is kept per measurement.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    /// <summary>ASP.NET Core's request duration histogram, and the only labels of it worth a series each.</summary>
    private const string RequestDuration = "http.server.request.duration";

    private static readonly HashSet<string> RequestDurationTags = new(StringComparer.Ordinal) { "http.request.method", "http.route", "http.response.status_code" };

    /// <summary>Seconds: from a fast API answer to a long event stream.</summary>
    private static readonly double[] DurationBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Family> _families = new();
    private readonly AgentGauges _gauges;
    private readonly SemaphoreSlim _collecting = new(1, 1);

    public MetricsCollector(IMeterFactory meterFactory, AgentMetrics metrics, AgentGauges gauges)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _gauges = gauges;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            var ours = instrument.Meter.Name == AgentMetrics.MeterName
                || (instrument.Meter.Name == "Microsoft.AspNetCore.Hosting" && instrument.Name == RequestDuration);
            if (ours && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                _families[instrument] = new Family(instrument, instrument.Name == RequestDuration ? RequestDurationTags : null);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
        metrics.RecordZeros();
    }

    /// <summary>Refreshes the gauges and renders every family, sorted by name.</summary>
    public async Task<string> CollectAsync(CancellationToken cancellationToken)
    {
        await _collecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _gauges.RefreshAsync(cancellationToken).ConfigureAwait(false);
            foreach (var family in _families.Values.Where(f => f.IsObservable))
            {
                family.Clear(); // a label set that is gone (no release in that state any more) must not linger
            }

            _listener.RecordObservableInstruments();
            var writer = new PrometheusTextWriter();
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                family.WriteTo(writer);
            }

            return writer.ToString();
        }
        finally
        {
            _collecting.Release();
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_families.TryGetValue(instrument, out var family))
        {
            family.Record(value, tags);
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _collecting.Dispose();
    }

    /// <summary>One instrument: its Prometheus name and type, and a series per label set.</summary>
    private sealed class Family
    {
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
        private readonly HashSet<string>? _keptTags;
        private readonly string _type;
        private readonly string? _help;

        public Family(Instrument instrument, HashSet<string>? keptTags)
        {
            _keptTags = keptTags;
            _help = instrument.Description;
            IsObservable = instrument.IsObservable;
            (_type, Kind) = instrument switch
            {
                Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<double> => ("counter", SeriesKind.Sum),
                Histogram<double> or Histogram<long> or Histogram<int> => ("histogram", SeriesKind.Histogram),
                ObservableGauge<long> or ObservableGauge<double> or ObservableGauge<int> => ("gauge", SeriesKind.Last),
                _ => ("gauge", SeriesKind.Sum), // up-down counters: a running sum
            };
            Name = PrometheusName(instrument, _type);
        }

        public string Name { get; }

        public SeriesKind Kind { get; }

        public bool IsObservable { get; }

        public void Clear() => _series.Clear();

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = RenderLabels(tags, _keptTags);
            var series = _series.GetOrAdd(labels, static (_, kind) => new Series(kind == SeriesKind.Histogram ? DurationBounds.Length : 0), Kind);
            series.Record(Kind, value);
        }

        public void WriteTo(PrometheusTextWriter writer)
        {
            if (_series.IsEmpty)
            {
                return;
            }

            writer.Family(Name, _type, _help);
            foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                series.WriteTo(writer, Name, labels, Kind);
            }
        }

        /// <summary>OpenTelemetry's mapping: dots to underscores, the unit as a suffix (s → _seconds, By → _bytes), _total for counters.</summary>
        private static string PrometheusName(Instrument instrument, string type)
        {
            var name = PrometheusTextWriter.Name(instrument.Name);
            var unit = instrument.Unit switch
            {
                "s" => "seconds",
                "By" => "bytes",
                _ => null,
            };
            if (unit is not null && !name.EndsWith("_" + unit, StringComparison.Ordinal))
            {
                name += "_" + unit;
            }

            if (type == "counter" && !name.EndsWith("_total", StringComparison.Ordinal))
            {
                name += "_total";
            }

            return name;
        }

        private static string RenderLabels(ReadOnlySpan<KeyValuePair<string, object?>> tags, HashSet<string>? kept)
        {
            if (tags.Length == 0)
            {
                return "";
            }

            var pairs = new List<KeyValuePair<string, object?>>(tags.Length);
            foreach (var tag in tags)
            {
                if (kept is null || kept.Contains(tag.Key))
                {
                    pairs.Add(tag);
                }
            }

            pairs.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return string.Join(",", pairs.Select(p => PrometheusTextWriter.Label(p.Key, Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "")));
        }
    }

    private enum SeriesKind
    {
        Sum,
        Last,
        Histogram,
    }

    /// <summary>One label set's aggregate. Locked: measurements come from any thread.</summary>
    private sealed class Series(int buckets)
    {
        private readonly Lock _gate = new();
        private readonly long[] _counts = new long[buckets];
        private double _value;
        private long _count;

        public void Record(SeriesKind kind, double value)
        {
            lock (_gate)
            {
                switch (kind)
                {
                    case SeriesKind.Last:
                        _value = value;
                        break;
                    case SeriesKind.Histogram:
                        var bucket = Array.BinarySearch(DurationBounds, value);
                        bucket = bucket >= 0 ? bucket : ~bucket; // the first bound >= value; past the last: +Inf only
                        if (bucket < _counts.Length)
                        {
                            _counts[bucket]++;
                        }

                        _value += value;
                        _count++;
                        break;
                    default:
                        _value += value;
                        break;
                }
            }
        }

        public void WriteTo(PrometheusTextWriter writer, string name, string labels, SeriesKind kind)
        {
            lock (_gate)
            {
                if (kind == SeriesKind.Histogram)
                {
                    writer.Histogram(name, labels, DurationBounds, _counts, _value, _count);
                }
                else
                {
                    writer.Sample(name, labels, _value);
                }
            }
        }
    }
}
