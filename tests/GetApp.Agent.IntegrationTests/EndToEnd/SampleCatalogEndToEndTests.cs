using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.EndToEnd;

/// <summary>
/// What the README's first command does (<c>run --catalog samples/catalog</c>), with the real engines: the pushed
/// release and its dependency are delivered, verified and installed with nobody asking.
/// </summary>
public class SampleCatalogEndToEndTests
{
    [Fact]
    public async Task Run_SampleCatalog_DeliversAndInstallsPushedReleaseAndItsDependency()
    {
        await using var agent = await TestAgent.StartAsync(RepoPaths.SampleCatalog);

        // Nobody asks: the pushed release is delivered after the start-up discovery (its dependency first) and, having
        // metadata.autoDeploy, installed by its own installer, which installs the dependency with it.
        var app = await agent.WaitForAsync("7.demo-app@1.0.0", s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error");
        var runtime = await agent.WaitForAsync("12.demo-runtime@2.1.0", s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error");

        Assert.Equal(ReleaseState.Installed, app.State);
        Assert.Equal(ReleaseState.Installed, runtime.State);
        Assert.Equal("Done", app.DeviceReleaseStatus);
        Assert.Equal(100, app.Progress);
        Assert.Null(app.ErrMsg);
        Assert.NotNull(app.DownloadDuration);
        // The app's installer really ran in its folder: it unpacked its payload there.
        Assert.True(File.Exists(Path.Combine(app.ArtsDirPath!, "installed", "bin", "demo-app")));
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
