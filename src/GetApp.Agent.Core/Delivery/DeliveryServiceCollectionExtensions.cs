using Microsoft.Extensions.DependencyInjection;

namespace GetApp.Agent.Core.Delivery;

public static class DeliveryServiceCollectionExtensions
{
    /// <summary>Registers the delivery engine (ARCHITECTURE §4).</summary>
    public static IServiceCollection AddDeliveryEngine(this IServiceCollection services) => services;
}
