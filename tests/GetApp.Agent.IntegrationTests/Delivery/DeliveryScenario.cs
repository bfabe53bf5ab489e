using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

/// <summary>A real origin, a catalog pointing at it, and the real agent in process: what most delivery tests need.</summary>
internal sealed class DeliveryScenario : IAsyncDisposable
{
    private DeliveryScenario(TestOrigin origin, TestCatalog catalog)
    {
        Origin = origin;
        Catalog = catalog;
    }

    public TestOrigin Origin { get; }
    public TestCatalog Catalog { get; }
    public TestAgent Agent { get; private set; } = null!;

    /// <summary>Fast retries by default, so fault tests finish in seconds.</summary>
    public static readonly JsonObject FastRetries = new() { ["deliveryRetryDelaySecs"] = 0, ["downloadRetryCount"] = 2, ["stallTimeoutSecs"] = 2 };

    public static async Task<DeliveryScenario> CreateAsync() => new(await TestOrigin.StartAsync(), new TestCatalog());

    /// <summary>Writes the catalog, starts the agent, applies <paramref name="settings"/> and runs a discovery.</summary>
    public async Task<TestAgent> StartAgentAsync(JsonObject? settings = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices = null,
        Func<Core.Hosting.AgentOptions, Core.Hosting.AgentOptions>? configure = null)
    {
        Catalog.Write();
        Agent = await TestAgent.StartAsync(Catalog.Path, configure: configure, configureServices: configureServices);
        await ConfigureAsync(settings ?? FastRetries);
        await Agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
        return Agent;
    }

    /// <summary>Stops the agent and starts it again on the same data dir, as after a reboot.</summary>
    public async Task RestartAgentAsync() => Agent = await Agent.RestartAsync();

    public async Task ConfigureAsync(JsonObject settings)
    {
        using var response = await Agent.Client.PutAsync("/api/v2/agent/configs", new StringContent(settings.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)response.StatusCode);
    }

    public async Task<HttpResponseMessage> ControlAsync(string action, string catalogId) => action == "delete"
        ? await Agent.Client.DeleteAsync($"/api/v2/delivery/{Uri.EscapeDataString(catalogId)}")
        : await Agent.Client.PostAsync($"/api/v2/delivery/{action}/{Uri.EscapeDataString(catalogId)}", null);

    public async Task<DeviceReleaseStatusDto> ControlOkAsync(string action, string catalogId)
    {
        using var response = await ControlAsync(action, catalogId);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{action} {catalogId}: {(int)response.StatusCode} {body}");
        return System.Text.Json.JsonSerializer.Deserialize(body, AgentJsonContext.Default.DeviceReleaseStatusDto)!;
    }

    public async Task<AppError> ControlFailsAsync(string action, string catalogId, int expectedStatus)
    {
        using var response = await ControlAsync(action, catalogId);
        Assert.Equal(expectedStatus, (int)response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.AppError);
        Assert.NotNull(error);
        Assert.Equal(expectedStatus, error.StatusCode);
        return error;
    }

    public Task<DeviceReleaseStatusDto> WaitForStatusAsync(string catalogId, string status, TimeSpan? timeout = null) =>
        Agent.WaitForAsync(catalogId, s => s.DeviceReleaseStatus == status, timeout);

    public Task<DeviceReleaseStatusDto> WaitDownloadedAsync(string catalogId, TimeSpan? timeout = null) =>
        Agent.WaitForAsync(catalogId, s => s.State is Core.Releases.ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", timeout);

    public string PartialDirOf(string catalogId) => Path.Combine(Agent.DataDir, "partial", FileSafeName.From(catalogId));

    public long PartialBytes(string catalogId) =>
        Directory.Exists(PartialDirOf(catalogId)) ? new DirectoryInfo(PartialDirOf(catalogId)).EnumerateFiles().Sum(f => f.Length) : 0;

    public string ArtsDirOf(string catalogId) => Path.Combine(Agent.DataDir, "comps", FileSafeName.From(catalogId));

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public async ValueTask DisposeAsync()
    {
        if (Agent is not null)
        {
            await Agent.DisposeAsync();
        }

        await Origin.DisposeAsync();
        Catalog.Dispose();
    }
}
