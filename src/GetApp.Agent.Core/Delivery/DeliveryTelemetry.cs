using System.Collections.Concurrent;
using GetApp.Agent.Core.Metrics;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// What the delivery engine tells the world besides the release's state: bytes received, retries and failures by reason
/// (for <c>/metrics</c>), and why the last failure of a release happened (the notification of a refused signature is a
/// security warning, not a plain failed delivery). Every call is a counter add: nothing here waits.
/// </summary>
public sealed class DeliveryTelemetry(AgentMetrics metrics)
{
    private readonly ConcurrentDictionary<string, DeliveryFailureReason> _lastFailure = new(StringComparer.Ordinal);

    public void Downloaded(long bytes) => metrics.Downloaded(bytes);

    public void Retrying(DeliveryFailureReason reason) => metrics.DownloadRetried(reason);

    /// <summary>A delivery failed for good; <paramref name="countAgain"/> false for the root of a dependency that failed (counted once).</summary>
    public void Failed(string catalogId, DeliveryFailureReason reason, bool countAgain = true)
    {
        if (countAgain)
        {
            metrics.DeliveryFailed(reason);
        }

        _lastFailure[catalogId] = reason;
    }

    /// <summary>The reason of the release's last failure, once (the caller that reports the failure takes it).</summary>
    public DeliveryFailureReason? TakeFailureReason(string catalogId) =>
        _lastFailure.TryRemove(catalogId, out var reason) ? reason : null;
}
