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

    public async Task<DiscoveryResult> DiscoverAsync(CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        var offers = 0;
        var written = 0;
        var held = ReleaseSnapshot.Empty;
        try
        {
            held = await store.SnapshotAsync(cancellationToken).ConfigureAwait(false);
            var request = new DiscoveryRequest(held.Select(r => new DeviceComponent(r.CatalogId, r.State, r.ErrMsg)).ToList()) { Stored = held };
            DiscoveryAnswer answer;
            try
            {
                answer = await upstream.DiscoverAsync(request, cancellationToken).ConfigureAwait(false);
                if (!answer.Checked)
                {
                    Validate(answer);
                }
            }
            catch (UpstreamException e)
            {
                LastOutcome = new DiscoveryOutcome(timeProvider.GetUtcNow(), 0, e.Message);
                LogDiscoveryFailed(upstream.Description, e.Message);
                Completed?.Invoke(LastOutcome);
                throw;
            }

            var offered = answer.Releases.Any(r => r.Available == false) ? [.. answer.Releases.Where(r => r.Available != false)] : answer.Releases;
            offers = offered.Count;
            written = await store.WriteAsync((connection, _, ct) => Task.FromResult(Apply(connection, offered, ct)), cancellationToken).ConfigureAwait(false);
            LastOutcome = new DiscoveryOutcome(timeProvider.GetUtcNow(), offered.Count, null) { Written = written };
            LogDiscovered(offered.Count, upstream.Description);
            if (written > 0)
            {
                LogWritten(written, offered.Count);
            }

            Discovered?.Invoke();
            Completed?.Invoke(LastOutcome);
            return new DiscoveryResult(offered);
        }
        finally
        {
            // The first discovery ends the start (of many releases, read in a no-GC region); a large catalog's read leaves
            // MiBs of what it held in the old generation: give them back once that is over. A large catalog read again
            // unchanged too: what it holds through the read (an entry per offer, the request's list) outlives the young
            // generation, and each such discovery left ~2.5 MiB more in the old one (10,000 offers, bench/api.sh).
            var first = !_ranOnce;
            _ranOnce = true;
            _oneAtATime.Release();
            if (written >= HeapTrim.LargeDiscovery || offers >= HeapTrim.LargeDiscovery || (first && held.Count >= BulkLoad.MinRows))
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

        if (OfferingGraph.FindCycle(OfferingGraph.EdgesOf(answer.Releases)) is { } cycle)
        {
            throw new UpstreamException($"the upstream's dependencies form a cycle: {cycle}");
        }
    }

    /// <summary>Stores the offers; returns how many rows it wrote (an offer the store already holds as offered is not written again).</summary>
    private int Apply(Microsoft.Data.Sqlite.SqliteConnection connection, IReadOnlyList<OfferedRelease> offered, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var existing = store.SnapshotInTransaction;
        var dependencies = OfferingGraph.EdgesOf(offered);
        var written = 0;
        var known = 0;
        using var rows = new ReleaseRows.Writer(connection);
        for (var i = 0; i < offered.Count; i++)
        {
            if ((i & 1023) == 1023)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var offer = offered[i];
            var id = offer.CatalogId!;
            var stored = existing.Find(id);
            if (stored is not null)
            {
                known++;
            }

            var state = offer.IsPush ? ReleaseState.Push : ReleaseState.Offering;
            if (stored is null || stored.State is ReleaseState.Offering or ReleaseState.Push)
            {
                var edges = dependencies.TryGetValue(id, out var deps) ? deps : (IReadOnlyList<string>)[];
                if (stored is not null && edges.Count == 0 && stored.Dependencies.Count == 0 && SameOffer(stored, offer, state))
                {
                    // An offer the upstream repeats unchanged is left as stored: a periodic discovery of a large catalog writes nothing.
                    continue;
                }

                // Straight from the offer's JSON: nothing is parsed to store it.
                var row = new ReleaseRow(new ReleaseRecord(id, offer.StoredReleaseJson()!, offer.StoredArtifactsJson(), offer.StoredHierarchyJson(),
                    new ReleasePosition(state, null, null, null), stored?.DiscoveredAt ?? now, now)
                {
                    IsPush = offer.IsPush,
                    Dependencies = edges,
                });
                if (stored is null || !row.SameOfferAs(stored))
                {
                    store.Save(rows, row);
                    written++;
                }
            }
            else if (!stored.Offered)
            {
                // Delivered or later: only note that it is offered again; its state and files are the device's own.
                store.Save(rows, new ReleaseRow(stored.ToRecord() with { Offered = true }));
                written++;
            }
        }

        if (known < existing.Count)
        {
            // Some stored releases are no longer offered.
            var stillOffered = offered.Select(o => o.CatalogId!).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in existing.Where(r => !stillOffered.Contains(r.CatalogId)))
            {
                if (gone.State is ReleaseState.Offering or ReleaseState.Push)
                {
                    store.Delete(rows, gone.CatalogId);
                    written++;
                }
                else if (gone.Offered)
                {
                    store.Save(rows, new ReleaseRow(gone.ToRecord() with { Offered = false }));
                    written++;
                }
            }
        }

        return written;
    }

    /// <summary>
    /// True when the stored offer (without dependencies) is what <paramref name="offer"/> would store: the same state,
    /// push flag and JSON (the offline catalog's reader shares the stored arrays, so this is mostly a reference check).
    /// </summary>
    private static bool SameOffer(ReleaseRow stored, OfferedRelease offer, ReleaseState state) =>
        stored.Position == new ReleasePosition(state, null, null, null) && stored.IsPush == offer.IsPush && stored.Offered
        && Same(stored.ReleaseJson, offer.StoredReleaseJson()) && Same(stored.HierarchyJson, offer.StoredHierarchyJson())
        && Same(stored.ArtifactsJson, offer.StoredArtifactsJson());

    private static bool Same(byte[]? stored, byte[]? offered) =>
        ReferenceEquals(stored, offered) || (stored is not null && offered is not null && stored.AsSpan().SequenceEqual(offered));

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Discovery: {Count} release(s) offered by {Upstream}")]
    private partial void LogDiscovered(int count, string upstream);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Discovery from {Upstream} failed: {Reason}")]
    private partial void LogDiscoveryFailed(string upstream, string reason);

    [LoggerMessage(EventId = 1500, Level = LogLevel.Debug, Message = "Discovery stored {Written} change(s) for {Count} release(s) offered")]
    private partial void LogWritten(int written, int count);
}

/// <summary>When the last discovery ran, how many releases it found, and its error if it failed.</summary>
public sealed record DiscoveryOutcome(DateTimeOffset At, int Offered, string? Error)
{
    /// <summary>How many rows it added, changed or removed: none when the upstream repeated what the device stores.</summary>
    public int Written { get; init; }
}
