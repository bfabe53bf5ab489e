using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Settings;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Health;

/// <summary>Free space of the data dir at one moment, and whether it is low.</summary>
/// <param name="BufferBytes">The live <c>deliveryStorageBufferBytes</c>: space that must stay free after a delivery.</param>
public sealed record DiskSample(string Path, long? FreeBytes, long? TotalBytes, long BufferBytes, bool Low)
{
    /// <summary>A little room above the buffer: 5 % of the disk, at most 1 GiB, so "low" comes before deliveries fail.</summary>
    public static long LowMargin(long totalBytes) => Math.Min(totalBytes / 20, 1L << 30);

    /// <summary>Whether there is more free space than the delivery buffer (what readiness requires).</summary>
    public bool AboveBuffer => FreeBytes is { } free && free > BufferBytes;
}

/// <summary>
/// Samples the free space of the data dir every <see cref="EventsOptions.DiskSampleInterval"/>, and at once when the
/// delivery buffer setting changes; raises <see cref="Sampled"/> with every sample, so the device summary stays current
/// and a person is told when space runs low (and when it is back).
/// </summary>
public sealed class DiskSampler : BackgroundService
{
    private readonly DataDirectory _dataDirectory;
    private readonly LiveSettings _settings;
    private readonly EventsOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Lock _gate = new();
    private DiskSample? _current;

    public DiskSampler(DataDirectory dataDirectory, LiveSettings settings, EventsOptions options, TimeProvider timeProvider)
    {
        _dataDirectory = dataDirectory;
        _settings = settings;
        _options = options;
        _timeProvider = timeProvider;
        settings.Changed += OnSettingsChanged;
    }

    /// <summary>Raised with (previous sample or null, new sample).</summary>
    public event Action<DiskSample?, DiskSample>? Sampled;

    /// <summary>The last sample (taken now if there is none yet).</summary>
    public DiskSample Current
    {
        get
        {
            lock (_gate)
            {
                return _current ??= Measure();
            }
        }
    }

    /// <summary>Measures now and publishes the sample.</summary>
    public DiskSample Sample()
    {
        var sample = Measure();
        DiskSample? before;
        lock (_gate)
        {
            before = _current;
            _current = sample;
        }

        Sampled?.Invoke(before, sample);
        return sample;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Sample();
            using var timer = new CancellationTokenSource(_options.DiskSampleInterval, _timeProvider);
            using var waitOrStop = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, stoppingToken);
            try
            {
                await _wake.WaitAsync(waitOrStop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Time for the next sample.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private DiskSample Measure()
    {
        var buffer = _settings.Current.DeliveryStorageBufferBytes;
        var root = _dataDirectory.Root;
        try
        {
            var drive = new DriveInfo(root);
            var free = drive.AvailableFreeSpace;
            var total = drive.TotalSize;
            var threshold = buffer > long.MaxValue - DiskSample.LowMargin(total) ? long.MaxValue : buffer + DiskSample.LowMargin(total);
            return new DiskSample(root, free, total, buffer, free < threshold);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new DiskSample(root, null, null, buffer, Low: true);
        }
    }

    private void OnSettingsChanged(AgentSettings settings) => Wake();

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already due.
        }
    }

    public override void Dispose()
    {
        _settings.Changed -= OnSettingsChanged;
        _wake.Dispose();
        base.Dispose();
    }
}
