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

    [Fact]
    public async Task FailureTheFullDiskLeftUnrecorded_SpaceIsBack_DeliveryGoesOnByItselfWithoutARestart()
    {
        const string Id = "6.app@1.0.0";
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 500_000, seed: 5);
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync();
        // What a run stopped by a full disk leaves when not even the reserve was left to record its failure: the release
        // still in delivery in the database with no run behind it, and the engine's wait for space, kept in memory. (A full
        // disk cannot be made to refuse exactly that write: SQLite may write it into WAL pages it already holds.)
        foreach (var action in new[] { ReleaseAction.StartDelivery, ReleaseAction.BeginDownload })
        {
            Assert.True((await s.Agent.Releases.MoveAsync(Id, action, null, CancellationToken.None)).Succeeded);
        }

        s.Agent.Get<Core.Delivery.DeliveryEngine>().NoteSpaceWait(Id, null);

        // The disk here has room: the engine's look at the waits (every 2 s) starts it again.
        var status = await s.Agent.WaitForAsync(Id, x => x.State == ReleaseState.Downloaded || x.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(30));
        Assert.Equal(ReleaseState.Downloaded, status.State);
        Assert.Equal(file.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(status.ArtsDirPath!, file.Name)));
    }
}
