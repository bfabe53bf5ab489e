using GetApp.Agent.Core.Hosting;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Delivery;

public static class DeliveryServiceCollectionExtensions
{
    /// <summary>Registers the delivery engine (docs/architecture.md §4).</summary>
    public static IServiceCollection AddDeliveryEngine(this IServiceCollection services)
    {
        // Its own handler: redirects are followed by the downloader (so credentials never cross hosts), no cookies,
        // no automatic decompression (the hash is of the bytes as published), no overall timeout (stalls are detected per read).
        services.AddHttpClient(ArtifactDownloader.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
                ConnectTimeout = TimeSpan.FromSeconds(30),
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            // Per-request framework logs would print presigned URLs; the engine logs what matters, without query strings.
            .RemoveAllLoggers();
        services.AddSingleton(sp => new ArtifactDownloader(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(ArtifactDownloader.HttpClientName), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => CosignVerifier.For(sp.GetRequiredService<AgentOptions>()));
        services.AddSingleton<ArtifactDeliveryStore>();
        services.AddSingleton<SpaceWaitStore>();
        services.AddSingleton<DeliveryRunner>();
        services.AddSingleton<DeliveryEngine>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<DeliveryEngine>());
        return services;
    }
}
