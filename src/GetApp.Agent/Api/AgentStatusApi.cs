using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Health;

namespace GetApp.Agent.Api;

/// <summary>
/// This agent's additions for dashboards: <c>GET /api/v2/agent/summary</c> (the device at a glance: identity, upstream,
/// last discovery, free space, outbox) and <c>GET /api/v2/agent/notifications</c> (the recent notifications).
/// </summary>
internal static class AgentStatusApi
{
    public static IEndpointRouteBuilder MapAgentStatusApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v2/agent/summary", async (AgentSummaryBuilder summary, CancellationToken ct) =>
            Results.Json(await summary.BuildAsync(ct).ConfigureAwait(false), EventsJson.Context.AgentSummary));
        app.MapGet("/api/v2/agent/notifications", (string? limit, NotificationLog notifications) =>
        {
            var count = int.MaxValue;
            if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count) || count < 1))
            {
                return ApiResults.BadRequest($"limit must be a whole number of at least 1, not '{limit}'");
            }

            return Results.Json(notifications.Recent(count), EventsJson.Context.IReadOnlyListNotificationEvent);
        });
        return app;
    }
}
