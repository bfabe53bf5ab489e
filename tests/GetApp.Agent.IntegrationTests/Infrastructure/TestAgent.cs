using System.Net.Http.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// The real agent, in process: real Kestrel on a free loopback port, a real SQLite file in a temporary data dir.
/// <see cref="RestartAsync"/> stops it and starts a new one on the same data dir.
/// </summary>
public sealed class TestAgent : IAsyncDisposable
{
    private readonly TempDirectory? _ownedDataDir;
    private readonly Action<IServiceCollection>? _configureServices;

    private TestAgent(AgentOptions options, WebApplication app, TempDirectory? ownedDataDir, Action<IServiceCollection>? configureServices)
    {
        Options = options;
        App = app;
        _ownedDataDir = ownedDataDir;
        _configureServices = configureServices;
        ListenAddress = app.Urls.First();
        // A wildcard bind (0.0.0.0) is reached through loopback, as installers reach it.
        BaseAddress = AgentSelfUrl.Normalize(ListenAddress) ?? new Uri(ListenAddress);
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (options.DeviceSecret is not null)
        {
            // What a client of an agent bound beyond loopback sends; harmless where the API does not ask for it.
            Client.DefaultRequestHeaders.Add("Device-Auth", options.DeviceSecret);
        }
    }

    public AgentOptions Options { get; }
    public WebApplication App { get; private set; }
    public Uri BaseAddress { get; }

    /// <summary>The address Kestrel listens on (port resolved); a restart binds to it again.</summary>
    public string ListenAddress { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => App.Services;
    public string DataDir => Options.DataDir;

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public ReleaseService Releases => Get<ReleaseService>();

    /// <summary>Starts an agent. Without <paramref name="dataDir"/> it gets its own temporary one, deleted on dispose.</summary>
    public static async Task<TestAgent> StartAsync(
        string? catalogDir = null,
        string? dataDir = null,
        Func<AgentOptions, AgentOptions>? configure = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var owned = dataDir is null ? new TempDirectory("getapp-data") : null;
        var options = new AgentOptions
        {
            Urls = ["http://127.0.0.1:0"],
            DataDir = dataDir ?? owned!.Path,
            CatalogDir = catalogDir,
        };
        options = configure?.Invoke(options) ?? options;
        var app = await StartAppAsync(options, configureServices);
        return new TestAgent(options, app, owned, configureServices);
    }

    /// <summary>Stops this agent and starts a new one on the same data dir (same settings), as after a reboot.</summary>
    public async Task<TestAgent> RestartAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Client.Dispose();
        var app = await StartAppAsync(Options with { Urls = [ListenAddress] }, _configureServices);
        return new TestAgent(Options, app, _ownedDataDir, _configureServices);
    }

    /// <summary>Waits until the release reaches a state/status the predicate accepts (through the API, as a client would).</summary>
    public async Task<DeviceReleaseStatusDto> WaitForAsync(string catalogId, Func<DeviceReleaseStatusDto, bool> until, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        DeviceReleaseStatusDto? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var response = await Client.GetAsync($"/api/v2/device/releases/{Uri.EscapeDataString(catalogId)}");
            if (response.IsSuccessStatusCode)
            {
                last = await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.DeviceReleaseStatusDto);
                if (last is not null && until(last))
                {
                    return last;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"release {catalogId} did not reach the expected status; last seen: {(last is null ? "none" : $"{last.State}/{last.DeliveryState}/{last.DeviceReleaseStatus} err={last.ErrMsg}")}");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        _ownedDataDir?.Dispose();
    }

    private static async Task<WebApplication> StartAppAsync(AgentOptions options, Action<IServiceCollection>? configureServices)
    {
        var app = AgentHost.Build(options, configureServices);
        await AgentHost.StartAsync(app, CancellationToken.None);
        return app;
    }
}
