namespace GetApp.Agent.Core.Events;

/// <summary>
/// Something a person must see (the <c>notifications</c> stream, and <c>GET /api/v2/agent/notifications</c>): a failed
/// delivery or install, the upstream unreachable or back, disk space low, a refused signature.
/// </summary>
/// <param name="Id">Unique among this run of the agent; a client that gets the history again (a snapshot) drops repeats by it.</param>
/// <param name="Kind">What happened (<see cref="NotificationKinds"/>).</param>
/// <param name="Severity"><c>info</c>, <c>warning</c> or <c>error</c>.</param>
/// <param name="Category"><c>delivery</c>, <c>deploy</c>, <c>upstream</c>, <c>storage</c> or <c>security</c>.</param>
/// <param name="Entity">What it is about, when it is about one thing (a release).</param>
public sealed record NotificationEvent(
    string Id,
    string Kind,
    string Severity,
    string Category,
    string Message,
    NotificationEntity? Entity,
    DateTimeOffset At);

/// <param name="Type"><c>release</c>.</param>
/// <param name="Id">The release's catalog id.</param>
public sealed record NotificationEntity(string Type, string Id);

public static class NotificationKinds
{
    public const string DeliveryFailed = "deliveryFailed";
    public const string DeployFailed = "deployFailed";
    public const string SignatureRefused = "signatureRefused";
    public const string UpstreamUnreachable = "upstreamUnreachable";
    public const string UpstreamBack = "upstreamBack";
    public const string DiskLow = "diskLow";
    public const string DiskRecovered = "diskRecovered";
}

/// <summary>The last notifications, newest last, bounded (kept in memory: they describe this run of the agent).</summary>
public sealed class NotificationLog(EventsOptions options, TimeProvider timeProvider)
{
    private readonly Lock _gate = new();
    private readonly Queue<NotificationEvent> _recent = new();
    private long _next;

    /// <summary>Records a notification and returns it with its id and time.</summary>
    public NotificationEvent Add(string kind, string severity, string category, string message, NotificationEntity? entity, string bootId)
    {
        lock (_gate)
        {
            var notification = new NotificationEvent($"{bootId}.{++_next}", kind, severity, category, message, entity, timeProvider.GetUtcNow());
            _recent.Enqueue(notification);
            while (_recent.Count > Math.Max(1, options.NotificationHistory))
            {
                _recent.Dequeue();
            }

            return notification;
        }
    }

    /// <summary>The last <paramref name="limit"/> notifications, oldest first.</summary>
    public IReadOnlyList<NotificationEvent> Recent(int limit = int.MaxValue)
    {
        lock (_gate)
        {
            return _recent.Skip(Math.Max(0, _recent.Count - limit)).ToList();
        }
    }
}
