using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Hosting;
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
    private bool _ranOnce;

    /// <summary>The outcome of the last discovery, for the device API and the logs.</summary>
    public DiscoveryOutcome? LastOutcome { get; private set; }

    /// <summary>Raised after a discovery changed the store (engines use it to start pushed deliveries).</summary>
    public event Action? Discovered;

    /// <summary>Raised after every discovery, failed or not, with its outcome (the upstream's health, the metrics).</summary>
    public event Action<DiscoveryOutcome>? Completed;

    public async Task<DiscoveryResponseDto> DiscoverAsync(CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        var offers = 0;
        var held = ReleaseSnapshot.Empty;
        try
        {
            held = await store.SnapshotAsync(cancellationToken).ConfigureAwait(false);
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
            offers = offered.Count;
            await store.WriteAsync((connection, transaction, ct) => ApplyAsync(connection, transaction, offered, ct), cancellationToken).ConfigureAwait(false);
            LastOutcome = new DiscoveryOutcome(timeProvider.GetUtcNow(), offered.Count, null);
            LogDiscovered(offered.Count, upstream.Description);
            Discovered?.Invoke();
            Completed?.Invoke(LastOutcome);
            return ToResponse(offered);
        }
        finally
        {
            // The first discovery ends the start (of many releases, read in a no-GC region); a large catalog's read leaves
            // MiBs of what it held in the old generation: give them back once that is over.
            var first = !_ranOnce;
            _ranOnce = true;
            _oneAtATime.Release();
            if (offers >= HeapTrim.LargeDiscovery || (first && held.Count >= BulkLoad.MinRows))
            {
                HeapTrim.Soon(logger, first ? "the start and the first discovery" : $"a discovery of {offers} offers");
            }
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
        var existing = store.SnapshotInTransaction;
        var dependencies = OfferingGraph.DependenciesOf(offered);

        foreach (var offer in offered)
        {
            var id = offer.CatalogId!;
            var state = offer.IsPush ? ReleaseState.Push : ReleaseState.Offering;
            var known = existing.Find(id);
            if (known is null || known.State is ReleaseState.Offering or ReleaseState.Push)
            {
                // Straight from the offer's JSON: nothing is parsed to store it.
                var row = new ReleaseRow(new ReleaseRecord(id, offer.StoredReleaseJson()!, null, offer.StoredHierarchyJson(),
                    new ReleasePosition(state, null, null, null), known?.DiscoveredAt ?? now, now)
                {
                    IsPush = offer.IsPush,
                    Artifacts = [.. (offer.Artifacts ?? []).Select(a => a.AtRest())],
                    Dependencies = dependencies[id],
                });

                // An offer the upstream repeats unchanged is left as stored: a periodic discovery of a large catalog writes nothing.
                if (known is null || !row.SameOfferAs(known))
                {
                    await store.SaveAsync(connection, transaction, row, cancellationToken).ConfigureAwait(false);
                }
            }
            else if (!known.Offered)
            {
                // Delivered or later: only note that it is offered again; its state and files are the device's own.
                await store.SaveAsync(connection, transaction, known.ToRecord() with { Offered = true }, cancellationToken).ConfigureAwait(false);
            }
        }

        var stillOffered = offered.Select(o => o.CatalogId!).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in existing.Where(r => !stillOffered.Contains(r.CatalogId)))
        {
            if (gone.State is ReleaseState.Offering or ReleaseState.Push)
            {
                await store.DeleteAsync(connection, transaction, gone.CatalogId, cancellationToken).ConfigureAwait(false);
            }
            else if (gone.Offered)
            {
                await store.SaveAsync(connection, transaction, gone.ToRecord() with { Offered = false }, cancellationToken).ConfigureAwait(false);
            }
        }

        return offered.Count;
    }

    // Each release is read anew from its JSON as the answer is written, and let go: the answer to thousands of offers
    // is never a tree of thousands of releases (nobody may be reading it: the scheduler drops it).
    private static DiscoveryResponseDto ToResponse(IReadOnlyList<OfferedRelease> offered) => new(
        Offer: new ProjectedList<OfferedRelease, JsonObject>([.. offered.Where(r => !r.IsPush)], FreshRelease),
        Push: new ProjectedList<OfferedRelease, JsonObject>([.. offered.Where(r => r.IsPush)], FreshRelease),
        Releases: new ProjectedList<OfferedRelease, DiscoveredReleaseDto>(offered,
            r => new DiscoveredReleaseDto(FreshRelease(r), r.IsPush, r.StoredHierarchyJson() is { } trees ? (JsonArray)JsonNode.Parse(trees)! : [])));

    private static JsonObject FreshRelease(OfferedRelease offer) => (JsonObject)JsonNode.Parse(offer.StoredReleaseJson()!)!;

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Discovery: {Count} release(s) offered by {Upstream}")]
    private partial void LogDiscovered(int count, string upstream);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Discovery from {Upstream} failed: {Reason}")]
    private partial void LogDiscoveryFailed(string upstream, string reason);
}

/// <summary>When the last discovery ran, how many releases it found, and its error if it failed.</summary>
public sealed record DiscoveryOutcome(DateTimeOffset At, int Offered, string? Error);
