using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Upstream.GetAppServer;

/// <summary>
/// The GetApp server as the upstream (docs/getapp-server.md): discovery with the full
/// <c>DiscoveryMessageV2Dto</c>, and delivery preparation (<c>prepareDelivery</c>, then polling
/// <c>preparedDelivery/{catalogId}</c> while the server is still preparing).
/// </summary>
public sealed partial class GetAppServerUpstream(
    GetAppServerClient client,
    GetAppServerConnection connection,
    DeviceService device,
    ServerClock serverClock,
    AgentDatabase database,
    TimeProvider timeProvider,
    ILogger<GetAppServerUpstream> logger) : IUpstream
{
    /// <summary>
    /// A discovery whose <c>snapshotDate</c> turns out to have been this far off the server's time (learned from its own
    /// answer) is sent again at once with the corrected time: the server would have ignored its component states.
    /// </summary>
    internal static readonly TimeSpan ResendSkew = TimeSpan.FromSeconds(5);

    private const string DiscoverPath = "/api/v2/device/discover/component";
    private const string PreparePath = "/api/v2/delivery/prepareDelivery";
    private const string PreparedPath = "/api/v2/delivery/preparedDelivery/";

    // Releases whose preparation the server is still working on: the next call polls instead of asking again.
    private readonly ConcurrentDictionary<string, bool> _preparing = new(StringComparer.Ordinal);

    public string Description => $"GetApp server {string.Join(", ", connection.Urls.Select(SafeUrl.Masked))}";

    public async Task<DiscoveryAnswer> DiscoverAsync(DiscoveryRequest request, CancellationToken cancellationToken)
    {
        await serverClock.LoadAsync(database, cancellationToken).ConfigureAwait(false);
        var (answer, offsetUsed) = await SendDiscoveryAsync(request, cancellationToken).ConfigureAwait(false);
        if (serverClock.Offset is { } learned && (learned - offsetUsed).Duration() > ResendSkew)
        {
            // The server compares snapshotDate with its own clock; sent in the wrong time, the components were not applied.
            LogClockSkew(offsetUsed.TotalSeconds, learned.TotalSeconds);
            (answer, _) = await SendDiscoveryAsync(request, cancellationToken).ConfigureAwait(false);
        }

        await serverClock.SaveAsync(database, cancellationToken).ConfigureAwait(false);
        DeviceComponentsOfferingDto offering;
        try
        {
            offering = JsonSerializer.Deserialize(answer.Body, GetAppServerJsonContext.Default.DeviceComponentsOfferingDto)
                ?? throw new UpstreamException($"the discovery answer of {SafeUrl.Masked(answer.BaseUrl)} is empty");
        }
        catch (JsonException e)
        {
            throw new UpstreamException($"the discovery answer of {SafeUrl.Masked(answer.BaseUrl)} is not a DeviceComponentsOfferingDto: {e.Message}", e);
        }

        await device.SaveServerHintsAsync(offering.LatestConfigSemVer, offering.Restrictions, cancellationToken).ConfigureAwait(false);
        return new DiscoveryAnswer(offering.Releases ?? [], offering.LatestConfigSemVer, offering.Restrictions);
    }

    /// <summary>Sends one discovery; also returns the clock offset its <c>snapshotDate</c> was built with.</summary>
    private async Task<(ServerAnswer Answer, TimeSpan OffsetUsed)> SendDiscoveryAsync(DiscoveryRequest request, CancellationToken cancellationToken)
    {
        var offsetUsed = serverClock.Offset ?? TimeSpan.Zero;
        var message = await BuildDiscoveryMessageAsync(request, cancellationToken).ConfigureAwait(false);
        var body = JsonSerializer.SerializeToUtf8Bytes(message, GetAppServerJsonContext.Default.DiscoveryMessageV2Dto);
        var answer = await client.SendAsync("discovery", HttpMethod.Post, DiscoverPath, body, cancellationToken).ConfigureAwait(false);
        return answer.IsSuccess
            ? (answer, offsetUsed)
            : throw new UpstreamException($"discovery refused by {SafeUrl.Masked(answer.BaseUrl)}: {connection.Snapshot().LastError?.Message}");
    }

    public async Task<PreparedDelivery> PrepareDeliveryAsync(string catalogId, CancellationToken cancellationToken)
    {
        ServerAnswer answer;
        if (_preparing.ContainsKey(catalogId))
        {
            answer = await client.SendAsync("preparedDelivery", HttpMethod.Get, PreparedPath + Uri.EscapeDataString(catalogId), null, cancellationToken).ConfigureAwait(false);
            if (answer.StatusCode == 404)
            {
                // The server forgot the preparation (restarted, evicted): ask again.
                answer = await PostPrepareAsync(catalogId, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            answer = await PostPrepareAsync(catalogId, cancellationToken).ConfigureAwait(false);
        }

        if (!answer.IsSuccess)
        {
            _preparing.TryRemove(catalogId, out _);
            return new PreparedDelivery(PrepareStatus.Error, [], $"prepareDelivery refused by the GetApp server: {connection.Snapshot().LastError?.Message}");
        }

        PrepareDeliveryResDto result;
        try
        {
            result = JsonSerializer.Deserialize(answer.Body, GetAppServerJsonContext.Default.PrepareDeliveryResDto)
                ?? throw new JsonException("empty body");
        }
        catch (JsonException e)
        {
            _preparing.TryRemove(catalogId, out _);
            throw new UpstreamException($"the prepareDelivery answer of {SafeUrl.Masked(answer.BaseUrl)} is not a PrepareDeliveryResDto: {e.Message}", e);
        }

        var prepared = Interpret(catalogId, result, answer.BaseUrl);
        if (prepared.Status == PrepareStatus.Pending && result.Status != "delete")
        {
            _preparing[catalogId] = true;
        }
        else
        {
            _preparing.TryRemove(catalogId, out _);
        }

        LogPrepared(catalogId, result.Status ?? "(none)", SafeUrl.Masked(answer.BaseUrl));
        return prepared;
    }

    /// <summary>The discovery body: identity, enrollment and metadata, and every release the device holds.</summary>
    internal async Task<DiscoveryMessageV2Dto> BuildDiscoveryMessageAsync(DiscoveryRequest request, CancellationToken cancellationToken)
    {
        var enrollment = await device.GetEnrollmentAsync(cancellationToken).ConfigureAwait(false);
        var metadata = await device.GetMetadataAsync(cancellationToken).ConfigureAwait(false);
        // Unknown values are left out rather than sent as null; the server keeps what it had.
        foreach (var key in metadata.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            metadata.Remove(key);
        }

        // In the server's time: it applies the components only when snapshotDate is later than what it stored (its own
        // time at the previous discovery). The upper bound of the estimate is never behind the server's clock.
        var now = serverClock.ToServerUpperBound(timeProvider.GetUtcNow());
        return new DiscoveryMessageV2Dto
        {
            Id = enrollment.DeviceId,
            DiscoveryType = ServerWire.DiscoveryTypeGetApp,
            SnapshotDate = now,
            DeviceTypeToken = enrollment.DeviceType.Count > 0 ? string.Join(',', enrollment.DeviceType) : null,
            Platform = enrollment.Platform.Trim().Length > 0 ? new PlatformDiscoverDto(enrollment.Platform.Trim(), NullIfEmpty(enrollment.PlatformId)) : null,
            General = GeneralDiscovery.From(enrollment.DeviceId, metadata),
            DeviceData = new DeviceDataDto
            {
                SnapshotDate = now,
                DeviceId = enrollment.DeviceId,
                DeviceType = enrollment.DeviceType,
                Platform = NullIfEmpty(enrollment.Platform),
                PlatformId = NullIfEmpty(enrollment.PlatformId),
                UrlGetAppServerAvailable = enrollment.UrlGetAppServerAvailable,
                DeliverySource = enrollment.DeliverySource,
                OrchestrateMe = enrollment.OrchestrateMe,
                ReactiveMode = enrollment.ReactiveMode,
                Metadata = metadata,
            },
            SoftwareData = new DiscoverySoftwareV2Dto(request.Components
                .Where(c => c.State is not ReleaseState.Offering and not ReleaseState.Push)
                .Select(c => new ComponentStateDto(c.CatalogId, Wire.Of(c.State), string.IsNullOrEmpty(c.Error) ? null : c.Error))
                .ToList()),
            SupportedFields = SupportedFieldsOf(metadata),
        };
    }

    private Task<ServerAnswer> PostPrepareAsync(string catalogId, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new PrepareDeliveryReqDto(catalogId, device.DeviceId, ServerWire.ItemTypeSoftware), GetAppServerJsonContext.Default.PrepareDeliveryReqDto);
        return client.SendAsync("prepareDelivery", HttpMethod.Post, PreparePath, body, cancellationToken);
    }

    internal static PreparedDelivery Interpret(string catalogId, PrepareDeliveryResDto result, string baseUrl)
    {
        switch (result.Status)
        {
            case "start" or "inProgress" or "pending" or "delete":
                // "delete" = evicted from the server's cache; the next call prepares again (it is not remembered as polling).
                return new PreparedDelivery(PrepareStatus.Pending, []);
            case "error":
                var code = result.Error?.ErrorCode;
                var message = result.Error?.Message;
                return new PreparedDelivery(PrepareStatus.Error, [],
                    $"the GetApp server could not prepare '{catalogId}': {(code is null ? "" : code + ": ")}{message ?? "no reason given"}");
            case "done":
                break;
            default:
                return new PreparedDelivery(PrepareStatus.Error, [], $"the GetApp server answered prepareDelivery for '{catalogId}' with an unknown status '{result.Status}'");
        }

        var artifacts = new List<PreparedArtifact>();
        foreach (var item in result.Artifacts ?? [])
        {
            if (string.IsNullOrEmpty(item.ItemKey) || string.IsNullOrEmpty(item.Url))
            {
                return new PreparedDelivery(PrepareStatus.Error, [], $"the GetApp server prepared '{catalogId}' with an artifact lacking itemKey or url");
            }

            if (UnsupportedReason(item) is { } unsupported)
            {
                return new PreparedDelivery(PrepareStatus.Error, [], $"unsupported artifact type: {unsupported} (item '{item.ItemKey}' of '{catalogId}'); this agent delivers file artifacts only");
            }

            var source = GetAppServerClient.ResolveArtifactUrl(baseUrl, item.Url);
            if (source is null || source.Scheme is not ("http" or "https"))
            {
                return new PreparedDelivery(PrepareStatus.Error, [], $"the GetApp server gave item '{item.ItemKey}' of '{catalogId}' a URL this agent will not fetch: {SafeUrl.Masked(item.Url)}");
            }

            artifacts.Add(new PreparedArtifact(new ArtifactSpec
            {
                ItemKey = item.ItemKey,
                Url = item.Url,
                Size = item.Size is { } size ? (long)size : null,
                Hash = item.Hash,
                ArtifactType = item.ArtifactType,
                IsExecutable = item.IsExecutable,
                Arguments = item.Arguments,
                MetaData = item.MetaData,
                Signature = item.Signature,
            }, source));
        }

        // No artifacts is a valid answer: a release made only of dependencies (a bundle) has nothing of its own to fetch.
        return new PreparedDelivery(PrepareStatus.Done, artifacts);
    }

    /// <summary>rpm/deb packages come from the device's own repositories and docker images from a registry: not downloaded here.</summary>
    private static string? UnsupportedReason(DeliveryItemDto item)
    {
        var url = SafeUrl.Masked(item.Url);
        if (url.StartsWith("rpm://", StringComparison.OrdinalIgnoreCase) || item.ArtifactType == "rpm")
        {
            return $"rpm package ({url})";
        }

        if (url.StartsWith("deb://", StringComparison.OrdinalIgnoreCase) || item.ArtifactType == "deb")
        {
            return $"deb package ({url})";
        }

        if (item.ArtifactType == "docker_image" || url.StartsWith("docker://", StringComparison.OrdinalIgnoreCase))
        {
            return $"docker image ({url})";
        }

        return null;
    }

    private static List<DeviceFieldDto> SupportedFieldsOf(JsonObject metadata) =>
        metadata.Select(p => new DeviceFieldDto("$." + p.Key, p.Value switch
        {
            JsonObject => "object",
            JsonArray => "array",
            JsonValue v when v.GetValueKind() is JsonValueKind.Number => "number",
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => "string",
        })).ToList();

    private static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;

    [LoggerMessage(EventId = 4010, Level = LogLevel.Debug, Message = "prepareDelivery {CatalogId}: {Status} from {Url}")]
    private partial void LogPrepared(string catalogId, string status, string url);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning,
        Message = "The device clock differs from the GetApp server's by {LearnedSeconds:0.#} s (the discovery was sent assuming {UsedSeconds:0.#} s); sending it again with a server-aligned snapshotDate, as the server ignores component states older than its last discovery")]
    private partial void LogClockSkew(double usedSeconds, double learnedSeconds);
}
