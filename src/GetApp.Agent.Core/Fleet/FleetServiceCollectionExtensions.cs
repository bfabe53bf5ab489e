using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Fleet;

public static class FleetServiceCollectionExtensions
{
    /// <summary>
    /// Registers fleet control (docs/fleet.md): every agent can manage children that ask for it (the parent side), and
    /// can be managed by its upstream parent when its <c>orchestrateMe</c> or <c>reactiveMode</c> is on (the child side).
    /// </summary>
    public static IServiceCollection AddFleet(this IServiceCollection services)
    {
        services.TryAddSingleton(new FleetOptions());
        services.AddSingleton<ManagedChannels>();
        services.AddSingleton<FleetCommandStore>();
        services.AddSingleton<FleetPushes>();
        services.AddSingleton<FleetDispatcher>();
        services.AddSingleton<FleetView>();
        services.AddSingleton<FleetEvents>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<FleetEvents>());
        services.AddSingleton<FleetJanitor>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<FleetJanitor>());

        services.AddSingleton<ManagedCommandLog>();
        services.AddSingleton<ManagedCommandRunner>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ManagedCommandRunner>());
        services.AddSingleton<ManagedClient>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ManagedClient>());
        return services;
    }
}
