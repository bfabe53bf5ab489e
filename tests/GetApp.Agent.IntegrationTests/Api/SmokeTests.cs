using System.Net;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Api;

public class SmokeTests
{
    [Fact]
    public async Task InProcessAgent_ListsSampleOffering()
    {
        await using var agent = await TestAgent.StartAsync(RepoPaths.SampleCatalog);
        await agent.Get<GetApp.Agent.Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);
        var body = await agent.Client.GetStringAsync("/api/v2/device/offering");
        // The pushed 7.demo-app is delivered on its own (and leaves the offering); the offered one stays listed.
        Assert.Contains("3.demo-docs@0.9.0", body);
    }

    [Fact]
    public async Task ChildProcessAgent_AnswersAndDiesOnKill()
    {
        using var data = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(data.Path, ["--catalog", RepoPaths.SampleCatalog]);
        var response = await agent.Client.GetAsync("/api/v2/device/releases");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await agent.KillAsync();
    }
}
