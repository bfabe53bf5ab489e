using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Reporting;
using GetApp.Agent.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Upstream.GetAppServer;

public static class GetAppServerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the GetApp server upstream when <see cref="AgentOptions.UpstreamUrls"/> is set (docs/architecture.md §3), with
    /// the report outbox (its write listener and sender). An offline catalog and a server at once is refused: the device
    /// would report to a server releases it took from elsewhere.
    /// </summary>
    public static IServiceCollection AddGetAppServerUpstream(this IServiceCollection services, AgentOptions options)
    {
        if (options.UpstreamUrls.Count == 0)
        {
            return services;
        }

        if (options.CatalogDir is not null)
        {
            throw new InvalidOperationException(
                $"Both an offline catalog (--catalog {options.CatalogDir}) and a GetApp server (--upstream {string.Join(",", options.UpstreamUrls)}) are configured; " +
                "give only one (unset GETAPP_CATALOG, or GETAPP_UPSTREAM / BASE_URL).");
        }

        foreach (var url in options.UpstreamUrls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new InvalidOperationException($"The GetApp server URL '{url}' is not an http(s) URL (--upstream, GETAPP_UPSTREAM or BASE_URL).");
            }
        }

        services.TryAddSingleton(new GetAppServerOptions { Urls = options.UpstreamUrls, DeviceSecret = options.DeviceSecret });
        services.TryAddSingleton(sp => new GetAppServerConnection(sp.GetRequiredService<GetAppServerOptions>().Urls));
        services.TryAddSingleton<ServerClock>();
        services.TryAddSingleton<GetAppServerClient>();
        services.TryAddSingleton<GetAppServerUpstream>();
        services.TryAddSingleton<IUpstream>(sp => sp.GetRequiredService<GetAppServerUpstream>());
        services.TryAddSingleton<ReportOutbox>();
        services.AddSingleton<IReleaseWriteListener, ReleaseReportListener>();
        services.AddSingleton<OutboxSender>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<OutboxSender>());
        return services;
    }
}
