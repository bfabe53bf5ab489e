using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

public class SampleCatalogDeliveryTests
{
    [Fact]
    public async Task Run_SampleCatalog_DeliversPushedReleaseAndItsDependencyWithVerifiedFiles()
    {
        await using var agent = await TestAgent.StartAsync(RepoPaths.SampleCatalog);

        // Nobody asks: the pushed release is delivered on its own after the start-up discovery, its dependency first.
        var app = await agent.WaitForAsync("7.demo-app@1.0.0", s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error");
        var runtime = await agent.WaitForAsync("12.demo-runtime@2.1.0", s => s.State == ReleaseState.Downloaded);

        Assert.Equal(ReleaseState.Downloaded, app.State);
        Assert.Equal("Done", app.DeviceReleaseStatus);
        Assert.Equal(100, app.Progress);
        var catalog = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.SampleCatalog, "catalog.json")))!["releases"]!.AsArray();
        foreach (var status in new[] { app, runtime })
        {
            Assert.True(Directory.Exists(status.ArtsDirPath), status.ArtsDirPath);
            var entry = catalog.First(r => (string?)r!["release"]!["id"] == status.Release.Id)!;
            foreach (var artifact in entry["artifacts"]!.AsArray())
            {
                var file = Path.Combine(status.ArtsDirPath!, Path.GetFileName((string)artifact!["url"]!));
                var bytes = File.ReadAllBytes(file);
                Assert.Equal((long)artifact["size"]!, bytes.LongLength);
                var hash = artifact["hash"]!;
                var expected = (string)hash["algorithm"]! == "SHA256Base64"
                    ? Convert.ToBase64String(SHA256.HashData(bytes))
                    : Convert.ToHexStringLower(SHA256.HashData(bytes));
                Assert.Equal((string)hash["hash"]!, expected);
            }
        }

        // The offered release that nobody pushed or asked for stays an offer.
        Assert.Equal(OfferedOnly, (int)(await agent.Client.GetAsync("/api/v2/device/releases/3.demo-docs@0.9.0")).StatusCode);
    }

    private const int OfferedOnly = 404;
}
