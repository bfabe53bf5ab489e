using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Health;
using GetApp.Agent.Core.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Events;

public static class EventsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the event hub and what feeds it, the health monitors and the metrics (docs/architecture.md §10,
    /// docs/events.md). Their hooks are attached when the host builds its hosted services, before any engine starts.
    /// </summary>
    public static IServiceCollection AddEventsAndHealth(this IServiceCollection services)
    {
        services.TryAddSingleton(new EventsOptions());
        services.AddSingleton<EventHub>();
        services.AddSingleton<NotificationLog>();
        services.AddSingleton<EventPayloads>();
        services.AddSingleton<UpstreamMonitor>();
        services.AddSingleton<DiskSampler>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<DiskSampler>());
        services.AddSingleton<AgentSummaryBuilder>();
        services.AddSingleton<ReadinessProbe>();
        services.AddSingleton<AgentMetrics>();
        services.AddSingleton<AgentGauges>();
        services.AddSingleton<MetricsCollector>();
        services.AddSingleton<DeliveryTelemetry>();
        services.AddSingleton<EventDispatcher>();
        services.AddSingleton<IHostedService>(sp =>
        {
            // Built with the hosted services, so every counter and hook is attached before the engines recover and move releases.
            sp.GetRequiredService<MetricsCollector>();
            return sp.GetRequiredService<EventDispatcher>();
        });
        return services;
    }
}
