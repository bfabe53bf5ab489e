using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Reporting;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.GetAppServer;

namespace GetApp.Agent.Api;

/// <summary>
/// Device identity and data (GetApp Agent API V7–V11): <c>GET /api/v2/device</c> (enrollment + metadata, plus how the
/// upstream link is doing), <c>GET/PUT /api/v2/device/enrollment</c> and <c>GET/PUT /api/v2/device/metadata</c>
/// (partial updates, all-or-nothing, 400 naming the first bad field).
/// </summary>
internal static class DeviceApi
{
    public static IEndpointRouteBuilder MapDeviceApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v2/device", GetDeviceAsync);
        app.MapGet("/api/v2/device/enrollment", async (DeviceService device, CancellationToken ct) =>
            Enrollment(await device.GetEnrollmentAsync(ct).ConfigureAwait(false)));
        app.MapPut("/api/v2/device/enrollment", UpdateEnrollmentAsync);
        app.MapGet("/api/v2/device/metadata", async (DeviceService device, CancellationToken ct) =>
            Results.Json(await device.GetMetadataAsync(ct).ConfigureAwait(false), AgentJson.Context.JsonObject));
        app.MapPut("/api/v2/device/metadata", UpdateMetadataAsync);
        return app;
    }

    internal static async Task<IResult> GetDeviceAsync(HttpContext context, DeviceService device, DiscoveryService discovery, IUpstream upstream, CancellationToken cancellationToken)
    {
        var enrollment = await device.GetEnrollmentAsync(cancellationToken).ConfigureAwait(false);
        var body = JsonSerializer.SerializeToNode(enrollment, AgentJson.Context.DeviceEnrollment)!.AsObject();
        body["metadata"] = await device.GetMetadataAsync(cancellationToken).ConfigureAwait(false);
        var (semver, restrictions) = await device.GetServerHintsAsync(cancellationToken).ConfigureAwait(false);
        body["latestConfigSemVer"] = semver;
        body["restrictions"] = restrictions;
        body["lastDiscovery"] = discovery.LastOutcome is { } last
            ? new JsonObject { ["at"] = Date(last.At), ["offered"] = last.Offered, ["error"] = last.Error }
            : null;
        body["upstream"] = await UpstreamAsync(context.RequestServices, upstream, cancellationToken).ConfigureAwait(false);
        return Results.Json(body, AgentJson.Context.JsonObject);
    }

    /// <summary>This agent's addition: the upstream in use and, for a GetApp server, its active URL, last error and outbox.</summary>
    private static async Task<JsonObject> UpstreamAsync(IServiceProvider services, IUpstream upstream, CancellationToken cancellationToken)
    {
        var view = new JsonObject { ["description"] = upstream.Description };
        if (services.GetService<GetAppServerConnection>() is not { } connection)
        {
            return view;
        }

        var snapshot = connection.Snapshot();
        view["urlGetAppServerActive"] = snapshot.ActiveUrl;
        view["lastSuccessAt"] = snapshot.LastSuccessAt is { } ok ? Date(ok) : null;
        view["lastError"] = snapshot.LastError is { } e
            ? new JsonObject { ["at"] = Date(e.At), ["url"] = e.Url, ["operation"] = e.Operation, ["statusCode"] = e.StatusCode, ["message"] = e.Message }
            : null;
        // The server's clock minus this device's, estimated from the server's Date headers (null before the first answer).
        view["serverClock"] = services.GetService<ServerClock>()?.Snapshot() is { } clock
            ? new JsonObject
            {
                ["offsetMs"] = (long)Math.Round(clock.Offset.TotalMilliseconds),
                ["uncertaintyMs"] = (long)Math.Ceiling(clock.Uncertainty.TotalMilliseconds),
                ["measuredAt"] = Date(clock.MeasuredAt),
            }
            : null;
        if (services.GetService<ReportOutbox>() is { } outbox)
        {
            var rejected = services.GetService<OutboxSender>()?.LastRejected;
            view["outbox"] = new JsonObject
            {
                ["pending"] = await outbox.CountAsync(cancellationToken).ConfigureAwait(false),
                ["lastRejected"] = rejected is null ? null : new JsonObject
                {
                    ["at"] = Date(rejected.At), ["path"] = rejected.Path, ["statusCode"] = rejected.StatusCode, ["answer"] = rejected.Answer,
                },
            };
        }

        return view;
    }

    internal static async Task<IResult> UpdateEnrollmentAsync(HttpRequest request, DeviceService device, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var (enrollment, problem) = await device.UpdateEnrollmentAsync(body!, cancellationToken).ConfigureAwait(false);
        return problem is null ? Enrollment(enrollment!) : ApiResults.BadRequest($"invalid enrollment: {problem}");
    }

    internal static async Task<IResult> UpdateMetadataAsync(HttpRequest request, DeviceService device, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var (metadata, problem) = await device.UpdateMetadataAsync(body!, cancellationToken).ConfigureAwait(false);
        return problem is null ? Results.Json(metadata!, AgentJson.Context.JsonObject) : ApiResults.BadRequest($"invalid metadata: {problem}");
    }

    private static IResult Enrollment(DeviceEnrollment enrollment) => Results.Json(enrollment, AgentJson.Context.DeviceEnrollment);

    private static string Date(DateTimeOffset value) => UtcDateTimeOffsetConverter.ToWire(value);
}
