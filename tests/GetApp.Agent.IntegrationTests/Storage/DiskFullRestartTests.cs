using System.Text.Json.Nodes;
using GetApp.Agent.Core.Delivery;
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
        var (file, full) = await StopOnAFullDiskAsync(s, disk);
        var kept = s.PartialBytes(Id);

        await s.RestartAgentAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("Error", (await s.Agent.WaitForAsync(Id, _ => true)).DeviceReleaseStatus);
        file.Faults.ThrottleBytesPerSecond = null;
        full.Dispose();
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
        var (file, full) = await StopOnAFullDiskAsync(s, disk);

        await s.Agent.App.StopAsync();
        file.Faults.ThrottleBytesPerSecond = null;
        full.Dispose();
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
        var (file, full) = await StopOnAFullDiskAsync(s, disk);

        await s.ControlOkAsync("cancel", Id);
        file.Faults.ThrottleBytesPerSecond = null;
        full.Dispose();
        disk.FreeFiller();
        await DeliveryControlTests.WaitUntilAsync(() => !s.Agent.Get<DiskSpace>().IsFull);
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal("Cancel", (await s.Agent.WaitForAsync(Id, _ => true)).DeviceReleaseStatus);
        await s.Agent.DisposeAsync();
    }

    [SmallDiskFact]
    public async Task StoppedByAFullDisk_LessComesBackThanTheRestNeeds_WaitsForWhatItNeeds_ThenGoesOnByItself()
    {
        // The spare (deliveryStorageBufferBytes) makes what the rest needs more than the 16 MiB at which the disk is back.
        const long spare = 32L * 1024 * 1024;
        using var disk = SmallDisk.Mount(96L * 1024 * 1024);
        await using var s = await DeliveryScenario.CreateAsync();
        var (file, full) = await StopOnAFullDiskAsync(s, disk, spare);
        var kept = s.PartialBytes(Id);
        var needed = Size - kept + spare;
        var requests = s.Origin.RequestsFor(file.Name).Count;

        // 20 MiB come back: the disk is back (the reserve is made again) and the delivery is tried, but the rest of it and
        // the spare (~39.5 MB) do not fit. It does not fail for good: it waits again, now for what it needs, and says how much.
        full.Dispose();
        disk.FreeFromFiller(20L * 1024 * 1024);
        var waiting = await s.Agent.WaitForAsync(Id, x => x.ErrMsg?.Contains("not enough free space", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(30));
        Assert.Equal("Error", waiting.DeviceReleaseStatus);
        Assert.Contains($"waiting for space: the delivery starts again by itself, from the bytes it kept, once {needed} bytes are free", waiting.ErrMsg);
        Assert.False(s.Agent.Get<DiskSpace>().IsFull);
        Assert.Contains(new SpaceWait(Id, needed), await s.Agent.Get<SpaceWaitStore>().ListAsync(CancellationToken.None));

        // Not started again while the room is short (the watch looks every 2 s).
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(waiting.ErrMsg, (await s.Agent.WaitForAsync(Id, _ => true)).ErrMsg);
        Assert.Equal(requests, s.Origin.RequestsFor(file.Name).Count);

        // Room for all of it: it goes on by itself, from the bytes it kept.
        file.Faults.ThrottleBytesPerSecond = null;
        disk.FreeFiller();
        var done = await s.Agent.WaitForAsync(Id, x => x.State == ReleaseState.Downloaded, TimeSpan.FromSeconds(60));
        Assert.Equal(file.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(done.ArtsDirPath!, file.Name)));
        Assert.Equal(kept, s.Origin.RequestsFor(file.Name)[^1].RangeStart);
        Assert.Empty(await s.Agent.Get<SpaceWaitStore>().ListAsync(CancellationToken.None));
        await s.Agent.DisposeAsync();
    }

    [SmallDiskFact]
    public async Task TooLittleRoomAtStart_WaitsForWhatItNeeds_UntilCancelled()
    {
        using var disk = SmallDisk.Mount(48L * 1024 * 1024);
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", Size, seed: 7);
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync(new JsonObject { ["deliveryStorageBufferBytes"] = 4L * 1024 * 1024 },
            configure: o => o with { DataDir = Path.Combine(disk.Path, "data") });
        await DeliveryControlTests.WaitUntilAsync(() => File.Exists(Path.Combine(disk.Path, "data", DiskSpace.ReserveFileName)));
        disk.Ballast(30L * 1024 * 1024);

        await s.ControlOkAsync("start", Id);
        var waiting = await s.Agent.WaitForAsync(Id, x => x.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(30));
        // 10 MB and the 4 MiB spare, but never less than the 16 MiB at which a disk counts as back.
        Assert.Contains($"once {DiskSpace.RecoverAtBytes} bytes are free", waiting.ErrMsg);
        Assert.Empty(s.Origin.RequestsFor(file.Name));

        // A person can still cancel it: it waits no more, and stays cancelled once there is room.
        await s.ControlOkAsync("cancel", Id);
        Assert.Empty(await s.Agent.Get<SpaceWaitStore>().ListAsync(CancellationToken.None));
        disk.FreeBallast();
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal("Cancel", (await s.Agent.WaitForAsync(Id, _ => true)).DeviceReleaseStatus);
        Assert.Empty(s.Origin.RequestsFor(file.Name));
        await s.Agent.DisposeAsync();
    }

    /// <summary>
    /// Starts the delivery, fills the disk after 4 MB, and waits until it ends in Error for the full disk. The disk is kept
    /// full (the result; dispose it before freeing space) with half of "full" left free (512 KiB), room for the agent's own
    /// records but never for the rest of the download nor for the disk to count as back.
    /// </summary>
    private static async Task<(OriginFile File, IDisposable Full)> StopOnAFullDiskAsync(DeliveryScenario s, SmallDisk disk, long spare = 0)
    {
        var file = s.Origin.AddFile("app.bin", Size, seed: 7);
        file.Faults.ThrottleBytesPerSecond = 4_000_000;
        // After 4 MB the origin goes quiet; the next attempt, once the stall is noticed, meets the full disk.
        file.Faults.StallAfterBytes = 4_000_000;
        file.Faults.StallTimes = 1;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync(new JsonObject { ["deliveryRetryDelaySecs"] = 0, ["downloadRetryCount"] = 5, ["stallTimeoutSecs"] = 5, ["deliveryStorageBufferBytes"] = spare },
            configure: o => o with { DataDir = Path.Combine(disk.Path, "data") });
        await s.ControlOkAsync("start", Id);
        // The origin has sent the 4 MB and goes quiet. Not the partial file's length: the agent may hold the last few KiB it
        // received until the stall ends the attempt, and the disk must be full well before the retry that follows.
        await DeliveryControlTests.WaitUntilAsync(() => s.Origin.RequestsFor(file.Name).Sum(r => r.BytesSent) >= 4_000_000);
        disk.Fill();
        var filledAt = DateTime.UtcNow;
        await DeliveryControlTests.WaitUntilAsync(() => s.Agent.Get<DiskSpace>().IsFull);
        var fullAt = DateTime.UtcNow;
        // Whatever filled the disk takes the room the agent gives back too (its reserve, the stalled attempt's room).
        var full = disk.KeepFull(leave: DiskSpace.FullBelowBytes / 2);
        var failed = await s.Agent.WaitForAsync(Id, x => x.DeviceReleaseStatus != "InProgress", TimeSpan.FromSeconds(40));
        Assert.True(failed.DeviceReleaseStatus == "Error",
            $"{failed.DeviceReleaseStatus} ({failed.ErrMsg}); full {s.Agent.Get<DiskSpace>().IsFull}, {disk.Available} bytes free; requests: " +
            string.Join(", ", s.Origin.RequestsFor(file.Name).Select(r => $"{r.At:HH:mm:ss.fff} {r.Range ?? "all"} {r.Status} sent {r.BytesSent}")) + $"; filled at {filledAt:HH:mm:ss.fff}, full seen at {fullAt:HH:mm:ss.fff}");
        Assert.Contains("starts again by itself", failed.ErrMsg);
        return (file, full);
    }
}
