namespace GetApp.Agent.Api;

/// <summary>Delivery control: start, pause, resume, cancel, delete.</summary>
internal static class DeliveryApi
{
    public static IEndpointRouteBuilder MapDeliveryApi(this IEndpointRouteBuilder app) => app;
}
