using System.Diagnostics;
using System.Text.Json;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.CommandLine;

/// <summary>The client verbs, run as the real executable against a running agent.</summary>
public sealed class ClientCommandsTests : IAsyncLifetime
{
    private readonly TestCatalog _catalog = new();
    private TestAgent _agent = null!;

    public async Task InitializeAsync()
    {
        // Offers only (nothing pushed), so the engines leave them where they are.
        _catalog.Add("7.demo-app@1.0.0").Add("12.demo-runtime@2.1.0", dependedOnBy: ["7.demo-app@1.0.0"]).Write();
        _agent = await TestAgent.StartAsync(_catalog.Path);
        await _agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _catalog.Dispose();
    }

    private async Task<(int ExitCode, string Out, string Err)> RunAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "getapp-agent.dll"), .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["GETAPP_AGENT_URL"] = _agent.BaseAddress.ToString();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Offering_PrintsATableOfOffers()
    {
        var (code, output, _) = await RunAsync("offering");

        Assert.Equal(0, code);
        Assert.Contains("CATALOG ID", output);
        Assert.Matches(@"7\.demo-app@1\.0\.0\s+offering\s+demo-app\s+12\.demo-runtime@2\.1\.0", output);
    }

    [Fact]
    public async Task ConfigSet_WithJson_ReturnsTheUpdatedSettings()
    {
        var (code, output, _) = await RunAsync("config", "set", "maxParallelDeliveries=3", "matomoSiteId=site-7", "--json");

        Assert.Equal(0, code);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(3, json.GetProperty("maxParallelDeliveries").GetInt32());
        Assert.Equal("site-7", json.GetProperty("matomoSiteId").GetString());
    }

    [Fact]
    public async Task ApiError_IsPrintedWithExitCode1()
    {
        var (code, _, error) = await RunAsync("config", "set", "maxParallelDeliveries=0");

        Assert.Equal(1, code);
        Assert.Contains("'maxParallelDeliveries' must be between 1 and 16 (400 BadRequest)", error);
    }

    [Fact]
    public async Task UnreachableAgent_ExitsWith2AndSaysWhatToCheck()
    {
        var (code, _, error) = await RunAsync("releases", "--agent-url", "http://127.0.0.1:1");

        Assert.Equal(2, code);
        Assert.Contains("cannot reach the agent at http://127.0.0.1:1/", error);
    }
}
