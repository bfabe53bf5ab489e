namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// A download or check failed. <see cref="Retriable"/> failures (network, stall, 5xx) are retried with backoff;
/// the others (corrupt data, 404, a body longer than announced) end the delivery at once.
/// </summary>
public class DeliveryException(string message, bool retriable, Exception? inner = null, DeliveryFailureReason reason = DeliveryFailureReason.Other)
    : Exception(message, inner)
{
    public bool Retriable { get; } = retriable;

    /// <summary>How long the source asked to wait (<c>Retry-After</c> of a 429 or 503), if it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>What kind of failure it is, for the metrics and the notifications.</summary>
    public DeliveryFailureReason Reason { get; } = reason;
}

/// <summary>The disk does not have room for the bytes an attempt still expects; the bytes already received are kept.</summary>
public sealed class NotEnoughSpaceException(string message) : DeliveryException(message, retriable: false, reason: DeliveryFailureReason.Space);

/// <summary>The source URL answered 403: a presigned URL that expired. The upstream is asked to prepare the release again.</summary>
public sealed class SourceExpiredException(string message) : DeliveryException(message, retriable: true, reason: DeliveryFailureReason.ExpiredUrl);

/// <summary>A release of the closure failed; <see cref="CatalogId"/> names it so the root's errMsg can say which.</summary>
internal sealed class ReleaseDeliveryFailedException(string catalogId, string message, DeliveryFailureReason reason) : Exception(message)
{
    public string CatalogId { get; } = catalogId;

    public DeliveryFailureReason Reason { get; } = reason;

    /// <summary>The disk has too little room for the rest of the download, for now: the delivery waits for space.</summary>
    public bool WaitsForSpace { get; init; }
}

/// <summary>The release was moved by someone else (paused, cancelled, deleted) while the job worked on it: stop quietly.</summary>
internal sealed class DeliveryStoppedException(string message) : Exception(message);
