using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Upstream.GetAppServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// A GetApp server double speaking real HTTP (and HTTPS) on loopback (docs/getapp-server.md): discovery, prepareDelivery /
/// preparedDelivery, updateDownloadStatus, updateDeployStatus, and the artifact files themselves (presigned-style URLs,
/// Range support). It behaves like the real server where a device can trip: Device-Auth, required fields, enum spellings,
/// the strict <c>general</c> section (stored as the discovery service stores it), <c>snapshotDate</c> compared with its
/// own clock, reports whose <c>currentTime</c> does not increase ignored, values that overflow its 32-bit columns dropped
/// after the 201, signature-only artifacts, bundles with <c>artifacts: []</c>, preparedDelivery never 404. It records
/// everything it receives, and injects faults: down, 500, slow, 401, expired URLs, redirects, a clock ahead.
/// </summary>
public sealed partial class GetAppServerDouble : IAsyncDisposable
{
    private static readonly string[] ItemTypes = ["software", "map", "cache", "config"];
    private static readonly Lazy<X509Certificate2> LazyCertificate = new(CreateCertificate);

    private readonly Lock _lock = new();
    private readonly List<ReceivedRequest> _received = [];
    private readonly List<string> _serverLog = [];
    private readonly Dictionary<string, DoubleRelease> _releases = new(StringComparer.Ordinal);
    private readonly CosignKey _key = new();
    private WebApplication? _app;
    private int _urlGeneration;

    private GetAppServerDouble(string? secret)
    {
        Secret = secret;
    }

    /// <summary>The self-signed certificate of every double's HTTPS port (agents from <see cref="AgentServices"/> trust exactly it).</summary>
    public static X509Certificate2 Certificate => LazyCertificate.Value;

    /// <summary>The secret the double accepts in <c>Device-Auth</c> (null = no check).</summary>
    public string? Secret { get; set; }

    public int Port { get; private set; }
    public int HttpsPort { get; private set; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public string HttpsBaseUrl => $"https://127.0.0.1:{HttpsPort}";

    /// <summary>The double's own clock minus the real one: its <c>Date</c> headers and every time it stores follow it.</summary>
    public TimeSpan ClockOffset { get; set; }

    public DateTimeOffset ServerNow => DateTimeOffset.UtcNow + ClockOffset;

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
    /// While set, every /api request on the plain HTTP port is answered with this redirect status to the same path on the
    /// HTTPS port, as ingresses that force TLS do (ingress-nginx answers 308).
    /// </summary>
    public int? RedirectToHttps { get; set; }

    /// <summary>A redirect of its own for an /api request: (status, Location), or null to answer normally. Runs before everything else.</summary>
    public Func<HttpRequest, (int Status, string Location)?>? Redirect { get; set; }

    public string? LatestConfigSemVer { get; set; }
    public JsonArray Restrictions { get; set; } = [];

    public IReadOnlyList<ReceivedRequest> Received { get { lock (_lock) { return [.. _received]; } } }

    /// <summary>What the real services would have logged (errors storing a report, unknown versions...).</summary>
    public IReadOnlyList<string> ServerLog { get { lock (_lock) { return [.. _serverLog]; } } }

    public static async Task<GetAppServerDouble> StartAsync(string? secret = null)
    {
        var server = new GetAppServerDouble(secret);
        await server.ListenAsync(0, 0);
        return server;
    }

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

    /// <summary>Listens again on the same ports, with everything it had recorded.</summary>
    public Task ComeBackAsync() => ListenAsync(Port, HttpsPort);

    /// <summary>Options for an agent using this double: its URL and a device secret (defaults to the double's).</summary>
    public AgentOptions Configure(AgentOptions options, string? secret = null) =>
        options with { UpstreamUrls = [BaseUrl], DeviceSecret = secret ?? Secret, CatalogDir = null };

    /// <summary>Services for an agent using this double: a fixed device id, short timeouts and backoffs, and trust in its certificate.</summary>
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
            ServerCertificateValidation = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == Certificate.GetCertHashString(),
        });
        more?.Invoke(services);
    };

    /// <summary>
    /// Starts an in-process agent pointed at this double (its own temp data dir unless one is given). It checks signatures
    /// with the double's own key unless <paramref name="cosignPublicKey"/> names another.
    /// </summary>
    public Task<TestAgent> StartAgentAsync(string? dataDir = null, string? secret = null, string deviceId = "dev-test-1", string? cosignPublicKey = null,
        Action<IServiceCollection>? more = null) =>
        TestAgent.StartAsync(dataDir: dataDir, configure: o => Configure(o, secret) with { CosignPublicKey = cosignPublicKey ?? PublicKeyFile },
            configureServices: AgentServices(deviceId, more));

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

    public async ValueTask DisposeAsync()
    {
        await GoDownAsync();
        _key.Dispose();
    }

    private async Task ListenAsync(int port, int httpsPort)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Listen(IPAddress.Loopback, httpsPort, l => l.UseHttps(Certificate));
        });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            // The double's clock, not the machine's, in every answer (the agent estimates the server's time from it).
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.Date = ServerNow.ToString("r");
                return Task.CompletedTask;
            });
            if (context.Request.Path.StartsWithSegments("/api") && await BeforeApiAsync(context))
            {
                return;
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
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Port = new Uri(addresses.First(a => a.StartsWith("http:", StringComparison.Ordinal))).Port;
        HttpsPort = new Uri(addresses.First(a => a.StartsWith("https:", StringComparison.Ordinal))).Port;
        _app = app;
    }

    private static void RequireString(JsonObject body, string name, List<string> problems)
    {
        if (body[name]?.GetValueKind() != JsonValueKind.String || body[name]!.GetValue<string>().Length == 0)
        {
            problems.Add($"{name} must be a string");
        }
    }

    private static void CheckDates(JsonObject body, List<string> problems, string prefix, params string[] names)
    {
        foreach (var name in names)
        {
            if (body[name] is { } value && (value.GetValueKind() != JsonValueKind.String || !IsoDate().IsMatch(value.GetValue<string>())))
            {
                problems.Add($"{prefix}{name} must be a valid ISO 8601 date string");
            }
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
                DateTimeOffset.UtcNow) { Scheme = context.Request.Scheme, Host = context.Request.Host.Host });
        }

        return Task.CompletedTask;
    }

    /// <summary>What a real service logs (to <see cref="ServerLog"/>).</summary>
    private void Log(string line)
    {
        lock (_lock)
        {
            _serverLog.Add($"{ServerNow:O} {line}");
        }
    }

    private static JsonObject Clone(JsonObject o) => (JsonObject)o.DeepClone();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex IsoDate();
}

/// <summary>One request as the double received it: <see cref="DeviceAuth"/> is the header's value, or null when absent.</summary>
public sealed record ReceivedRequest(string Method, string Path, string Query, string? DeviceAuth, JsonObject? Body, int Status, DateTimeOffset At)
{
    public string Scheme { get; init; } = "http";

    /// <summary>The host the request was addressed to (its <c>Host</c> header).</summary>
    public string Host { get; init; } = "";
}
