using System.Collections.Concurrent;

namespace GetApp.Agent.Core.Releases;

/// <summary>
/// Live progress of running deliveries and installs, kept in memory and shown by the status API at once;
/// the engines persist it at a bounded rate, so the database is not written for every chunk.
/// </summary>
public sealed class ReleaseProgressBoard
{
    private readonly ConcurrentDictionary<string, LiveProgress> _live = new(StringComparer.Ordinal);

    /// <summary>Raised after <see cref="Set"/> (the event streams publish progress from it, at their own pace); must be quick.</summary>
    public event Action<string>? Changed;

    public void Set(string catalogId, double progress, long? eta)
    {
        _live[catalogId] = new LiveProgress(progress, eta);
        Changed?.Invoke(catalogId);
    }

    public void Clear(string catalogId) => _live.TryRemove(catalogId, out _);

    public LiveProgress? Get(string catalogId) => _live.TryGetValue(catalogId, out var value) ? value : null;
}

public readonly record struct LiveProgress(double Progress, long? Eta);
