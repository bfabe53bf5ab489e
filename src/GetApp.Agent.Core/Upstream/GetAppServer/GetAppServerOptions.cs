using System.Net.Security;

namespace GetApp.Agent.Core.Upstream.GetAppServer;

/// <summary>How to reach the GetApp server: its URLs (tried in order), the device secret, and the per-request timeout.</summary>
public sealed record GetAppServerOptions
{
    public required IReadOnlyList<string> Urls { get; init; }

    /// <summary>Sent as <c>Device-Auth</c> to the server's routes only, never to artifact URLs.</summary>
    public string? DeviceSecret { get; init; }

    /// <summary>The longest one request may take once connected (the connect itself is bounded by <c>tcpTimeout</c>).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First and longest wait between two attempts to send a waiting report.</summary>
    public TimeSpan OutboxRetryMin { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan OutboxRetryMax { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often an empty outbox is looked at again (progress saves do not wake the sender).</summary>
    public TimeSpan OutboxIdlePoll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How the server's TLS certificate is checked; null (the default) = the operating system's trust store. A seam for
    /// tests, whose https server double has a self-signed certificate; nothing in the agent's configuration sets it.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }
}
