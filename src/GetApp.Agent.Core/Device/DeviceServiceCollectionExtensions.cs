using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GetApp.Agent.Core.Device;

public static class DeviceServiceCollectionExtensions
{
    /// <summary>Registers the device's identity and data (enrollment, metadata), whatever the upstream.</summary>
    public static IServiceCollection AddDevice(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => DeviceSeed.FromEnvironment(Environment.GetEnvironmentVariable));
        services.TryAddSingleton<DeviceIdentity>();
        services.TryAddSingleton<DeviceService>();
        return services;
    }
}
