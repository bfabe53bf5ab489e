using System.Diagnostics;
using System.Diagnostics.Metrics;
using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Health;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Metrics;

/// <summary>
/// The agent's gauges: releases by state and status (the deliveries by state), the outbox depth and the age of its
/// oldest report, seconds since the last successful discovery, the upstream's reachability, free space, connected event
/// clients and the process's own numbers. Observable instruments read a snapshot that <see cref="RefreshAsync"/> takes
/// right before a scrape (two small queries), so a scrape never blocks on the database inside a callback.
/// </summary>
public sealed class AgentGauges
{
    private readonly AgentDatabase _database;
    private readonly UpstreamMonitor _upstream;
    private readonly DiskSampler _disk;
    private readonly EventHub _hub;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _startedAt;
    private Snapshot _snapshot = new([], new OutboxStats(0, null), null, DateTimeOffset.MinValue);

    public AgentGauges(AgentMetrics metrics, AgentDatabase database, UpstreamMonitor upstream, DiskSampler disk, EventHub hub, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _database = database;
        _upstream = upstream;
        _disk = disk;
        _hub = hub;
        _time = timeProvider;
        _startedAt = timeProvider.GetUtcNow();
        var meter = metrics.Meter;
        meter.CreateObservableGauge("getapp.releases", Releases, null, "Releases on the device by lifecycle state and status (deliveries by state).");
        meter.CreateObservableGauge("getapp.outbox.depth", () => (long)_snapshot.Outbox.Pending, null, "Reports waiting in the outbox for the upstream.");
        meter.CreateObservableGauge("getapp.outbox.oldest.age", () => _snapshot.Outbox.OldestCreatedAt is { } oldest ? Math.Max(0, (_snapshot.At - oldest).TotalSeconds) : 0,
            "s", "How long the oldest waiting report has waited (0 when the outbox is empty).");
        meter.CreateObservableGauge("getapp.discovery.last_success.age", () => (_snapshot.At - (_upstream.Current.LastDiscoverySuccessAt ?? _startedAt)).TotalSeconds,
            "s", "Seconds since the last successful discovery (since the agent started, while none has succeeded).");
        meter.CreateObservableGauge("getapp.upstream.reachable", Reachable, null, "1 when the upstream answered last time, 0 when it did not (absent until it was first asked).");
        meter.CreateObservableGauge("getapp.disk.free", () => _snapshot.Disk?.FreeBytes ?? 0, "By", "Free space in the data dir's file system.");
        meter.CreateObservableGauge("getapp.disk.size", () => _snapshot.Disk?.TotalBytes ?? 0, "By", "Size of the data dir's file system.");
        meter.CreateObservableGauge("getapp.events.clients", () => (long)_hub.ClientCount, null, "Clients connected to the event streams.");
        meter.CreateObservableGauge("process.resident_memory", () => Environment.WorkingSet, "By", "Resident memory of the agent process.");
        var processStart = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero).ToUnixTimeMilliseconds() / 1000.0;
        meter.CreateObservableGauge("process.start_time", () => processStart, "s", "Start time of the process, in seconds since the Unix epoch.");
        meter.CreateObservableGauge("dotnet.gc.heap_size", () => GC.GetGCMemoryInfo().HeapSizeBytes, "By", "Managed heap size after the last garbage collection.");
        meter.CreateObservableGauge("dotnet.gc.committed", () => GC.GetGCMemoryInfo().TotalCommittedBytes, "By", "Memory the garbage collector has committed.");
        meter.CreateObservableCounter("process.cpu", () => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, "s", "CPU time used by the agent.");
    }

    /// <summary>Reads what the callbacks report: the release counts and the outbox (the database), the free space.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var counts = new List<(string State, string Status, long Count)>();
        await using (var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText =
                """
                SELECT state,
                       COALESCE(CASE WHEN state IN ('delivery', 'downloaded') THEN delivery_status ELSE deploy_status END, ''),
                       COUNT(*)
                FROM releases GROUP BY 1, 2 ORDER BY 1, 2;
                """;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                counts.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        var outbox = await OutboxStats.ReadAsync(_database, cancellationToken).ConfigureAwait(false);
        _snapshot = new Snapshot(counts, outbox, _disk.Sample(), _time.GetUtcNow());
    }

    private IEnumerable<Measurement<long>> Releases() =>
        _snapshot.Releases.Select(r => new Measurement<long>(r.Count, new KeyValuePair<string, object?>("state", r.State), new KeyValuePair<string, object?>("status", r.Status)));

    private IEnumerable<Measurement<long>> Reachable() => _upstream.Current.State switch
    {
        UpstreamState.Reachable => [new Measurement<long>(1)],
        UpstreamState.Unreachable => [new Measurement<long>(0)],
        _ => [],
    };

    private sealed record Snapshot(IReadOnlyList<(string State, string Status, long Count)> Releases, OutboxStats Outbox, DiskSample? Disk, DateTimeOffset At);
}
