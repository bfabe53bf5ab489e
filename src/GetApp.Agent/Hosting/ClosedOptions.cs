using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Validation;

namespace GetApp.Agent.Hosting;

/// <summary>
/// The options the host resolves before the API answers, registered closed, as <see cref="Core.Hosting.ClosedLoggers"/>
/// does for loggers. The container's open <c>IOptions&lt;&gt;</c>, <c>IOptionsMonitor&lt;&gt;</c>,
/// <c>IOptionsFactory&lt;&gt;</c> and <c>IOptionsMonitorCache&lt;&gt;</c> each make a type at run time in the Native AOT
/// binary (the runtime's type loader, with the allocations and collections it brings): up to four per options type,
/// all on the path to the first answer. The list is what the container builds at start (its event source's
/// CallSiteBuilt events), less the options types the framework keeps internal. Made here, they are the same framework
/// classes, built by constructor calls; configuration, post-configuration, validation and change tokens apply as
/// they would.
/// </summary>
internal static class ClosedOptions
{
    public static void AddAll(IServiceCollection services)
    {
        Add<HostOptions>(services);
        Add<ConsoleLifetimeOptions>(services);
        Add<LoggerFilterOptions>(services);
        Add<LoggerFactoryOptions>(services);
        Add<ConsoleLoggerOptions>(services);
        Add<ConsoleFormatterOptions>(services);
        Add<SimpleConsoleFormatterOptions>(services);
        Add<JsonConsoleFormatterOptions>(services);
        Add<KestrelServerOptions>(services);
        Add<SocketTransportOptions>(services);
        Add<RouteOptions>(services);
        Add<RouteHandlerOptions>(services);
        Add<JsonOptions>(services);
        Add<HostFilteringOptions>(services);
        Add<FormOptions>(services);
        Add<ValidationOptions>(services);
        Add<MetricsOptions>(services);
        Add<HttpClientFactoryOptions>(services);
    }

    /// <summary>What <c>AddOptions()</c> registers openly, for <typeparamref name="T"/> alone (the same classes, the same lifetimes).</summary>
    public static void Add<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(IServiceCollection services)
        where T : class
    {
        services.TryAddTransient<IOptionsFactory<T>>(sp => new OptionsFactory<T>(
            sp.GetServices<IConfigureOptions<T>>(), sp.GetServices<IPostConfigureOptions<T>>(), sp.GetServices<IValidateOptions<T>>()));
        // OptionsManager, like the open registration's UnnamedOptionsManager, makes the value on first read and keeps it.
        services.TryAddSingleton<IOptions<T>>(sp => new OptionsManager<T>(sp.GetRequiredService<IOptionsFactory<T>>()));
        services.TryAddSingleton<IOptionsMonitorCache<T>>(_ => new OptionsCache<T>());
        services.TryAddSingleton<IOptionsMonitor<T>>(sp => new OptionsMonitor<T>(
            sp.GetRequiredService<IOptionsFactory<T>>(), sp.GetServices<IOptionsChangeTokenSource<T>>(), sp.GetRequiredService<IOptionsMonitorCache<T>>()));
    }
}
