using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Discovery;

/// <summary>
/// Asks the upstream what is offered and reconciles the store with the answer: new offers are recorded, offers that
/// vanished are dropped, dependency edges are rebuilt — and a release already in delivery or later is never reset.
/// </summary>
public sealed partial class DiscoveryService(
    IUpstream upstream,
    ReleaseStore store,
    TimeProvider timeProvider,
    ILogger<DiscoveryService> logger)
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>The outcome of the last discovery, for the device API and the logs.</summary>
    public DiscoveryOutcome? LastOutcome { get; private set; }

    /// <summary>Raised after a discovery changed the store (engines use it to start pushed deliveries).</summary>
    public event Action? Discovered;

    /// <summary>Raised after every discovery, failed or not, with its outcome (the upstream's health, the metrics).</summary>
    public event Action<DiscoveryOutcome>? Completed;

    public async Task<DiscoveryResponseDto> DiscoverAsync(CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var held = await store.ListAsync(cancellationToken).ConfigureAwait(false);
            var request = new DiscoveryRequest(held.Select(r => new DeviceComponent(r.CatalogId, r.State, r.ErrMsg)).ToList());
            DiscoveryAnswer answer;
            try
            {
                answer = await upstream.DiscoverAsync(request, cancellationToken).ConfigureAwait(false);
                Validate(answer);
            }
            catch (UpstreamException e)
            {
                LastOutcome = new DiscoveryOutcome(timeProvider.GetUtcNow(), 0, e.Message);
                LogDiscoveryFailed(upstream.Description, e.Message);
                Completed?.Invoke(LastOutcome);
                throw;
            }

            var offered = answer.Releases.Where(r => r.Available != false).ToList();
            await store.WriteAsync((connection, transaction, ct) => ApplyAsync(connection, transaction, offered, ct), cancellationToken).ConfigureAwait(false);
            LastOutcome = new DiscoveryOutcome(timeProvider.GetUtcNow(), offered.Count, null);
            LogDiscovered(offered.Count, upstream.Description);
            Discovered?.Invoke();
            Completed?.Invoke(LastOutcome);
            return ToResponse(offered);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private static void Validate(DiscoveryAnswer answer)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var release in answer.Releases)
        {
            if (release.CatalogId is not { } id || !CatalogIdRules.IsWellFormed(id, out _))
            {
                throw new UpstreamException($"the upstream offered a release without a valid id ({release.Release?.ToJsonString() ?? "null"})");
            }

            if (!seen.Add(id))
            {
                throw new UpstreamException($"the upstream offered release '{id}' more than once");
            }
        }

        if (OfferingGraph.FindCycle(OfferingGraph.DependenciesOf(answer.Releases)) is { } cycle)
        {
            throw new UpstreamException($"the upstream's dependencies form a cycle: {cycle}");
        }
    }

    private async Task<int> ApplyAsync(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction transaction,
        IReadOnlyList<OfferedRelease> offered, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var existing = (await ReleaseStore.ListAsync(connection, transaction, cancellationToken).ConfigureAwait(false))
            .ToDictionary(r => r.CatalogId, StringComparer.Ordinal);
        var dependencies = OfferingGraph.DependenciesOf(offered);

        foreach (var offer in offered)
        {
            var id = offer.CatalogId!;
            var state = offer.IsPush ? ReleaseState.Push : ReleaseState.Offering;
            existing.TryGetValue(id, out var known);
            if (known is null || known.State is ReleaseState.Offering or ReleaseState.Push)
            {
                await ReleaseStore.SaveAsync(connection, transaction, new ReleaseRecord
                {
                    CatalogId = id,
                    Release = (JsonObject)offer.Release!.DeepClone(),
                    Position = new ReleasePosition(state, null, null, null),
                    IsPush = offer.IsPush,
                    Artifacts = [.. (offer.Artifacts ?? []).Select(a => a.AtRest())],
                    HierarchyTrees = offer.HierarchyTrees?.DeepClone() as JsonArray,
                    Dependencies = dependencies[id],
                    DiscoveredAt = known?.DiscoveredAt ?? now,
                    UpdatedAt = now,
                }, cancellationToken).ConfigureAwait(false);
            }
            else if (!known.Offered)
            {
                // Delivered or later: only note that it is offered again; its state and files are the device's own.
                await ReleaseStore.SaveAsync(connection, transaction, known with { Offered = true }, cancellationToken).ConfigureAwait(false);
            }
        }

        var stillOffered = offered.Select(o => o.CatalogId!).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in existing.Values.Where(r => !stillOffered.Contains(r.CatalogId)))
        {
            if (gone.State is ReleaseState.Offering or ReleaseState.Push)
            {
                await ReleaseStore.DeleteAsync(connection, transaction, gone.CatalogId, cancellationToken).ConfigureAwait(false);
            }
            else if (gone.Offered)
            {
                await ReleaseStore.SaveAsync(connection, transaction, gone with { Offered = false }, cancellationToken).ConfigureAwait(false);
            }
        }

        return offered.Count;
    }

    private static DiscoveryResponseDto ToResponse(IReadOnlyList<OfferedRelease> offered) => new(
        Offer: offered.Where(r => !r.IsPush).Select(r => (JsonObject)r.Release!.DeepClone()).ToList(),
        Push: offered.Where(r => r.IsPush).Select(r => (JsonObject)r.Release!.DeepClone()).ToList(),
        Releases: offered.Select(r => new DiscoveredReleaseDto(
            (JsonObject)r.Release!.DeepClone(), r.IsPush, r.HierarchyTrees?.DeepClone() as JsonArray ?? [])).ToList());

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Discovery: {Count} release(s) offered by {Upstream}")]
    private partial void LogDiscovered(int count, string upstream);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Discovery from {Upstream} failed: {Reason}")]
    private partial void LogDiscoveryFailed(string upstream, string reason);
}

/// <summary>When the last discovery ran, how many releases it found, and its error if it failed.</summary>
public sealed record DiscoveryOutcome(DateTimeOffset At, int Offered, string? Error);
