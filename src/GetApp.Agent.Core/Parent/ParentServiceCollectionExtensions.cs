using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Parent;

public static class ParentServiceCollectionExtensions
{
    /// <summary>
    /// Registers the parent face (docs/parent.md): every agent serves the GetApp server routes to child agents, from its
    /// own holdings and its upstream, whatever that upstream is.
    /// </summary>
    public static IServiceCollection AddParent(this IServiceCollection services)
    {
        services.TryAddSingleton(new ParentOptions());
        services.AddSingleton<ArtifactUrlSigner>();
        services.AddSingleton<ChildRegistry>();
        services.AddSingleton<ChildReports>();
        services.AddSingleton<HeldArtifacts>();
        services.AddSingleton<ChildCache>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ChildCache>());
        services.AddSingleton<ParentDeliveries>();
        services.AddSingleton<ChildDiscovery>();
        return services;
    }
}
