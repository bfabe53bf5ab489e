using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Health;
using GetApp.Agent.Core.Metrics;

namespace GetApp.Agent.Api;

/// <summary>
/// <c>GET /health/live</c> (the process answers), <c>GET /health/ready</c> (database, data dir, free space; 503 with the
/// AppError fields and every check when not ready) and <c>GET /metrics</c> (Prometheus text format).
/// </summary>
internal static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Text("{\"status\":\"live\"}", "application/json"));
        app.MapGet("/health/ready", async (ReadinessProbe probe, CancellationToken ct) =>
        {
            var report = await probe.CheckAsync(ct).ConfigureAwait(false);
            return Results.Json(report, EventsJson.Context.HealthReport, statusCode: report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/metrics", async (MetricsCollector metrics, CancellationToken ct) =>
            Results.Text(await metrics.CollectAsync(ct).ConfigureAwait(false), PrometheusTextWriter.ContentType));
        return app;
    }
}
