using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

public class DeliveryRecoveryTests
{
    [Fact]
    public async Task Restart_AfterCrashDuringValidation_DeliveryCompletesWithVerifiedFile()
    {
        const string Id = "5.app@1.0.0";
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 500_000, seed: 4);
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync();
        // Where a power cut between "validation" and "done" leaves a release (moved without the engine, so nothing runs).
        foreach (var action in new[] { ReleaseAction.StartDelivery, ReleaseAction.BeginDownload, ReleaseAction.BeginValidation })
        {
            Assert.True((await s.Agent.Releases.MoveAsync(Id, action, null, CancellationToken.None)).Succeeded);
        }

        await s.RestartAgentAsync();
        var status = await s.WaitDownloadedAsync(Id);

        Assert.Equal(ReleaseState.Downloaded, status.State);
        Assert.Equal(file.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(status.ArtsDirPath!, file.Name)));
    }
}
