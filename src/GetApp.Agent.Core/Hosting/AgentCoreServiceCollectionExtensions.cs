using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Fleet;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.GetAppServer;
using GetApp.Agent.Core.Upstream.OfflineCatalog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Hosting;

public static class AgentCoreServiceCollectionExtensions
{
    /// <summary>Registers the agent's domain: store, lifecycle, upstream and discovery.</summary>
    public static IServiceCollection AddAgentCore(this IServiceCollection services, AgentOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddClosedLoggers();
        services.AddSingleton(options);
        // A factory, so the container disposes it (and releases the data dir lock) when the agent stops.
        services.AddSingleton(_ => new DataDirectory(options.DataDir));
        services.AddSingleton(sp => new AgentDatabase(sp.GetRequiredService<DataDirectory>().Root));
        services.AddSingleton(sp => sp.GetRequiredService<AgentDatabase>().Space);
        services.AddSingleton<IHostedService, DiskSpaceMonitor>();
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<ReleaseStore>();
        services.AddSingleton<ReleaseProgressBoard>();
        services.AddSingleton<ReleaseService>();
        services.AddSingleton<ReleaseGraphLock>();
        services.AddSingleton<LiveSettings>();
        services.AddDevice();
        services.AddGetAppServerUpstream(options);
        services.TryAddSingleton<IUpstream>(_ => options.CatalogDir is { } dir ? new OfflineCatalogUpstream(dir) : new NoUpstream());
        services.AddSingleton<DiscoveryService>();
        services.AddEventsAndHealth();
        services.AddSingleton<IHostedService, DiscoveryScheduler>();
        services.AddDeliveryEngine();
        services.AddDeployEngine();
        services.AddParent();
        services.AddFleet();
        return services;
    }
}
