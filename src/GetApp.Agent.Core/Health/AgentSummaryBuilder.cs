using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream.GetAppServer;

namespace GetApp.Agent.Core.Health;

/// <summary>Builds <see cref="AgentSummary"/> from the services that hold each part (one small query: the outbox).</summary>
public sealed class AgentSummaryBuilder(
    DeviceService device,
    Releases.ReleaseProgressBoard progress,
    UpstreamMonitor upstream,
    DiscoveryService discovery,
    DiskSampler disk,
    AgentDatabase database,
    TimeProvider timeProvider,
    GetAppServerConnection? connection = null)
{
    private static readonly string Version = typeof(AgentSummary).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private readonly DateTimeOffset _startedAt = timeProvider.GetUtcNow();

    public async Task<AgentSummary> BuildAsync(CancellationToken cancellationToken)
    {
        var enrollment = await device.GetEnrollmentAsync(cancellationToken).ConfigureAwait(false);
        var outbox = await OutboxStats.ReadAsync(database, cancellationToken).ConfigureAwait(false);
        var space = disk.Current;
        return new AgentSummary(
            enrollment.DeviceId,
            enrollment.DeviceType,
            enrollment.Platform,
            Version,
            _startedAt,
            Upstream(),
            discovery.LastOutcome is { } last ? new DiscoveryView(last.At, last.Offered, last.Error, upstream.Current.LastDiscoverySuccessAt) : null,
            new DiskView(space.Path, space.FreeBytes, space.TotalBytes, space.BufferBytes, space.Low),
            new OutboxView(outbox.Pending, outbox.OldestCreatedAt),
            Transfers());
    }

    private List<TransferView> Transfers() =>
    [
        .. progress.Current()
            .Where(p => p.Value.Transfer is not null)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new TransferView(p.Key, Math.Round(p.Value.Progress, 2), p.Value.Eta, p.Value.Transfer!.Value.DoneBytes, p.Value.Transfer.Value.TotalBytes, p.Value.Transfer.Value.BytesPerSecond)),
    ];

    public UpstreamView Upstream()
    {
        var status = upstream.Current;
        var snapshot = connection?.Snapshot();
        var error = snapshot?.LastError ?? status.LastError;
        return new UpstreamView(
            upstream.Description,
            StateName(status.State),
            status.Since,
            snapshot?.ActiveUrl,
            snapshot?.LastSuccessAt ?? status.LastDiscoverySuccessAt,
            error is null ? null : new UpstreamErrorView(error.At, error.Url, error.Operation, error.StatusCode, error.Message));
    }

    public static string StateName(UpstreamState state) => state switch
    {
        UpstreamState.Reachable => "reachable",
        UpstreamState.Unreachable => "unreachable",
        _ => "unknown",
    };
}
