using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.GetAppServer;

namespace GetApp.Agent.Core.Health;

public enum UpstreamState
{
    /// <summary>Nothing has been asked of the upstream yet.</summary>
    Unknown,
    Reachable,
    Unreachable,
}

/// <summary>How the upstream link stands, and since when; the last error and the last successful discovery.</summary>
public sealed record UpstreamStatus(
    UpstreamState State,
    DateTimeOffset? Since,
    UpstreamError? LastError,
    DateTimeOffset? LastDiscoverySuccessAt);

/// <summary>
/// Follows whether the upstream answers: every discovery (any upstream) and, for a GetApp server, every request the
/// agent sends (reports, prepare). Raises <see cref="Changed"/> when the state flips, so a person is told once that the
/// upstream went away and once that it is back, not at every failed retry. Never a reason for the agent to be unready:
/// a device is often offline for weeks and keeps working.
/// </summary>
public sealed class UpstreamMonitor
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private UpstreamStatus _current = new(UpstreamState.Unknown, null, null, null);

    public UpstreamMonitor(IUpstream upstream, DiscoveryService discovery, TimeProvider timeProvider, GetAppServerConnection? connection = null)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(discovery);
        _timeProvider = timeProvider;
        Description = upstream.Description;
        if (upstream is not NoUpstream)
        {
            // Without an upstream nothing is reachable or not: the state stays unknown.
            discovery.Completed += OnDiscovery;
        }

        if (connection is not null)
        {
            connection.Reached += OnReached;
        }
    }

    public string Description { get; }

    public UpstreamStatus Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>Raised (outside the lock) when the state flips: (before, after).</summary>
    public event Action<UpstreamStatus, UpstreamStatus>? Changed;

    private void OnDiscovery(DiscoveryOutcome outcome)
    {
        if (outcome.Error is null)
        {
            Update(UpstreamState.Reachable, null, outcome.At);
        }
        else
        {
            Update(UpstreamState.Unreachable, new UpstreamError(outcome.At, Description, "discovery", null, outcome.Error), null);
        }
    }

    private void OnReached(bool reached, UpstreamError? error) =>
        Update(reached ? UpstreamState.Reachable : UpstreamState.Unreachable, error, null);

    private void Update(UpstreamState state, UpstreamError? error, DateTimeOffset? discoveredAt)
    {
        UpstreamStatus before, after;
        lock (_gate)
        {
            before = _current;
            after = before with
            {
                State = state,
                Since = state == before.State ? before.Since : _timeProvider.GetUtcNow(),
                LastError = error ?? before.LastError,
                LastDiscoverySuccessAt = discoveredAt ?? before.LastDiscoverySuccessAt,
            };
            _current = after;
        }

        if (before.State != after.State)
        {
            Changed?.Invoke(before, after);
        }
    }
}
