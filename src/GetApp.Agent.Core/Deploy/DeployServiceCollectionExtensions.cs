using Microsoft.Extensions.DependencyInjection;

namespace GetApp.Agent.Core.Deploy;

public static class DeployServiceCollectionExtensions
{
    /// <summary>Registers the deploy engine (ARCHITECTURE §5).</summary>
    public static IServiceCollection AddDeployEngine(this IServiceCollection services) => services;
}
