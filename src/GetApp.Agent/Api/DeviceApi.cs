namespace GetApp.Agent.Api;

/// <summary>Device identity and data: device, enrollment, metadata.</summary>
internal static class DeviceApi
{
    public static IEndpointRouteBuilder MapDeviceApi(this IEndpointRouteBuilder app) => app;
}
