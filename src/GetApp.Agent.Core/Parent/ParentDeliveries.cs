using System.Text.Json.Nodes;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.GetAppServer;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Parent;

/// <summary>An answer of the parent's <c>prepareDelivery</c> / <c>preparedDelivery</c>: 200 with a body, or 404 (nothing being prepared).</summary>
public sealed record PrepareAnswer(PrepareDeliveryResDto? Body, string? NotFound = null);

/// <summary>
/// The parent's delivery preparation for its children (docs/parent.md), cache-first: a release this agent holds is
/// answered <c>done</c> with URLs to its own artifact route; one it does not hold becomes an ordinary delivery here
/// (same engine, verification and resume as its own) and is answered <c>start</c>, then <c>inProgress</c> until it is
/// held. Any number of children asking for the same release cause one fetch (the lifecycle admits one delivery of a
/// release at a time). <c>source=remote</c> hands out the upstream's own URLs instead.
/// </summary>
public sealed partial class ParentDeliveries(
    ReleaseService releases,
    ReleaseStore store,
    DeliveryEngine engine,
    HeldArtifacts held,
    ChildCache cache,
    ChildRegistry registry,
    ArtifactUrlSigner signer,
    IUpstream upstream,
    TimeProvider timeProvider,
    ILogger<ParentDeliveries> logger)
{
    public const string NotAvailable = "DELIVERY.downloadNotAvailable";

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// <c>POST prepareDelivery</c> (<paramref name="isPoll"/> false) starts what is needed; <c>GET preparedDelivery</c>
    /// only reports, and answers 404 for a release nothing is being prepared for (the child then prepares again).
    /// <paramref name="baseUrl"/> is this agent's address as the child reached it: the artifact URLs are built on it.
    /// </summary>
    public async Task<PrepareAnswer> PrepareAsync(string catalogId, string deviceId, bool isPoll, bool remote, string baseUrl, CancellationToken cancellationToken)
    {
        if (remote)
        {
            return new PrepareAnswer(await RemoteAsync(catalogId, cancellationToken).ConfigureAwait(false));
        }

        ReleaseRecord? holding = null;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var release = await releases.FindAsync(catalogId, cancellationToken).ConfigureAwait(false);
            if (release is not null && HeldArtifacts.IsHeld(release))
            {
                holding = release;
            }
            else
            {
                return await DecideAsync(catalogId, deviceId, release, isPoll, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }

        // Outside the gate: hashing a large file the first time must not hold back other children's preparations.
        if (await held.ListAsync(holding, withHashes: true, cancellationToken).ConfigureAwait(false) is { } artifacts)
        {
            await cache.TouchAsync(catalogId, cancellationToken).ConfigureAwait(false);
            return new PrepareAnswer(Done(catalogId, artifacts, baseUrl));
        }

        // Held, but an installer moved or changed its files: they cannot be served from here, the upstream's can.
        LogFilesGone(catalogId);
        return new PrepareAnswer(await RemoteAsync(catalogId, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>For a release not held here: report where its fetch stands, or start one (never for a poll).</summary>
    private async Task<PrepareAnswer> DecideAsync(string catalogId, string deviceId, ReleaseRecord? release, bool isPoll, CancellationToken cancellationToken)
    {
        if (release?.Position is { State: ReleaseState.Delivery } position)
        {
            if (position.DeliveryStatus is DeliveryStatus.Start or DeliveryStatus.InProgress or DeliveryStatus.Pause)
            {
                return new PrepareAnswer(Pending(catalogId, "inProgress", releases.Progress.Get(catalogId)?.Progress ?? release.Progress));
            }

            if (isPoll)
            {
                return new PrepareAnswer(Error(catalogId, $"this parent could not fetch '{catalogId}': {release.ErrMsg ?? "its delivery was cancelled"}"));
            }
        }

        if (isPoll)
        {
            return new PrepareAnswer(null, $"nothing is being prepared for '{catalogId}'; POST prepareDelivery first");
        }

        return new PrepareAnswer(await FetchAsync(catalogId, deviceId, release, cancellationToken).ConfigureAwait(false));
    }

    private async Task<PrepareDeliveryResDto> FetchAsync(string catalogId, string deviceId, ReleaseRecord? release, CancellationToken cancellationToken)
    {
        if (upstream is NoUpstream)
        {
            return Error(catalogId, $"this parent does not hold '{catalogId}' and has no upstream to fetch it from");
        }

        for (var attempt = 0; ; attempt++)
        {
            var description = release?.Release;
            if (release is null)
            {
                description = await registry.FindOfferedReleaseAsync(catalogId, deviceId, cancellationToken).ConfigureAwait(false) ?? new JsonObject { ["id"] = catalogId };
                await AddForChildrenAsync(catalogId, (JsonObject)description.DeepClone(), cancellationToken).ConfigureAwait(false);
            }

            await cache.RecordFetchAsync(catalogId, deviceId, cancellationToken).ConfigureAwait(false);
            // Room for it first, when the upstream said how big it is.
            var size = description?["size"] is JsonValue v && v.TryGetValue<double>(out var s) ? (long)s : 0;
            await cache.EvictAsync(size, keep: catalogId, cancellationToken).ConfigureAwait(false);
            var started = await engine.StartDeliveryAsync(catalogId, cancellationToken).ConfigureAwait(false);
            if (started.Succeeded)
            {
                LogFetching(catalogId, deviceId);
                return Pending(catalogId, "start", 0);
            }

            if (started.Outcome == MoveOutcome.NotFound && attempt == 0)
            {
                // This agent's own discovery dropped the record between its insert and the start: add it again.
                release = null;
                continue;
            }

            return Error(catalogId, started.Message);
        }
    }

    /// <summary>
    /// Records a release only a child was offered, as an offer not made to this agent (<c>Offered = false</c>): so this
    /// agent never deploys it on its own and may evict it, and its own discovery does not count it as its offer.
    /// Dependencies are the child's business: it prepares each of them itself, leaf first.
    /// </summary>
    private Task AddForChildrenAsync(string catalogId, JsonObject release, CancellationToken cancellationToken) =>
        store.WriteAsync(async (connection, transaction, ct) =>
        {
            if (store.FindInTransaction(catalogId) is null)
            {
                var now = timeProvider.GetUtcNow();
                await store.SaveAsync(connection, transaction, new ReleaseRecord
                {
                    CatalogId = catalogId,
                    Release = release,
                    Position = new ReleasePosition(ReleaseState.Offering, null, null, null),
                    Offered = false,
                    DiscoveredAt = now,
                    UpdatedAt = now,
                }, ct).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken);

    /// <summary><c>source=remote</c>: the upstream's own URLs, as it prepares them.</summary>
    private async Task<PrepareDeliveryResDto> RemoteAsync(string catalogId, CancellationToken cancellationToken)
    {
        if (upstream is NoUpstream)
        {
            return Error(catalogId, "this parent has no upstream to hand out URLs of (source=remote)");
        }

        PreparedDelivery prepared;
        try
        {
            prepared = await upstream.PrepareDeliveryAsync(catalogId, cancellationToken).ConfigureAwait(false);
        }
        catch (UpstreamException e)
        {
            return Error(catalogId, $"the upstream of this parent could not prepare '{catalogId}': {e.Message}");
        }

        switch (prepared.Status)
        {
            case PrepareStatus.Pending:
                return Pending(catalogId, "inProgress", null);
            case PrepareStatus.Error:
                return Error(catalogId, prepared.Error ?? $"the upstream of this parent could not prepare '{catalogId}'");
        }

        if (prepared.Artifacts.Any(a => a.Source.Scheme is not ("http" or "https")))
        {
            return Error(catalogId, $"'{catalogId}' comes from this parent's offline catalog: it can only be served from the parent's cache (omit source=remote)");
        }

        var items = prepared.Artifacts.Select(a => Item(catalogId, a.Spec, a.Source.OriginalString, a.Spec.Size, a.Spec.Hash)).ToList();
        return new PrepareDeliveryResDto { CatalogId = catalogId, Status = "done", Progress = 100, Url = items.FirstOrDefault()?.Url, Artifacts = items };
    }

    private PrepareDeliveryResDto Done(string catalogId, IReadOnlyList<HeldArtifact> artifacts, string baseUrl)
    {
        var items = artifacts.Select(a => Item(catalogId, a.Spec, baseUrl + signer.PathAndQuery(catalogId, a.FileName), a.Length, a.Hash)).ToList();
        return new PrepareDeliveryResDto
        {
            CatalogId = catalogId,
            Status = "done",
            Progress = 100,
            Size = artifacts.Sum(a => a.Length),
            Url = items.FirstOrDefault()?.Url,
            Artifacts = items,
        };
    }

    private static DeliveryItemDto Item(string catalogId, ArtifactSpec spec, string url, long? size, ArtifactHash? hash) => new()
    {
        CatalogId = catalogId,
        ItemKey = spec.ItemKey,
        ArtifactType = spec.ArtifactType ?? ServerWire.ItemTypeSoftware,
        Url = url,
        Size = size,
        Hash = hash,
        Signature = spec.Signature,
        IsExecutable = spec.IsExecutable,
        Arguments = spec.Arguments,
        MetaData = spec.MetaData,
    };

    private static PrepareDeliveryResDto Pending(string catalogId, string status, double? progress) =>
        new() { CatalogId = catalogId, Status = status, Progress = progress is { } p ? Math.Round(p, 2) : 0 };

    internal static PrepareDeliveryResDto Error(string catalogId, string message) =>
        new() { CatalogId = catalogId, Status = "error", Error = new ServerErrorDto(NotAvailable, message) };

    [LoggerMessage(EventId = 6020, Level = LogLevel.Information, Message = "Fetching {CatalogId} from the upstream for child {DeviceId}")]
    private partial void LogFetching(string catalogId, string deviceId);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Warning, Message = "The files of {CatalogId} are no longer as delivered (moved or changed by an installer); children get the upstream's URLs")]
    private partial void LogFilesGone(string catalogId);
}
