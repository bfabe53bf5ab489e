using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Upstream.GetAppServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// A GetApp server double speaking real HTTP on loopback (docs/getapp-server.md): discovery, prepareDelivery /
/// preparedDelivery, updateDownloadStatus, updateDeployStatus, and the artifact files themselves (presigned-style URLs,
/// Range support). It validates like the real server where a device can trip (Device-Auth, required fields, enum
/// spellings, strict <c>general.physicalDevice</c>, reports whose <c>currentTime</c> does not increase are ignored),
/// records everything it receives, and injects faults: down (connection refused), 500, slow, 401, expired URLs.
/// </summary>
public sealed partial class GetAppServerDouble : IAsyncDisposable
{
    private static readonly string[] DeliveryStatuses = ["Start", "Done", "Error", "Cancelled", "Pause", "Continue", "Download", "Deleted"];
    private static readonly string[] DeployStatuses = ["Start", "Done", "Installing", "Continue", "Pause", "Cancelled", "Error", "Uninstall"];
    private static readonly string[] ItemTypes = ["software", "map", "cache", "config"];
    private static readonly string[] ComponentStates = ["offering", "push", "delivery", "downloaded", "deleted", "deploy", "installed", "uninstalled"];

    private readonly Lock _lock = new();
    private readonly List<ReceivedRequest> _received = [];
    private readonly List<JsonObject> _deliveryReports = [];
    private readonly List<JsonObject> _deployReports = [];
    private readonly List<JsonObject> _ignoredReports = [];
    private readonly List<JsonObject> _discoveries = [];
    private readonly Dictionary<string, DateTimeOffset> _lastDeliveryTime = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DoubleRelease> _releases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _preparePolls = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private int _urlGeneration;

    private GetAppServerDouble(string? secret)
    {
        Secret = secret;
    }

    /// <summary>The secret the double accepts in <c>Device-Auth</c> (null = no check).</summary>
    public string? Secret { get; set; }

    public int Port { get; private set; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Every /api request answers 500 while set.</summary>
    public bool FailWith500 { get; set; }

    /// <summary>Every /api request waits this long before answering.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>
    /// While true, the report routes (updateDownloadStatus, updateDeployStatus) drop the connection, as an unreachable
    /// server does, while discovery, prepare and the files still work: a whole delivery can run with its reports offline.
    /// </summary>
    public bool ReportsUnreachable { get; set; }

    /// <summary>
    /// While true, every API route drops the connection (the GetApp server is down) while the artifact files it handed
    /// out stay reachable, as presigned URLs of an object store do.
    /// </summary>
    public bool ApiUnreachable { get; set; }

    /// <summary>
    /// When set, software files are handed out as a real GetApp origin does: with a cosign signature (this function of the
    /// file's bytes) and no hash.
    /// </summary>
    public Func<byte[], string>? SignFiles { get; set; }

    /// <summary>The next this many file answers carry one flipped byte (damaged on the way; same length, same ETag).</summary>
    public int CorruptFileAnswers;

    /// <summary>prepareDelivery answers <c>start</c>, then preparedDelivery <c>inProgress</c> this many times, then <c>done</c>.</summary>
    public int PreparePolls { get; set; }

    public string? LatestConfigSemVer { get; set; }
    public JsonArray Restrictions { get; set; } = [];

    public IReadOnlyList<ReceivedRequest> Received { get { lock (_lock) { return [.. _received]; } } }
    public IReadOnlyList<JsonObject> DeliveryReports { get { lock (_lock) { return [.. _deliveryReports.Select(Clone)]; } } }
    public IReadOnlyList<JsonObject> DeployReports { get { lock (_lock) { return [.. _deployReports.Select(Clone)]; } } }

    /// <summary>Delivery reports the real server would ignore (no <c>currentTime</c>, or not later than the stored one).</summary>
    public IReadOnlyList<JsonObject> IgnoredReports { get { lock (_lock) { return [.. _ignoredReports.Select(Clone)]; } } }

    public IReadOnlyList<JsonObject> Discoveries { get { lock (_lock) { return [.. _discoveries.Select(Clone)]; } } }

    public static async Task<GetAppServerDouble> StartAsync(string? secret = null)
    {
        var server = new GetAppServerDouble(secret);
        await server.ListenAsync(0);
        return server;
    }

    /// <summary>Offers a release. Files are served by the double itself; <paramref name="rawArtifacts"/> adds artifacts as given (rpm://, docker).</summary>
    public GetAppServerDouble AddRelease(string catalogId, bool isPush = false, string[]? dependedOnBy = null, IReadOnlyDictionary<string, byte[]>? files = null,
        string? executable = null, string? arguments = null, bool? available = null, JsonObject? metadata = null, JsonArray? rawArtifacts = null)
    {
        lock (_lock)
        {
            _releases[catalogId] = new DoubleRelease(catalogId, isPush, dependedOnBy ?? [], files ?? new Dictionary<string, byte[]>(), executable, arguments, available, metadata, rawArtifacts);
        }

        return this;
    }

    public void RemoveRelease(string catalogId)
    {
        lock (_lock)
        {
            _releases.Remove(catalogId);
        }
    }

    /// <summary>Makes the server answer prepareDelivery for <paramref name="catalogId"/> with <c>status: error</c>.</summary>
    public void FailPreparation(string catalogId, string errorCode, string message)
    {
        lock (_lock)
        {
            _releases[catalogId] = _releases[catalogId] with { PrepareError = (errorCode, message) };
        }
    }

    /// <summary>Every artifact URL handed out so far now answers 403, as an expired presigned URL does.</summary>
    public void ExpireUrls() => Interlocked.Increment(ref _urlGeneration);

    /// <summary>Stops listening: connections are refused, as when the server is down.</summary>
    public async Task GoDownAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Listens again on the same port, with everything it had recorded.</summary>
    public Task ComeBackAsync() => ListenAsync(Port);

    /// <summary>Options for an agent using this double: its URL and a device secret (defaults to the double's).</summary>
    public AgentOptions Configure(AgentOptions options, string? secret = null) =>
        options with { UpstreamUrls = [BaseUrl], DeviceSecret = secret ?? Secret, CatalogDir = null };

    /// <summary>Services for an agent using this double: a fixed device id and short timeouts and backoffs.</summary>
    public static Action<IServiceCollection> AgentServices(string deviceId = "dev-test-1", Action<IServiceCollection>? more = null) => services =>
    {
        services.AddSingleton(new DeviceSeed { DeviceId = deviceId, DeviceTypes = ["agent_linux", "zone-a"], Platform = "field-unit", PlatformId = "SN-1", MachineIdPath = "/nonexistent" });
        services.AddSingleton(sp => new GetAppServerOptions
        {
            Urls = sp.GetRequiredService<AgentOptions>().UpstreamUrls,
            DeviceSecret = sp.GetRequiredService<AgentOptions>().DeviceSecret,
            RequestTimeout = TimeSpan.FromSeconds(3),
            OutboxRetryMin = TimeSpan.FromMilliseconds(100),
            OutboxRetryMax = TimeSpan.FromMilliseconds(500),
            OutboxIdlePoll = TimeSpan.FromMilliseconds(200),
        });
        more?.Invoke(services);
    };

    /// <summary>Starts an in-process agent pointed at this double (its own temp data dir unless one is given).</summary>
    public Task<TestAgent> StartAgentAsync(string? dataDir = null, string? secret = null, string deviceId = "dev-test-1", string? cosignPublicKey = null) =>
        TestAgent.StartAsync(dataDir: dataDir, configure: o => Configure(o, secret) with { CosignPublicKey = cosignPublicKey }, configureServices: AgentServices(deviceId));

    /// <summary>Polls until <paramref name="condition"/> holds, or fails with <paramref name="what"/>.</summary>
    public async Task WaitForAsync(Func<GetAppServerDouble, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (condition(this))
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"the server double never saw: {what}. Received: {string.Join(", ", Received.Select(r => $"{r.Method} {r.Path} {r.Status}"))}");
    }

    public async ValueTask DisposeAsync() => await GoDownAsync();

    private async Task ListenAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api"))
            {
                if (Delay > TimeSpan.Zero)
                {
                    await Task.Delay(Delay, context.RequestAborted);
                }

                if (ApiUnreachable || (ReportsUnreachable && context.Request.Path.Value!.EndsWith("Status", StringComparison.Ordinal)))
                {
                    await Record(context, null, 0);
                    context.Abort();
                    return;
                }

                if (FailWith500)
                {
                    await Record(context, null, 500);
                    context.Response.StatusCode = 500;
                    await context.Response.WriteAsJsonAsync(new JsonObject { ["statusCode"] = 500, ["message"] = "Internal server error" });
                    return;
                }

                if (Secret is not null && context.Request.Headers["Device-Auth"].ToString() != Secret)
                {
                    await Record(context, null, 401);
                    context.Response.StatusCode = 401;
                    await context.Response.WriteAsJsonAsync(new JsonObject { ["statusCode"] = 401, ["message"] = "Unauthorized" });
                    return;
                }
            }

            await next(context);
        });
        app.MapPost("/api/v2/device/discover/component", (Func<HttpContext, Task<IResult>>)DiscoverAsync);
        app.MapPost("/api/v2/delivery/prepareDelivery", (Func<HttpContext, Task<IResult>>)PrepareAsync);
        app.MapGet("/api/v2/delivery/preparedDelivery/{catalogId}", PreparedAsync);
        app.MapPost("/api/v2/delivery/updateDownloadStatus", (Func<HttpContext, Task<IResult>>)DeliveryStatusAsync);
        app.MapPost("/api/v2/deploy/updateDeployStatus", (Func<HttpContext, Task<IResult>>)DeployStatusAsync);
        app.MapGet("/files/{generation:int}/{catalogId}/{name}", FileAsync);
        await app.StartAsync();
        Port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    private async Task<IResult> DiscoverAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        var problems = new List<string>();
        if (body is null)
        {
            problems.Add("body must be a JSON object");
        }
        else
        {
            RequireString(body, "id", problems);
            if (body["discoveryType"]?.GetValue<string>() is not ("get-app" or "get-map" or "mTls"))
            {
                problems.Add("discoveryType must be one of the following values: get-app, get-map, mTls");
            }

            if (body["deviceTypeToken"] is { } token && token.GetValueKind() != JsonValueKind.String)
            {
                problems.Add("deviceTypeToken must be a string");
            }

            if (body["platform"] is JsonObject platform && platform["token"]?.GetValueKind() != JsonValueKind.String)
            {
                problems.Add("platform.token must be a string");
            }

            if (body["general"]?["physicalDevice"] is JsonObject physical)
            {
                CheckPhysicalDevice(physical, problems);
            }

            foreach (var component in body["softwareData"]?["components"]?.AsArray() ?? [])
            {
                if (component?["catalogId"]?.GetValueKind() != JsonValueKind.String)
                {
                    problems.Add("softwareData.components.catalogId must be a string");
                }

                if (!ComponentStates.Contains(component?["state"]?.GetValue<string>()))
                {
                    problems.Add($"softwareData.components.state must be one of the following values: {string.Join(", ", ComponentStates)}");
                }
            }
        }

        if (problems.Count > 0)
        {
            return await BadRequestAsync(context, body, problems);
        }

        await Record(context, body, 201);
        lock (_lock)
        {
            _discoveries.Add(Clone(body!));
            var releases = new JsonArray();
            foreach (var release in _releases.Values)
            {
                var entry = new JsonObject
                {
                    ["release"] = ReleaseJson(release),
                    ["isPush"] = release.IsPush,
                    ["hierarchyTrees"] = new JsonArray(),
                    ["dependedOnBy"] = new JsonArray([.. release.DependedOnBy.Select(d => (JsonNode?)d)]),
                };
                if (release.Available is { } available)
                {
                    entry["available"] = available;
                }

                releases.Add(entry);
            }

            return Results.Json(new JsonObject
            {
                ["offer"] = new JsonArray(),
                ["push"] = new JsonArray(),
                ["releases"] = releases,
                ["restrictions"] = Restrictions.DeepClone(),
                ["latestConfigSemVer"] = LatestConfigSemVer,
                ["configDeviceIds"] = new JsonArray(),
            }, statusCode: 201);
        }
    }

    private async Task<IResult> PrepareAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        var problems = new List<string>();
        if (body is null)
        {
            problems.Add("body must be a JSON object");
        }
        else
        {
            RequireString(body, "catalogId", problems);
            RequireString(body, "deviceId", problems);
            if (!ItemTypes.Contains(body["itemType"]?.GetValue<string>()))
            {
                problems.Add("itemType must be one of the following values: software, map, cache, config");
            }
        }

        if (problems.Count > 0)
        {
            return await BadRequestAsync(context, body, problems);
        }

        await Record(context, body, 201);
        var catalogId = body!["catalogId"]!.GetValue<string>();
        lock (_lock)
        {
            _preparePolls[catalogId] = PreparePolls;
        }

        return Results.Json(PreparedAnswer(context, catalogId, first: true), statusCode: 201);
    }

    private async Task<IResult> PreparedAsync(HttpContext context, string catalogId)
    {
        await Record(context, null, 200);
        return Results.Json(PreparedAnswer(context, catalogId, first: false));
    }

    private JsonObject PreparedAnswer(HttpContext context, string catalogId, bool first)
    {
        lock (_lock)
        {
            if (!_releases.TryGetValue(catalogId, out var release))
            {
                return new JsonObject
                {
                    ["catalogId"] = catalogId, ["status"] = "error",
                    ["error"] = new JsonObject { ["errorCode"] = "DELIVERY.notFound", ["message"] = $"Release {catalogId} not found" },
                };
            }

            if (release.PrepareError is { } error)
            {
                return new JsonObject
                {
                    ["catalogId"] = catalogId, ["status"] = "error",
                    ["error"] = new JsonObject { ["errorCode"] = error.Code, ["message"] = error.Message },
                };
            }

            var polls = _preparePolls.GetValueOrDefault(catalogId);
            if (polls > 0)
            {
                if (!first)
                {
                    _preparePolls[catalogId] = polls - 1;
                }

                return new JsonObject { ["catalogId"] = catalogId, ["status"] = first ? "start" : "inProgress", ["progress"] = first ? 0 : 50 };
            }

            var artifacts = new JsonArray();
            foreach (var (name, content) in release.Files)
            {
                var item = new JsonObject
                {
                    ["catalogId"] = catalogId,
                    ["itemKey"] = $"{catalogId}@{name}",
                    ["artifactType"] = "software",
                    ["url"] = FileUrl(catalogId, name),
                    ["size"] = content.Length,
                    ["hash"] = new JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = Convert.ToHexStringLower(SHA256.HashData(content)) },
                    ["isExecutable"] = name == release.Executable,
                    ["metaData"] = "{}",
                };
                if (SignFiles is { } sign)
                {
                    item.Remove("hash");
                    item["signature"] = sign(content);
                }

                if (name == release.Executable && release.Arguments is not null)
                {
                    item["arguments"] = release.Arguments;
                }

                artifacts.Add(item);
            }

            foreach (var raw in release.RawArtifacts ?? [])
            {
                artifacts.Add(raw?.DeepClone());
            }

            return new JsonObject { ["catalogId"] = catalogId, ["status"] = "done", ["progress"] = 100, ["artifacts"] = artifacts };
        }
    }

    /// <summary>A presigned-style URL: the generation in the path expires with <see cref="ExpireUrls"/>; the query must arrive intact.</summary>
    public string FileUrl(string catalogId, string name) =>
        $"{BaseUrl}/files/{_urlGeneration}/{Uri.EscapeDataString(catalogId)}/{Uri.EscapeDataString(name)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=600&X-Amz-Signature=sig{_urlGeneration}";

    private async Task<IResult> FileAsync(HttpContext context, int generation, string catalogId, string name)
    {
        var intact = context.Request.Query["X-Amz-Signature"] == $"sig{generation}" && context.Request.Query["X-Amz-Expires"] == "600";
        var status = generation != _urlGeneration || !intact ? 403 : 200;
        byte[]? content = null;
        lock (_lock)
        {
            if (_releases.TryGetValue(catalogId, out var release))
            {
                release.Files.TryGetValue(name, out content);
            }
        }

        status = status == 200 && content is null ? 404 : status;
        await Record(context, null, status);
        if (status != 200)
        {
            return Results.Text(status == 403 ? "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>" : "not found",
                "application/xml", statusCode: status);
        }

        var etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(content!))[..16]}\"");
        if (Interlocked.Decrement(ref CorruptFileAnswers) >= 0)
        {
            content = [.. content!];
            content[content.Length / 2] ^= 0xFF;
        }

        return Results.File(content!, "application/octet-stream", enableRangeProcessing: true, entityTag: etag,
            lastModified: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }

    private async Task<IResult> DeliveryStatusAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        var problems = CheckReport(body, "deliveryStatus", DeliveryStatuses, "downloadStart", "downloadStop", "downloadDone", "currentTime");
        if (problems.Count > 0)
        {
            return await BadRequestAsync(context, body, problems);
        }

        await Record(context, body, 201);
        lock (_lock)
        {
            // delivery_status is unique per (device, catalogId, itemKey) and only updated when currentTime is later (§4.2).
            var key = $"{body!["deviceId"]}|{body["catalogId"]}|{body["itemKey"]?.GetValue<string>() ?? "gpkg"}";
            var time = body["currentTime"] is { } t ? DateTimeOffset.Parse(t.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
            if (time is null || (_lastDeliveryTime.TryGetValue(key, out var last) && time <= last))
            {
                _ignoredReports.Add(Clone(body));
            }
            else
            {
                _lastDeliveryTime[key] = time.Value;
                _deliveryReports.Add(Clone(body));
            }
        }

        return Results.StatusCode(201);
    }

    private async Task<IResult> DeployStatusAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        var problems = CheckReport(body, "deployStatus", DeployStatuses, "deployStart", "deployStop", "deployDone", "currentTime");
        if (body?["progress"] is { } p && (p.GetValueKind() != JsonValueKind.Number || p.GetValue<double>() is < 0 or > 100 || p.GetValue<double>() % 1 != 0))
        {
            problems.Add("progress must be an integer between 0 and 100");
        }

        if (problems.Count > 0)
        {
            return await BadRequestAsync(context, body, problems);
        }

        await Record(context, body, 201);
        lock (_lock)
        {
            _deployReports.Add(Clone(body!));
        }

        return Results.StatusCode(201);
    }

    /// <summary>What the server's delivery and deploy status DTOs share: ids, the status enum, the item type, ISO dates.</summary>
    private static List<string> CheckReport(JsonObject? body, string statusField, string[] statuses, params string[] dateFields)
    {
        var problems = new List<string>();
        if (body is null)
        {
            problems.Add("body must be a JSON object");
            return problems;
        }

        RequireString(body, "deviceId", problems);
        RequireString(body, "catalogId", problems);
        if (!statuses.Contains(body[statusField]?.GetValue<string>()))
        {
            problems.Add($"{statusField} must be one of the following values: {string.Join(", ", statuses)}");
        }

        if (!ItemTypes.Contains(body["type"]?.GetValue<string>()))
        {
            problems.Add("type must be one of the following values: software, map, cache, config");
        }

        CheckDates(body, problems, dateFields);
        return problems;
    }

    private static void CheckPhysicalDevice(JsonObject physical, List<string> problems)
    {
        if (physical["MAC"] is { } mac && !MacPattern().IsMatch(mac.GetValue<string>()))
        {
            problems.Add("general.physicalDevice.MAC must match /^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})$/");
        }

        if (physical["IP"] is { } ip && !IPAddress.TryParse(ip.GetValue<string>(), out _))
        {
            problems.Add("general.physicalDevice.IP must be an ip address");
        }

        if (physical["OS"] is { } os && os.GetValue<string>() is not ("android" or "windows" or "linux" or "macos"))
        {
            problems.Add("general.physicalDevice.OS must be one of the following values: android, windows, linux, macos");
        }
    }

    private static void CheckDates(JsonObject body, List<string> problems, params string[] names)
    {
        foreach (var name in names)
        {
            if (body[name] is { } value && (value.GetValueKind() != JsonValueKind.String || !IsoDate().IsMatch(value.GetValue<string>())))
            {
                problems.Add($"{name} must be a valid ISO 8601 date string");
            }
        }
    }

    private static void RequireString(JsonObject body, string name, List<string> problems)
    {
        if (body[name]?.GetValueKind() != JsonValueKind.String || body[name]!.GetValue<string>().Length == 0)
        {
            problems.Add($"{name} must be a string");
        }
    }

    private async Task<IResult> BadRequestAsync(HttpContext context, JsonObject? body, List<string> problems)
    {
        await Record(context, body, 400);
        return Results.Json(new JsonObject
        {
            ["statusCode"] = 400,
            ["message"] = new JsonArray([.. problems.Select(p => (JsonNode?)p)]),
            ["error"] = "Bad Request",
        }, statusCode: 400);
    }

    private JsonObject ReleaseJson(DoubleRelease release)
    {
        var (name, version) = (release.CatalogId.Split('@')[0], release.CatalogId.Split('@')[^1]);
        var projectName = name.Split('.', 2)[^1];
        return new JsonObject
        {
            ["id"] = release.CatalogId,
            ["version"] = version,
            ["projectId"] = int.TryParse(name.Split('.')[0], out var id) ? id : 0,
            ["projectName"] = projectName,
            ["displayName"] = projectName,
            ["status"] = "released",
            ["type"] = "product",
            ["projectTypeV2"] = "application",
            ["size"] = release.Files.Values.Sum(f => (long)f.Length),
            ["latest"] = true,
            ["createdAt"] = "2026-01-01T00:00:00.000Z",
            ["updatedAt"] = "2026-01-01T00:00:00.000Z",
            ["releasedAt"] = "2026-01-01T00:00:00.000Z",
            ["metadata"] = release.Metadata?.DeepClone() ?? new JsonObject(),
            ["policies"] = new JsonArray(),
        };
    }

    private static async Task<JsonObject?> ReadAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private Task Record(HttpContext context, JsonObject? body, int status)
    {
        lock (_lock)
        {
            _received.Add(new ReceivedRequest(
                context.Request.Method,
                context.Request.Path.Value ?? "",
                context.Request.QueryString.Value ?? "",
                context.Request.Headers.TryGetValue("Device-Auth", out var auth) ? auth.ToString() : null,
                body is null ? null : Clone(body),
                status,
                DateTimeOffset.UtcNow));
        }

        return Task.CompletedTask;
    }

    private static JsonObject Clone(JsonObject o) => (JsonObject)o.DeepClone();

    [GeneratedRegex("^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})$")]
    private static partial Regex MacPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex IsoDate();

    private sealed record DoubleRelease(string CatalogId, bool IsPush, string[] DependedOnBy, IReadOnlyDictionary<string, byte[]> Files,
        string? Executable, string? Arguments, bool? Available, JsonObject? Metadata, JsonArray? RawArtifacts)
    {
        public (string Code, string Message)? PrepareError { get; init; }
    }
}

/// <summary>One request as the double received it: <see cref="DeviceAuth"/> is the header's value, or null when absent.</summary>
public sealed record ReceivedRequest(string Method, string Path, string Query, string? DeviceAuth, JsonObject? Body, int Status, DateTimeOffset At);
