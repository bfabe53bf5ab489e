namespace GetApp.Agent.Core.Health;

/// <summary>
/// The device at a glance (<c>GET /api/v2/agent/summary</c>, and the <c>agent</c> event stream whenever it changes): who
/// it is, how its upstream is doing, the last discovery, free space, the report outbox and the deliveries running now
/// with their speed. What a dashboard shows above the releases.
/// </summary>
public sealed record AgentSummary(
    string DeviceId,
    IReadOnlyList<string> DeviceType,
    string Platform,
    string AgentVersion,
    DateTimeOffset StartedAt,
    UpstreamView Upstream,
    DiscoveryView? LastDiscovery,
    DiskView Disk,
    OutboxView Outbox,
    IReadOnlyList<TransferView> Transfers);

/// <param name="State"><c>unknown</c>, <c>reachable</c> or <c>unreachable</c>.</param>
/// <param name="Since">When it entered that state.</param>
/// <param name="ActiveUrl">A GetApp server's URL that answered last (null for other upstreams).</param>
public sealed record UpstreamView(
    string Description,
    string State,
    DateTimeOffset? Since,
    string? ActiveUrl,
    DateTimeOffset? LastSuccessAt,
    UpstreamErrorView? LastError);

/// <param name="StatusCode">The HTTP status of the failed answer; null when nothing answered.</param>
public sealed record UpstreamErrorView(DateTimeOffset At, string? Url, string? Operation, int? StatusCode, string Message);

public sealed record DiscoveryView(DateTimeOffset At, int Offered, string? Error, DateTimeOffset? LastSuccessAt);

/// <param name="Low">Free space is below the delivery buffer plus a margin (5 % of the disk, at most 1 GiB).</param>
public sealed record DiskView(string Path, long? FreeBytes, long? TotalBytes, long BufferBytes, bool Low);

public sealed record OutboxView(int Pending, DateTimeOffset? OldestCreatedAt);

/// <summary>A delivery running now: the root's progress and ETA (as on its status), with the bytes and the speed behind them.</summary>
/// <param name="BytesPerSecond">Over the last seconds; 0 while not yet known or while nothing moves.</param>
public sealed record TransferView(string CatalogId, double Progress, long? Eta, long DoneBytes, long TotalBytes, double BytesPerSecond);
