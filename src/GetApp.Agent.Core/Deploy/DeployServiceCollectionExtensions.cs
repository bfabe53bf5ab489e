using GetApp.Agent.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Deploy;

public static class DeployServiceCollectionExtensions
{
    /// <summary>Registers the deploy engine (docs/architecture.md §5).</summary>
    public static IServiceCollection AddDeployEngine(this IServiceCollection services)
    {
        // Seams other parts replace: the device identity service, and the host, which sets the address it listens on.
        services.TryAddSingleton<AgentSelfUrl>();
        services.TryAddSingleton<IAgentUrlProvider>(sp => sp.GetRequiredService<AgentSelfUrl>());

        services.AddSingleton<IReleaseWriteListener, DeployRecordWriter>();
        services.AddSingleton<DeployRecordStore>();
        services.AddSingleton<InstallerRunner>();
        services.AddSingleton<DeployView>();
        services.AddSingleton<DeployOutcomes>();
        services.AddSingleton<DeployEngine>();
        services.AddSingleton<ReleaseUninstaller>();
        services.AddSingleton<AutoDeployTrigger>();
        services.AddSingleton<IHostedService, DeployEngineLifetime>();
        return services;
    }
}
