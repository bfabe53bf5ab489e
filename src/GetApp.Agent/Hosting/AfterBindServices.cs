using GetApp.Agent.Core.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace GetApp.Agent.Hosting;

/// <summary>
/// Starts the agent's own background services (deploy recovery, the delivery engine, discovery, the report outbox)
/// only once Kestrel has bound its addresses. ASP.NET Core starts hosted services before the server, so a port already
/// in use used to fail the start after discovery had run and a delivery had begun; now a failed bind leaves nothing
/// started. Requests that arrive in the moment between the bind and the end of deploy recovery wait for it
/// (<see cref="StartGate"/>), so the API never shows an install as running that recovery is about to judge.
/// </summary>
internal sealed partial class AfterBindServices(
    IServiceProvider services, IServer server, StartGate gate, IHostApplicationLifetime lifetime, TimeProvider timeProvider, ILogger<AfterBindServices> logger)
    : IHostedLifecycleService
{
    /// <summary>The key under which the deferred services are registered (not seen by the host, which starts unkeyed ones).</summary>
    public const string Key = "getapp-agent:after-bind";

    // After the gate opens, how long the start's pages stay (the first requests' and the start discovery's time).
    private static readonly TimeSpan StartPagesDelay = TimeSpan.FromSeconds(1);

    private readonly List<IHostedService> _started = [];
    private DateTimeOffset _startedAt;

    // The start's token: a background service's stopping token is linked to it, so a stop asked for while starting (the
    // command line's SIGTERM handler cancels it, maybe before the host's own handler marks the stop) ends it canceled.
    private CancellationToken _starting;
    private volatile bool _faulted;

    /// <summary>True when a background service failed and stopped the agent (<c>run</c> then exits with 1).</summary>
    public bool Faulted => _faulted;

    /// <summary>
    /// Moves every hosted service registered after <paramref name="registeredBefore"/> descriptors (the agent's own) to
    /// <see cref="Key"/>, and registers the one service that starts them after the bind.
    /// </summary>
    public static void Defer(IServiceCollection collection, int registeredBefore)
    {
        var hosted = collection.Skip(registeredBefore).Where(d => d.ServiceType == typeof(IHostedService) && !d.IsKeyedService).ToList();
        foreach (var descriptor in hosted)
        {
            collection.Remove(descriptor);
            collection.Add(descriptor switch
            {
                { ImplementationInstance: { } instance } => new ServiceDescriptor(typeof(IHostedService), Key, instance),
                { ImplementationFactory: { } factory } => new ServiceDescriptor(typeof(IHostedService), Key, (sp, _) => factory(sp), descriptor.Lifetime),
                _ => new ServiceDescriptor(typeof(IHostedService), Key, descriptor.ImplementationType!, descriptor.Lifetime),
            });
        }

        collection.AddSingleton<StartGate>();
        collection.AddSingleton(sp => new ReadModelLoad(sp.GetRequiredService<Core.Storage.ReleaseStore>()));
        collection.AddSingleton<IHostedService, AfterBindServices>();
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The host calls this after every StartAsync, the server's (the bind) included.</summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        _startedAt = timeProvider.GetUtcNow();
        _starting = cancellationToken;
        try
        {
            AgentHost.OnBound(services, [.. server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []]);
            // No service starts on a read model that could not be loaded: one that did would be running (and could fail
            // with a stack trace) while the host is torn down for the one-line error the start reports instead.
            await services.GetRequiredService<ReadModelLoad>().StartAsync(cancellationToken).ConfigureAwait(false);
            foreach (var service in services.GetKeyedServices<IHostedService>(Key))
            {
                var began = timeProvider.GetTimestamp();
                await service.StartAsync(cancellationToken).ConfigureAwait(false);
                _started.Add(service);
                // Requests wait for these starts: how long each took is worth seeing (--log-level debug).
                LogServiceStarted(service.GetType().Name, timeProvider.GetElapsedTime(began).TotalMilliseconds);
                if (service is BackgroundService { ExecuteTask: { } running })
                {
                    _ = WatchAsync(service, running);
                }
            }
        }
        catch
        {
            gate.Fail();
            throw;
        }

        gate.Open();
        // The start's own code is done with: its pages go back to the kernel (they are clean copies of the file). Not at
        // once: the first requests, often waiting at the gate, would fault back in what they need from the disk.
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(StartPagesDelay, timeProvider, lifetime.ApplicationStopping).ConfigureAwait(false);
                StartPages.Release(logger);
            }
            catch (OperationCanceledException)
            {
                // Stopping already.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // /proc unreadable (a hardened container) or the host stopped meanwhile: the pages stay, nothing else changes.
            }
        }, CancellationToken.None);
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// What the host does for the background services it starts itself, done here for the ones started after the bind:
    /// one that fails is logged and stops the agent, rather than leaving it up with an engine silently gone.
    /// </summary>
    private async Task WatchAsync(IHostedService service, Task running)
    {
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested || _starting.IsCancellationRequested)
        {
            // Stopped, not failed.
        }
        catch (Exception e)
        {
            _faulted = true;
            LogFaulted(e, service.GetType().Name);
            lifetime.StopApplication();
        }
    }

    /// <summary>Stops what was started, last first (the server has already stopped taking requests).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            try
            {
                await _started[i].StopAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogStopFailed(e, _started[i].GetType().Name);
            }
        }

        _started.Clear();
    }

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (_startedAt != default)
        {
            var uptime = timeProvider.GetUtcNow() - _startedAt;
            LogStopped(uptime.ToString(uptime.TotalDays >= 1 ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture));
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Debug, Message = "{Service} started in {Milliseconds:0.0} ms")]
    private partial void LogServiceStarted(string service, double milliseconds);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Information, Message = "GetApp agent stopped after {Uptime}")]
    private partial void LogStopped(string uptime);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Critical, Message = "{Service} failed; the agent stops")]
    private partial void LogFaulted(Exception exception, string service);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Error, Message = "{Service} did not stop cleanly")]
    private partial void LogStopFailed(Exception exception, string service);
}

/// <summary>
/// The read model's load at start: begun after the bind by <see cref="AfterBindServices"/>, which starts nothing before it
/// is over. <see cref="AgentHost.StartAsync"/> says how (<see cref="Starter"/>: timed, its errors made clear); without
/// that, the store loads itself.
/// </summary>
internal sealed class ReadModelLoad(Core.Storage.ReleaseStore store)
{
    private readonly Lock _lock = new();

    public Func<Task>? Starter { get; set; }

    /// <summary>The load, once begun.</summary>
    public Task? Task { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task ??= Starter?.Invoke() ?? store.SnapshotAsync(cancellationToken).AsTask();
        }
    }
}

/// <summary>Holds requests until the agent's services have started (milliseconds after the bind).</summary>
internal sealed class StartGate
{
    /// <summary>Endpoint metadata: the endpoint is let through while the gate is shut, and decides itself what may not wait.</summary>
    public static readonly object NotHeld = new NotHeldMarker();

    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => _open.Task.IsCompletedSuccessfully;

    public void Open() => _open.TrySetResult();

    /// <summary>The start failed: the agent is about to exit; waiting requests end with it.</summary>
    public void Fail() => _open.TrySetCanceled();

    public Task WaitAsync(CancellationToken cancellationToken) => _open.Task.WaitAsync(cancellationToken);

    /// <summary>True when the request must wait for the start: every endpoint but those marked <see cref="NotHeld"/>.</summary>
    public static bool Holds(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<NotHeldMarker>() is null;

    private sealed class NotHeldMarker;
}
