namespace GetApp.Agent.Dashboard;

/// <summary>
/// Endpoint metadata marking the dashboard's static files. They hold no device data, so they are served without
/// <c>Device-Auth</c>: the page asks for the secret and sends it with every API call and stream it makes.
/// </summary>
internal sealed class DashboardRoute
{
    public static readonly DashboardRoute Instance = new();

    private DashboardRoute()
    {
    }
}
