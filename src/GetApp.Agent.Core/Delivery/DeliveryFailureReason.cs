namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Why a download attempt or a delivery failed, as counted by <c>/metrics</c> (<c>reason</c> label) and told apart in
/// notifications (a refused signature is a security event, not a network one).
/// </summary>
public enum DeliveryFailureReason
{
    Other,

    /// <summary>The connection could not be made or broke off.</summary>
    Network,

    /// <summary>No byte came for <c>stallTimeoutSecs</c>.</summary>
    Stall,

    /// <summary>The source answered with an HTTP error status.</summary>
    Http,

    /// <summary>The source answered 403 (an expired presigned URL); the release is prepared again.</summary>
    ExpiredUrl,

    /// <summary>The source cannot be used (a local file unreadable, a redirect loop or to another scheme).</summary>
    Source,

    /// <summary>Size or hash do not match.</summary>
    Integrity,

    /// <summary>The cosign signature is missing or does not verify.</summary>
    Signature,

    /// <summary>Not enough free space in the data dir.</summary>
    Space,

    /// <summary>The upstream could not prepare the release.</summary>
    Prepare,

    /// <summary><c>deliveryTimeoutMins</c> passed.</summary>
    Timeout,

    /// <summary>The data dir cannot be written.</summary>
    Storage,

    /// <summary>A fault of the agent itself.</summary>
    Internal,
}

public static class DeliveryFailureReasons
{
    /// <summary>The label value (<c>expired_url</c>, <c>network</c>...).</summary>
    public static string Label(DeliveryFailureReason reason) => reason switch
    {
        DeliveryFailureReason.ExpiredUrl => "expired_url",
        _ => reason.ToString().ToLowerInvariant(),
    };
}
