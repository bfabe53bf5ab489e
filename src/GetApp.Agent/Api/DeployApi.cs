namespace GetApp.Agent.Api;

/// <summary>Deploy control: start, third-party installer reports, status, uninstall.</summary>
internal static class DeployApi
{
    public static IEndpointRouteBuilder MapDeployApi(this IEndpointRouteBuilder app) => app;
}
