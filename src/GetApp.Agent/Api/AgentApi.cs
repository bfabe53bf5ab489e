using GetApp.Agent.Dashboard;

namespace GetApp.Agent.Api;

/// <summary>Maps every area of the local API (GetApp Agent API v2), and the dashboard that uses it.</summary>
internal static class AgentApi
{
    public static IEndpointRouteBuilder MapAgentApi(this IEndpointRouteBuilder app)
    {
        app.MapDeviceReleasesApi();
        app.MapOfferingApi();
        app.MapTriggersApi();
        app.MapConfigsApi();
        app.MapDeliveryApi();
        app.MapDeployApi();
        app.MapDeviceApi();
        app.MapEventsApi();
        app.MapAgentStatusApi();
        app.MapHealthApi();
        app.MapParentApi();
        app.MapArtifactsApi();
        app.MapCdnApi();
        app.MapFleetApi();
        app.MapManagedApi();
        app.MapOpenApiDocument();
        app.MapDashboard();
        return app;
    }
}
