using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Fleet;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Reporting;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream.GetAppServer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Hosting;

/// <summary>
/// The agent's <see cref="ILogger{TCategoryName}"/>s, registered one by one. Left to the container's open <c>Logger&lt;&gt;</c>,
/// each is a type built at run time in the Native AOT binary (the runtime's type loader, milliseconds apiece), and every
/// service the agent starts asks for one before the API answers. Made here, they are plain constructor calls. A test
/// holds this list to every logger a constructor asks for.
/// </summary>
public static class ClosedLoggers
{
    public static IServiceCollection AddClosedLoggers(this IServiceCollection services)
    {
        Add<AutoDeployTrigger>(services);
        Add<ChildCache>(services);
        Add<ChildDiscovery>(services);
        Add<ChildReports>(services);
        Add<DeliveryEngine>(services);
        Add<DeliveryRunner>(services);
        Add<DeployEngine>(services);
        Add<DeployOutcomes>(services);
        Add<DeviceIdentity>(services);
        Add<DiscoveryScheduler>(services);
        Add<DiscoveryService>(services);
        Add<DiskSpaceMonitor>(services);
        Add<EventDispatcher>(services);
        Add<EventHub>(services);
        Add<FleetCommandStore>(services);
        Add<FleetDispatcher>(services);
        Add<FleetEvents>(services);
        Add<FleetJanitor>(services);
        Add<GetAppServerClient>(services);
        Add<GetAppServerUpstream>(services);
        Add<InstallerRunner>(services);
        Add<ManagedChannels>(services);
        Add<ManagedClient>(services);
        Add<ManagedCommandLog>(services);
        Add<ManagedCommandRunner>(services);
        Add<OutboxSender>(services);
        Add<ParentDeliveries>(services);
        Add<ReleaseUninstaller>(services);
        Add<SchemaMigrator>(services);
        return services;
    }

    /// <summary>Registers <see cref="ILogger{T}"/> for <typeparamref name="T"/> as a constructor call (what the open registration would make).</summary>
    public static void Add<T>(IServiceCollection services) =>
        services.TryAddSingleton<ILogger<T>>(sp => new Logger<T>(sp.GetRequiredService<ILoggerFactory>()));
}
