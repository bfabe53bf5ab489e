namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// A download or check failed. <see cref="Retriable"/> failures (network, stall, 5xx) are retried with backoff;
/// the others (corrupt data, 404, a body longer than announced) end the delivery at once.
/// </summary>
public class DeliveryException(string message, bool retriable, Exception? inner = null, DeliveryFailureReason reason = DeliveryFailureReason.Other)
    : Exception(message, inner)
{
    public bool Retriable { get; } = retriable;

    /// <summary>What kind of failure it is, for the metrics and the notifications.</summary>
    public DeliveryFailureReason Reason { get; } = reason;
}

/// <summary>The source URL answered 403: a presigned URL that expired. The upstream is asked to prepare the release again.</summary>
public sealed class SourceExpiredException(string message) : DeliveryException(message, retriable: true, reason: DeliveryFailureReason.ExpiredUrl);

/// <summary>A release of the closure failed; <see cref="CatalogId"/> names it so the root's errMsg can say which.</summary>
internal sealed class ReleaseDeliveryFailedException(string catalogId, string message, DeliveryFailureReason reason) : Exception(message)
{
    public string CatalogId { get; } = catalogId;

    public DeliveryFailureReason Reason { get; } = reason;
}

/// <summary>The release was moved by someone else (paused, cancelled, deleted) while the job worked on it: stop quietly.</summary>
internal sealed class DeliveryStoppedException(string message) : Exception(message);
