using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.IntegrationTests.Delivery;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Storage;

/// <summary>
/// A delivery stopped by a full disk says it "starts again by itself once space is freed": that must hold across a
/// restart (found by the chaos suite: after a kill -9 on the full disk, freeing space started nothing), and must not
/// undo what a person did meanwhile.
/// </summary>
public class DiskFullRestartTests
{
    private const string Id = "5.app@1.0.0";
    // Small enough that what a stopped attempt gives back (the room it reserved for the rest of the file, up to 6 MB once 4 MB
    // are in) and the 8 MiB reserve together stay below the 16 MiB that count as "space is back": the disk the scenario
    // keeps full stays full until the test frees it.
    private const long Size = 10_000_000;

    [SmallDiskFact]
    public async Task StoppedByAFullDisk_AgentRestartedWhileStillFull_StartsAgainByItselfOnceSpaceIsFreed()
    {
        using var disk = SmallDisk.Mount(48L * 1024 * 1024);
        await using var s = await DeliveryScenario.CreateAsync();
        var file = await StopOnAFullDiskAsync(s, disk);
        var kept = s.PartialBytes(Id);

        await s.RestartAgentAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("Error", (await s.Agent.WaitForAsync(Id, _ => true)).DeviceReleaseStatus);
        file.Faults.ThrottleBytesPerSecond = null;
        disk.FreeFiller();

        var done = await s.Agent.WaitForAsync(Id, x => x.State == ReleaseState.Downloaded, TimeSpan.FromSeconds(60));
        Assert.Equal(file.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(done.ArtsDirPath!, file.Name)));
        Assert.Equal(kept, s.Origin.RequestsFor(file.Name)[^1].RangeStart);
        await s.Agent.DisposeAsync();
    }

    [SmallDiskFact]
    public async Task StoppedByAFullDisk_SpaceFreedWhileTheAgentWasStopped_StartsAgainWhenTheAgentStarts()
    {
        using var disk = SmallDisk.Mount(48L * 1024 * 1024);
        await using var s = await DeliveryScenario.CreateAsync();
        var file = await StopOnAFullDiskAsync(s, disk);

        await s.Agent.App.StopAsync();
        file.Faults.ThrottleBytesPerSecond = null;
        disk.FreeFiller();
        await s.RestartAgentAsync();

        var done = await s.Agent.WaitForAsync(Id, x => x.State == ReleaseState.Downloaded, TimeSpan.FromSeconds(60));
        Assert.Equal(file.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(done.ArtsDirPath!, file.Name)));
        await s.Agent.DisposeAsync();
    }

    [SmallDiskFact]
    public async Task StoppedByAFullDisk_CancelledWhileWaitingForSpace_NotStartedAgainWhenSpaceReturns()
    {
        using var disk = SmallDisk.Mount(48L * 1024 * 1024);
        await using var s = await DeliveryScenario.CreateAsync();
        var file = await StopOnAFullDiskAsync(s, disk);

        await s.ControlOkAsync("cancel", Id);
        file.Faults.ThrottleBytesPerSecond = null;
        disk.FreeFiller();
        await DeliveryControlTests.WaitUntilAsync(() => !s.Agent.Get<DiskSpace>().IsFull);
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal("Cancel", (await s.Agent.WaitForAsync(Id, _ => true)).DeviceReleaseStatus);
        await s.Agent.DisposeAsync();
    }

    /// <summary>Starts the delivery, fills the disk after 4 MB, and waits until it ends in Error for the full disk.</summary>
    private static async Task<OriginFile> StopOnAFullDiskAsync(DeliveryScenario s, SmallDisk disk)
    {
        var file = s.Origin.AddFile("app.bin", Size, seed: 7);
        file.Faults.ThrottleBytesPerSecond = 4_000_000;
        // After 4 MB the origin goes quiet; the next attempt, once the stall is noticed, meets the full disk.
        file.Faults.StallAfterBytes = 4_000_000;
        file.Faults.StallTimes = 1;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync(new JsonObject { ["deliveryRetryDelaySecs"] = 0, ["downloadRetryCount"] = 5, ["stallTimeoutSecs"] = 5 },
            configure: o => o with { DataDir = Path.Combine(disk.Path, "data") });
        await s.ControlOkAsync("start", Id);
        await DeliveryControlTests.WaitUntilAsync(() => s.PartialBytes(Id) >= 4_000_000);
        disk.Fill();
        await DeliveryControlTests.WaitUntilAsync(() => s.Agent.Get<DiskSpace>().IsFull);
        // The agent gave its reserve back: fill that room too, so the disk stays full.
        disk.Fill();
        var failed = await s.Agent.WaitForAsync(Id, x => x.DeviceReleaseStatus != "InProgress", TimeSpan.FromSeconds(40));
        Assert.Equal("Error", failed.DeviceReleaseStatus);
        Assert.Contains("starts again by itself", failed.ErrMsg);
        return file;
    }
}
