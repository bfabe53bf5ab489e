using System.Collections.Concurrent;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Parent;

/// <summary>One release in the child cache, for the parent's status view.</summary>
/// <param name="ChildOnly">Held only because children asked (counts against <c>parentCacheMaxBytes</c>).</param>
/// <param name="Evictable">Child-only and neither being downloaded nor used within the grace period.</param>
public sealed record CachedRelease(string CatalogId, string RequestedBy, long Bytes, bool ChildOnly, bool Evictable, DateTimeOffset FetchedAt, DateTimeOffset LastUsedAt);

/// <summary>
/// The releases this agent fetched because a child asked (table <c>child_cache</c>) and their bounded share of the disk:
/// when releases held only for children pass <c>parentCacheMaxBytes</c>, the least recently used go first (an ordinary
/// delete delivery). Never evicted: a release this agent's own upstream offers it, one it deployed or installed, one a
/// child is downloading right now, or one used within <see cref="ParentOptions.EvictionGrace"/>.
/// </summary>
public sealed partial class ChildCache(
    AgentDatabase database,
    ReleaseService releases,
    DeliveryEngine engine,
    LiveSettings settings,
    ParentOptions options,
    TimeProvider timeProvider,
    ILogger<ChildCache> logger) : IHostedService
{
    private readonly ConcurrentDictionary<string, int> _serving = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastTouched = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastWritten = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _evicting = new(1, 1);

    private CancellationTokenSource _stopping = new();

    /// <summary>After a delivery completes, the cache is brought back under its limit (the new release itself is kept).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        releases.Moved += OnMoved;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        releases.Moved -= OnMoved;
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    private void OnMoved(ReleaseMoved moved)
    {
        if (moved.Action == ReleaseAction.CompleteDelivery && IsChildOnly(moved.After))
        {
            var id = moved.After.CatalogId;
            _ = Task.Run(async () =>
            {
                try
                {
                    await EvictAsync(0, keep: id, _stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogEvictionFailed(e);
                }
            });
        }
    }

    /// <summary>Notes that a child's request made this agent fetch the release (kept once delivered, for eviction and the status view).</summary>
    public async Task RecordFetchAsync(string catalogId, string requestedBy, CancellationToken cancellationToken)
    {
        _lastTouched[catalogId] = timeProvider.GetUtcNow();
        var now = ChildRegistry.Text(timeProvider.GetUtcNow());
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO child_cache (catalog_id, requested_by, fetched_at, last_used_at) VALUES ($id, $by, $now, $now) " +
            "ON CONFLICT (catalog_id) DO UPDATE SET requested_by = $by, fetched_at = $now, last_used_at = $now;";
        command.Parameters.AddWithValue("$id", catalogId);
        command.Parameters.AddWithValue("$by", requestedBy);
        command.Parameters.AddWithValue("$now", now);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the release as used now (LRU order): at once in memory, in the database at most every few seconds per release.</summary>
    public async Task TouchAsync(string catalogId, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        _lastTouched[catalogId] = now;
        if (_lastWritten.TryGetValue(catalogId, out var last) && now - last < TimeSpan.FromSeconds(5))
        {
            return;
        }

        _lastWritten[catalogId] = now;
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE child_cache SET last_used_at = $now WHERE catalog_id = $id;";
        command.Parameters.AddWithValue("$id", catalogId);
        command.Parameters.AddWithValue("$now", ChildRegistry.Text(now));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Counts a download in progress: the release is not evicted until every such lease is disposed.</summary>
    public IDisposable BeginServe(string catalogId)
    {
        _serving.AddOrUpdate(catalogId, 1, (_, n) => n + 1);
        return new Lease(this, catalogId);
    }

    /// <summary>The releases fetched for children, most recently used first.</summary>
    public async Task<IReadOnlyList<CachedRelease>> ListAsync(CancellationToken cancellationToken)
    {
        var rows = await ReadRowsAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<CachedRelease>();
        var graceStart = timeProvider.GetUtcNow() - options.EvictionGrace;
        foreach (var (id, by, fetched, used) in rows.OrderByDescending(r => r.LastUsed))
        {
            var release = await releases.FindAsync(id, cancellationToken).ConfigureAwait(false);
            if (release is null || !HeldArtifacts.IsHeld(release))
            {
                continue;
            }

            var childOnly = IsChildOnly(release);
            list.Add(new CachedRelease(id, by, BytesOf(release), childOnly, childOnly && !_serving.ContainsKey(id) && used < graceStart, fetched, used));
        }

        return list;
    }

    /// <summary>
    /// Evicts least recently used releases held only for children until they and <paramref name="incomingBytes"/> fit in
    /// <c>parentCacheMaxBytes</c> (or nothing evictable is left; <paramref name="keep"/> is never evicted).
    /// </summary>
    public async Task EvictAsync(long incomingBytes, string? keep, CancellationToken cancellationToken)
    {
        await _evicting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var max = settings.Current.ParentCacheMaxBytes;
            var graceStart = timeProvider.GetUtcNow() - options.EvictionGrace;
            var held = new List<(ReleaseRecord Release, DateTimeOffset LastUsed, long Bytes)>();
            foreach (var (id, _, _, used) in await ReadRowsAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await releases.FindAsync(id, cancellationToken).ConfigureAwait(false) is { } release && IsChildOnly(release))
                {
                    held.Add((release, used, BytesOf(release)));
                }
            }

            var total = held.Sum(h => h.Bytes) + Math.Max(0, incomingBytes);
            foreach (var (release, used, bytes) in held.OrderBy(h => h.LastUsed))
            {
                if (total <= max)
                {
                    break;
                }

                if (release.CatalogId == keep || _serving.ContainsKey(release.CatalogId) || used >= graceStart)
                {
                    continue;
                }

                var result = await engine.DeleteDeliveryAsync(release.CatalogId, cancellationToken).ConfigureAwait(false);
                if (result.Succeeded)
                {
                    total -= bytes;
                    LogEvicted(release.CatalogId, bytes, max);
                }
            }

            if (total > max)
            {
                LogOverLimit(total, max);
            }
        }
        finally
        {
            _evicting.Release();
        }
    }

    /// <summary>Held only because children asked: downloaded (not deployed here) and not offered to this agent by its own upstream.</summary>
    internal static bool IsChildOnly(ReleaseRecord release) => release.State == ReleaseState.Downloaded && !release.Offered && release.ArtsDirPath is not null;

    /// <summary>The release's bytes on disk: its artifacts' sizes, or the files themselves when sizes are unknown.</summary>
    internal static long BytesOf(ReleaseRecord release)
    {
        if (release.Artifacts.Count > 0 && release.Artifacts.All(a => a.Size is not null))
        {
            return release.Artifacts.Sum(a => a.Size!.Value);
        }

        return release.ArtsDirPath is { } dir && Directory.Exists(dir) ? new DirectoryInfo(dir).EnumerateFiles().Sum(f => f.Length) : 0;
    }

    private async Task<List<(string Id, string By, DateTimeOffset Fetched, DateTimeOffset LastUsed)>> ReadRowsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT catalog_id, requested_by, fetched_at, last_used_at FROM child_cache;";
        var rows = new List<(string, string, DateTimeOffset, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            var used = Parse(reader.GetString(3));
            rows.Add((id, reader.GetString(1), Parse(reader.GetString(2)), _lastTouched.TryGetValue(id, out var touched) && touched > used ? touched : used));
        }

        return rows;
    }

    private static DateTimeOffset Parse(string value) =>
        DateTimeOffset.Parse(value, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal);

    private void EndServe(string catalogId)
    {
        while (_serving.TryGetValue(catalogId, out var n))
        {
            if (n <= 1 ? _serving.TryRemove(new KeyValuePair<string, int>(catalogId, n)) : _serving.TryUpdate(catalogId, n - 1, n))
            {
                return;
            }
        }
    }

    private sealed class Lease(ChildCache cache, string catalogId) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                cache.EndServe(catalogId);
            }
        }
    }

    [LoggerMessage(EventId = 6012, Level = LogLevel.Warning, Message = "Evicting from the child cache failed; it is tried again after the next fetch")]
    private partial void LogEvictionFailed(Exception exception);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Evicted {CatalogId} ({Bytes} bytes) from the child cache (parentCacheMaxBytes {Max})")]
    private partial void LogEvicted(string catalogId, long bytes, long max);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Releases held for children use {Bytes} bytes, over parentCacheMaxBytes {Max}: nothing more can be evicted now (in use or recently used)")]
    private partial void LogOverLimit(long bytes, long max);
}
