using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.GetAppServer;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Parent;

/// <summary>A discovery answer for a child: the HTTP status and the body (a <c>DeviceComponentsOfferingDto</c>, or the upstream's error).</summary>
public sealed record ChildDiscoveryAnswer(int StatusCode, JsonNode? Body, IReadOnlyList<string>? Problems = null);

/// <summary>
/// A child's discovery (<c>POST /api/v2/device/discover/component</c> on this agent). The child is recorded in the
/// registry; when this agent has a GetApp server (or parent) upstream that answers, the child's own message is relayed
/// as it is (its identity, device type and platform), and the answer is kept for that child and passed back. When the
/// upstream is absent or cannot be reached, the child is answered from the last answer kept for it, together with every
/// release this agent holds (and their dependencies): what the site can still install while it is cut off.
/// </summary>
public sealed partial class ChildDiscovery(
    ChildRegistry registry,
    ReleaseService releases,
    ParentOptions options,
    TimeProvider timeProvider,
    ILogger<ChildDiscovery> logger,
    GetAppServerClient? client = null,
    GetAppServerConnection? connection = null,
    ServerClock? serverClock = null,
    Fleet.FleetPushes? pushes = null)
{
    private const string DiscoverPath = "/api/v2/device/discover/component";
    private static readonly string[] DiscoveryTypes = ["get-app", "get-map", "mTls"];
    private static readonly string[] ComponentStates = ["offering", "push", "delivery", "downloaded", "deleted", "deploy", "installed", "uninstalled"];

    private int _relayFailing;

    public async Task<ChildDiscoveryAnswer> DiscoverAsync(JsonObject message, string? address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var problems = Check(message);
        if (problems.Count > 0)
        {
            return new ChildDiscoveryAnswer(400, null, problems);
        }

        var facts = FactsOf(message);
        await registry.RecordDiscoveryAsync(facts, address, cancellationToken).ConfigureAwait(false);
        if (client is not null && !RecentlyUnreachable())
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.RelayTimeout);
            try
            {
                var answer = await client.SendAsync("child discovery", HttpMethod.Post, DiscoverPath, Encoding.UTF8.GetBytes((await RelayedAsync(message, facts.DeviceId, registry, serverClock, cancellationToken).ConfigureAwait(false)).ToJsonString()), timeout.Token).ConfigureAwait(false);
                if (answer.IsSuccess && Parse(answer.Body) is JsonObject offering)
                {
                    await registry.SaveOfferingAsync(facts.DeviceId, offering.ToJsonString(), cancellationToken).ConfigureAwait(false);
                    if (Interlocked.Exchange(ref _relayFailing, 0) == 1)
                    {
                        LogRelayBack();
                    }

                    // What the operator pushed to this child is part of its offering (docs/fleet.md); kept apart from the upstream's.
                    return new ChildDiscoveryAnswer(201, pushes is null ? offering : await pushes.MergeAsync(facts.DeviceId, offering, cancellationToken).ConfigureAwait(false));
                }

                if (answer.StatusCode is >= 400 and < 500 and not (401 or 403 or 408 or 429))
                {
                    // The server refused the child's own message: the child should hear why.
                    return new ChildDiscoveryAnswer(answer.StatusCode, Parse(answer.Body) ?? JsonValue.Create(answer.Body));
                }

                NoteRelayFailed($"the upstream answered {answer.StatusCode}");
            }
            catch (UpstreamException e)
            {
                NoteRelayFailed(e.Message);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                NoteRelayFailed($"no answer within {options.RelayTimeout.TotalSeconds:0.#} s");
            }
        }

        var local = await LocalAnswerAsync(facts.DeviceId, cancellationToken).ConfigureAwait(false);
        return new ChildDiscoveryAnswer(201, pushes is null ? local : await pushes.MergeAsync(facts.DeviceId, local, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The last answer kept for the child, plus every release held here (with its dependencies) that it does not list.</summary>
    internal async Task<JsonObject> LocalAnswerAsync(string deviceId, CancellationToken cancellationToken)
    {
        var cached = await registry.FindOfferingAsync(deviceId, cancellationToken).ConfigureAwait(false);
        var entries = new JsonArray();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in cached?["releases"] as JsonArray ?? [])
        {
            if (entry is JsonObject { } e && e["release"] is JsonObject release && release["id"] is JsonValue id && id.TryGetValue<string>(out var text) && listed.Add(text))
            {
                entries.Add(entry.DeepClone());
            }
        }

        var all = (await releases.ListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.CatalogId, StringComparer.Ordinal);
        var offer = new List<ReleaseRecord>();
        var pending = new Stack<ReleaseRecord>(all.Values.Where(HeldArtifacts.IsHeld));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryPop(out var release))
        {
            if (!seen.Add(release.CatalogId))
            {
                continue;
            }

            offer.Add(release);
            foreach (var dependency in release.Dependencies)
            {
                if (all.TryGetValue(dependency, out var record))
                {
                    pending.Push(record);
                }
            }
        }

        foreach (var release in offer.OrderBy(r => r.CatalogId, StringComparer.Ordinal))
        {
            if (!listed.Add(release.CatalogId))
            {
                continue;
            }

            var dependedOnBy = new JsonArray();
            foreach (var other in offer.Where(o => o.Dependencies.Contains(release.CatalogId)).OrderBy(o => o.CatalogId, StringComparer.Ordinal))
            {
                dependedOnBy.Add((JsonNode)JsonValue.Create(other.CatalogId));
            }

            entries.Add((JsonNode)new JsonObject
            {
                ["release"] = release.Release.DeepClone(),
                ["isPush"] = release.IsPush,
                ["hierarchyTrees"] = release.HierarchyTrees?.DeepClone() ?? new JsonArray(),
                ["dependedOnBy"] = dependedOnBy,
            });
        }

        return new JsonObject
        {
            ["offer"] = new JsonArray(),
            ["push"] = new JsonArray(),
            ["releases"] = entries,
            ["restrictions"] = cached?["restrictions"]?.DeepClone() ?? new JsonArray(),
            ["latestConfigSemVer"] = cached?["latestConfigSemVer"]?.DeepClone(),
            ["configDeviceIds"] = new JsonArray(),
        };
    }

    /// <summary>The checks of the server's <c>DiscoveryMessageV2Dto</c> that a child's message can fail.</summary>
    internal static List<string> Check(JsonObject message)
    {
        var problems = new List<string>();
        if (!(message["id"] is JsonValue id && id.TryGetValue<string>(out var text) && text.Trim().Length is > 0 and <= 200))
        {
            problems.Add("id must be a string (the device id, at most 200 characters)");
        }

        if (!(message["discoveryType"] is JsonValue type && type.TryGetValue<string>(out var kind) && DiscoveryTypes.Contains(kind)))
        {
            problems.Add($"discoveryType must be one of the following values: {string.Join(", ", DiscoveryTypes)}");
        }

        if (message["deviceTypeToken"] is { } token && token.GetValueKind() != JsonValueKind.String)
        {
            problems.Add("deviceTypeToken must be a string");
        }

        if (message["platform"] is { } platform && !(platform is JsonObject p && p["token"]?.GetValueKind() == JsonValueKind.String))
        {
            problems.Add("platform.token must be a string");
        }

        if (message["deviceData"] is { } data && data is not JsonObject)
        {
            problems.Add("deviceData must be an object");
        }

        if (message["softwareData"] is { } software && !(software is JsonObject s && s["components"] is null or JsonArray))
        {
            problems.Add("softwareData.components must be an array");
        }

        foreach (var component in (message["softwareData"] as JsonObject)?["components"] as JsonArray ?? [])
        {
            if (component is not JsonObject)
            {
                problems.Add("softwareData.components must hold objects");
                break;
            }

            if (!(component["catalogId"] is JsonValue c && c.TryGetValue<string>(out var catalogId) && CatalogIdRules.IsWellFormed(catalogId, out _)))
            {
                problems.Add("softwareData.components.catalogId must be a valid catalog id");
                break;
            }

            if (!(component["state"] is JsonValue st && st.TryGetValue<string>(out var state) && ComponentStates.Contains(state)))
            {
                problems.Add($"softwareData.components.state must be one of the following values: {string.Join(", ", ComponentStates)}");
                break;
            }
        }

        return problems;
    }

    internal static ChildDiscoveryFacts FactsOf(JsonObject message)
    {
        var data = message["deviceData"] as JsonObject;
        var types = message["deviceTypeToken"] is JsonValue token && token.TryGetValue<string>(out var joined)
            ? joined.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : (data?["deviceType"] as JsonArray)?.Select(t => t is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToArray() ?? [];
        var components = ((message["softwareData"] as JsonObject)?["components"] as JsonArray ?? [])
            .Select(c => new ChildComponent(c!["catalogId"]!.GetValue<string>(), c["state"]!.GetValue<string>(),
                c["error"] is JsonValue e && e.TryGetValue<string>(out var error) ? error : null))
            .GroupBy(c => c.CatalogId, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        return new ChildDiscoveryFacts(
            message["id"]!.GetValue<string>().Trim(),
            types,
            Text(message["platform"]?["token"]) ?? Text(data?["platform"]),
            Text(message["platform"]?["platformId"]) ?? Text(data?["platformId"]),
            data?.DeepClone() as JsonObject,
            components);
    }

    /// <summary>
    /// The child's message as it goes upstream: unchanged but for its snapshot dates, moved into the upstream's clock
    /// (upper bound: the server applies the child's components only when its snapshotDate is later than the last one it
    /// stored, and the child built it in this agent's clock), and never earlier than the last one relayed for the child:
    /// the estimate of the upstream's clock may have moved back since (<see cref="ChildRegistry.NextRelayedSnapshotAsync"/>).
    /// </summary>
    internal static async Task<JsonObject> RelayedAsync(JsonObject message, string deviceId, ChildRegistry registry, ServerClock? serverClock,
        CancellationToken cancellationToken)
    {
        if (serverClock is null)
        {
            return message;
        }

        var relayed = (JsonObject)message.DeepClone();
        var offset = serverClock.UpperBoundOffset;
        if (relayed["snapshotDate"] is JsonValue top && top.TryGetValue<string>(out var text) && ChildTimes.Parse(text) is { } date)
        {
            var next = await registry.NextRelayedSnapshotAsync(deviceId, date + offset, cancellationToken).ConfigureAwait(false);
            relayed["snapshotDate"] = Contracts.UtcDateTimeOffsetConverter.ToWire(next);
            // The same snapshot, the same date (the child sends one value in both places).
            ChildTimes.Convert(relayed["deviceData"] as JsonObject, ["snapshotDate"], d => d == date ? next : ChildRegistry.NotBefore(d + offset, null));
        }
        else
        {
            ChildTimes.Convert(relayed["deviceData"] as JsonObject, ["snapshotDate"], d => d + offset);
        }

        return relayed;
    }

    /// <summary>True while the upstream's last failure (network or 5xx) is newer than its last success and recent: children are answered at once.</summary>
    private bool RecentlyUnreachable()
    {
        if (connection?.Snapshot() is not { LastError: { } error } snapshot)
        {
            return false;
        }

        return error.StatusCode is null or >= 500
            && (snapshot.LastSuccessAt is null || snapshot.LastSuccessAt < error.At)
            && timeProvider.GetUtcNow() - error.At < options.RelayQuietAfterFailure;
    }

    private void NoteRelayFailed(string reason)
    {
        if (Interlocked.Exchange(ref _relayFailing, 1) == 0)
        {
            LogRelayFailed(reason);
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0 ? s.Trim() : null;

    private static JsonNode? Parse(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 6030, Level = LogLevel.Warning, Message = "Children's discoveries cannot be relayed ({Reason}); they are answered from what this agent holds")]
    private partial void LogRelayFailed(string reason);

    [LoggerMessage(EventId = 6031, Level = LogLevel.Information, Message = "Children's discoveries are relayed to the upstream again")]
    private partial void LogRelayBack();
}
