using System.Net;
using GetApp.Agent.Api;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.ErrorHandling;
using Microsoft.AspNetCore.Http.Json;

namespace GetApp.Agent.Hosting;

/// <summary>
/// Builds and starts the agent: the data dir is locked and the database migrated before Kestrel accepts the
/// first request. Tests use the same entry point with a temporary data dir and port 0.
/// </summary>
internal static partial class AgentHost
{
    public static WebApplication Build(AgentOptions options, Action<IServiceCollection>? configureServices = null)
    {
        CheckBindSecurity(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "getapp-agent",
            // The host's own appsettings.json is read once: watching it for changes watches the working directory and
            // every folder under it (inotify, one by one), which from / or a data dir of thousands of releases takes
            // seconds at start. The agent's settings are read once too (RunCommand), and live ones go through the API.
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            // Long enough that an absurd catalog id reaches the API and gets an AppError, not a bare 414 from Kestrel.
            k.Limits.MaxRequestLineSize = 64 * 1024;
        });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        // Request-by-request framework chatter drowns the agent's own story; keep warnings and up.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);

        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, AgentJson.Context));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddAgentCore(options);
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseMiddleware<AppErrorMiddleware>();
        app.UseStatusCodePages(AppErrorMiddleware.WriteStatusCodePageAsync);
        if (RequiresDeviceAuth(options))
        {
            app.UseMiddleware<DeviceAuthMiddleware>();
        }

        app.MapAgentApi();
        return app;
    }

    /// <summary>Opens the data dir, migrates the store and starts listening; throws <see cref="StoreException"/> with a clear reason.</summary>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var options = app.Services.GetRequiredService<AgentOptions>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("GetApp.Agent");
        app.Services.GetRequiredService<DataDirectory>().Open();
        await app.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(cancellationToken).ConfigureAwait(false);
        // The read model every release read is served from, loaded before anything can ask.
        await app.Services.GetRequiredService<ReleaseStore>().LoadAsync(cancellationToken).ConfigureAwait(false);
        await app.Services.GetRequiredService<Core.Settings.LiveSettings>().LoadAsync(cancellationToken).ConfigureAwait(false);
        // A configured cosign key that cannot be used stops the agent here, with one clear line rather than a host stack trace.
        app.Services.GetRequiredService<Core.Delivery.CosignVerifier>();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        app.Services.GetRequiredService<Core.Deploy.AgentSelfUrl>().Set(app.Urls.FirstOrDefault(), RequiresDeviceAuth(options) ? options.DeviceSecret : null);

        var upstream = app.Services.GetRequiredService<Core.Upstream.IUpstream>();
        LogStarted(logger, string.Join(", ", app.Urls), app.Services.GetRequiredService<DataDirectory>().Root, upstream.Description);
    }

    private static void CheckBindSecurity(AgentOptions options)
    {
        if (options.DeviceSecret is null && !BindsOnlyToLoopback(options))
        {
            throw new InvalidOperationException(
                $"Refusing to listen on {string.Join(", ", options.Urls)} without a device secret: anyone on the network could control this device. " +
                "Set --device-secret (or DEVICE_SECRET), or bind to 127.0.0.1.");
        }
    }

    private static bool RequiresDeviceAuth(AgentOptions options) => options.DeviceSecret is not null && !BindsOnlyToLoopback(options);

    internal static bool BindsOnlyToLoopback(AgentOptions options) => options.Urls.All(url =>
        Uri.TryCreate(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
        && (uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))));

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "GetApp agent listening on {Urls}; data in {DataDir}; upstream: {Upstream}")]
    private static partial void LogStarted(ILogger logger, string urls, string dataDir, string upstream);
}
