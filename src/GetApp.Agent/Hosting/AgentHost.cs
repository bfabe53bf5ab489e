using System.Diagnostics;
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
    /// <summary>How long a stop may take: the engines stop installers and downloads and record them (30 s each at most).</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(45);

    /// <param name="warnings">Start-up warnings found before the host existed (e.g. unknown appsettings keys), logged at start.</param>
    public static WebApplication Build(AgentOptions options, Action<IServiceCollection>? configureServices = null, IEnumerable<string>? warnings = null)
    {
        var startupWarnings = new StartupWarnings([.. warnings ?? [], .. AgentOptionsValidator.Check(options)]);
        CheckBindSecurity(options);
        var certificate = HttpsCertificate.Load(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "getapp-agent",
            // The host's own appsettings.json is read once: watching it for changes watches the working directory and
            // every folder under it (inotify, one by one), which from / or a data dir of thousands of releases takes
            // seconds at start. The agent's settings are read once too (RunCommand), and live ones go through the API.
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.WebHost.UseUrls([.. options.Urls]);
        if (certificate is not null)
        {
            // The slim builder leaves HTTPS out; bring it in only when an https:// address asks for it.
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            // Long enough that an absurd catalog id reaches the API and gets an AppError, not a bare 414 from Kestrel.
            k.Limits.MaxRequestLineSize = 64 * 1024;
            if (certificate is not null)
            {
                k.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
        });
        AgentLogging.Configure(builder.Logging, options);

        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, AgentJson.Context));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddSingleton(startupWarnings);
        var frameworkServices = builder.Services.Count;
        builder.Services.AddAgentCore(options);
        AddClosedLoggers(builder.Services);
        ClosedOptions.AddAll(builder.Services);
        configureServices?.Invoke(builder.Services);
        AfterBindServices.Defer(builder.Services, frameworkServices);

        var app = builder.Build();
        // Each middleware built here rather than by UseMiddleware<T>, which finds the constructor and InvokeAsync by
        // reflection: about 2 % of the start's CPU to the first answer (perf, Native AOT), for the same instances.
        var services = app.Services;
        app.Use(next => new ExactDateHeader(next, services.GetRequiredService<TimeProvider>()).InvokeAsync);
        app.Use(next => new AppErrorMiddleware(next, services.GetRequiredService<ILogger<AppErrorMiddleware>>()).InvokeAsync);
        var gate = services.GetRequiredService<StartGate>();
        app.Use(async (context, next) =>
        {
            if (!gate.IsOpen && StartGate.Holds(context))
            {
                await gate.WaitAsync(context.RequestAborted).ConfigureAwait(false);
            }

            await next(context).ConfigureAwait(false);
        });
        app.UseStatusCodePages(AppErrorMiddleware.WriteStatusCodePageAsync);
        if (DeviceAuthMiddleware.IsNeeded(options))
        {
            app.Use(next => new DeviceAuthMiddleware(next, services.GetRequiredService<AgentOptions>()).InvokeAsync);
        }

        app.Use(next => new DiskFullGate(next, services.GetRequiredService<DiskSpace>()).InvokeAsync);

        app.MapAgentApi();
        return app;
    }

    /// <summary>This project's loggers, registered closed as the core's are (<see cref="ClosedLoggers"/>).</summary>
    internal static void AddClosedLoggers(IServiceCollection services)
    {
        ClosedLoggers.Add<AfterBindServices>(services);
        ClosedLoggers.Add<AppErrorMiddleware>(services);
        // The framework's, where its type can be named (the others are internal).
        ClosedLoggers.Add<Microsoft.AspNetCore.HostFiltering.HostFilteringMiddleware>(services);
        ClosedLoggers.Add<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>(services);
    }

    /// <summary>Opens the data dir, migrates the store and starts listening; throws <see cref="StoreException"/> with a clear reason.</summary>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var options = app.Services.GetRequiredService<AgentOptions>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("GetApp.Agent");
        foreach (var warning in app.Services.GetRequiredService<StartupWarnings>().Messages)
        {
            LogStartupWarning(logger, warning);
        }

        var began = Stopwatch.GetTimestamp();
        app.Services.GetRequiredService<DataDirectory>().Open();
        await app.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(cancellationToken).ConfigureAwait(false);
        var migrated = Stopwatch.GetTimestamp();
        // The read model every release read is served from. It loads once Kestrel has bound (AfterBindServices starts it),
        // not beside the host's own start: on a device of two cores shared with others the two only slowed each other, and
        // the single status of a delivered release is answered from the database meanwhile (DeviceReleasesApi). The
        // agent's services need it and start after it; every other request waits for them.
        var store = app.Services.GetRequiredService<ReleaseStore>();
        var load = app.Services.GetRequiredService<ReadModelLoad>();
        load.Starter = () => Task.Run(async () =>
        {
            var loading = Stopwatch.GetTimestamp();
            try
            {
                var releases = await store.LoadAsync(cancellationToken).ConfigureAwait(false);
                LogReadModelLoaded(logger, releases.Count, Stopwatch.GetElapsedTime(loading).TotalMilliseconds, Stopwatch.GetElapsedTime(began, migrated).TotalMilliseconds);
            }
            catch (InvalidDataException e)
            {
                var database = app.Services.GetRequiredService<AgentDatabase>().Path;
                throw new StoreException($"The releases in {database} cannot be read: {e.Message}. Was it written by a newer agent? Run that agent, or restore a backup of the data dir.", e);
            }
        }, cancellationToken);
        await app.Services.GetRequiredService<Core.Settings.LiveSettings>().LoadAsync(cancellationToken).ConfigureAwait(false);
        // A configured cosign key that cannot be used stops the agent here, with one clear line rather than a host stack trace.
        app.Services.GetRequiredService<Core.Delivery.CosignVerifier>();
        // Binds first; the load and the agent's own services start only once every address is bound (AfterBindServices,
        // which calls OnBound).
        try
        {
            await BindErrors.TranslateAsync(() => app.StartAsync(cancellationToken), options).ConfigureAwait(false);
        }
        catch when (load.Task is { } loading)
        {
            // What stopped the start may be the load (an unreadable table): say that, not what failed for want of it. Waited
            // for, not looked at: a start failing for want of the rows could otherwise be reported before the load had
            // finished failing (its unhandled stack trace reached the console instead of the one line).
            await loading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (loading.IsFaulted)
            {
                await loading.ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Every address is bound and nothing else has started yet: says where the agent listens, and tells installers (port 0
    /// resolved) before anything can start one. They get a plain-http address when there is one: a private certificate
    /// would make their curl fail.
    /// </summary>
    internal static void OnBound(IServiceProvider services, IReadOnlyList<string> addresses)
    {
        var options = services.GetRequiredService<AgentOptions>();
        var selfUrl = addresses.FirstOrDefault(u => !AgentOptionsValidator.IsHttps(u)) ?? addresses.FirstOrDefault();
        services.GetRequiredService<Core.Deploy.AgentSelfUrl>().Set(selfUrl, RequiresDeviceAuth(options) ? options.DeviceSecret : null);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("GetApp.Agent");
        var upstream = services.GetRequiredService<Core.Upstream.IUpstream>();
        LogStarted(logger, string.Join(", ", addresses), services.GetRequiredService<DataDirectory>().Root, upstream.Description);
        if (addresses.FirstOrDefault() is { } first)
        {
            Dashboard.DashboardLog.Where(logger, first.TrimEnd('/') + "/");
        }
    }

    private static void CheckBindSecurity(AgentOptions options)
    {
        if (BindsOnlyToLoopback(options))
        {
            return;
        }

        var where = string.Join(", ", options.Urls);
        var problem = options.DeviceSecret switch
        {
            null => "without a device secret",
            // SHA-256 of "" is what a request without the header hashes to: an empty secret would let every request in.
            _ when string.IsNullOrWhiteSpace(options.DeviceSecret) => "with an empty device secret (blank or only white space)",
            // HTTP drops white space around header values (RFC 9110 §5.5), so no client could ever send this secret.
            _ when options.DeviceSecret.Trim() != options.DeviceSecret => "with a device secret that begins or ends with white space, which no HTTP client can send",
            _ => null,
        };
        if (problem is not null)
        {
            throw new InvalidOperationException(
                $"Refusing to listen on {where} {problem}: anyone on the network could control this device. " +
                "Set --device-secret (or DEVICE_SECRET) to a non-empty value, or bind to 127.0.0.1.");
        }
    }

    /// <summary>A blank secret is no secret: on loopback it is ignored, as a missing one is (a network bind refuses both).</summary>
    private static bool RequiresDeviceAuth(AgentOptions options) => !string.IsNullOrWhiteSpace(options.DeviceSecret) && !BindsOnlyToLoopback(options);

    internal static bool BindsOnlyToLoopback(AgentOptions options) => options.Urls.All(url =>
        Uri.TryCreate(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
        && (uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))));

    [LoggerMessage(EventId = 1301, Level = LogLevel.Debug, Message = "{Count} release(s) read into memory in {Milliseconds:0.0} ms (data dir opened and migrated in {OpenMilliseconds:0.0} ms)")]
    private static partial void LogReadModelLoaded(ILogger logger, int count, double milliseconds, double openMilliseconds);

    [LoggerMessage(EventId = 1400, Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogStartupWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "GetApp agent listening on {Urls}; data in {DataDir}; upstream: {Upstream}")]
    private static partial void LogStarted(ILogger logger, string urls, string dataDir, string upstream);
}
