using System.Collections.Concurrent;

namespace GetApp.Agent.Core.Releases;

/// <summary>
/// Live progress of running deliveries and installs, kept in memory and shown by the status API at once;
/// the engines persist it at a bounded rate, so the database is not written for every chunk.
/// </summary>
public sealed class ReleaseProgressBoard
{
    private readonly ConcurrentDictionary<string, LiveProgress> _live = new(StringComparer.Ordinal);

    /// <summary>Raised after <see cref="Set"/> and <see cref="Clear"/> (the event streams publish progress from it, at their own pace); must be quick.</summary>
    public event Action<string>? Changed;

    /// <param name="transfer">For a delivery's root: the bytes and the rate behind the percentage (the dashboard's speed).</param>
    public void Set(string catalogId, double progress, long? eta, TransferRate? transfer = null)
    {
        _live[catalogId] = new LiveProgress(progress, eta, transfer);
        Changed?.Invoke(catalogId);
    }

    /// <summary>Everything running now, by catalog id.</summary>
    public IReadOnlyList<KeyValuePair<string, LiveProgress>> Current() => [.. _live];

    public void Clear(string catalogId)
    {
        if (_live.TryRemove(catalogId, out _))
        {
            Changed?.Invoke(catalogId);
        }
    }

    public LiveProgress? Get(string catalogId) => _live.TryGetValue(catalogId, out var value) ? value : null;
}

public readonly record struct LiveProgress(double Progress, long? Eta, TransferRate? Transfer = null);

/// <summary>Bytes on disk of all that a delivery brings, and the rate over the last seconds (0 while unknown).</summary>
public readonly record struct TransferRate(long DoneBytes, long TotalBytes, double BytesPerSecond);
