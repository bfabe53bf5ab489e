using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

/// <summary>
/// Two roots delivering one dependency at once: stopping one root never strands the other, and every run that stops
/// leaves its root where a person can act on it.
/// </summary>
public class SharedDependencyTests
{
    private const string D = "1.shared@1.0.0";
    private const string R1 = "2.first@1.0.0";
    private const string R2 = "3.second@1.0.0";
    private const long DSize = 4_000_000;

    private static async Task<(DeliveryScenario S, OriginFile D)> BothDeliveringAsync()
    {
        var s = await DeliveryScenario.CreateAsync();
        var d = s.Origin.AddFile("d.bin", DSize, seed: 1);
        d.Faults.ThrottleBytesPerSecond = 1_000_000;
        var r1 = s.Origin.AddFile("r1.bin", 10_000, seed: 2);
        var r2 = s.Origin.AddFile("r2.bin", 10_000, seed: 3);
        s.Catalog.AddRaw(CatalogEntries.Http(D, d, dependedOnBy: [R1, R2]))
            .AddRaw(CatalogEntries.Http(R1, r1))
            .AddRaw(CatalogEntries.Http(R2, r2));
        var settings = DeliveryScenario.FastRetries.DeepClone().AsObject();
        settings["maxParallelDeliveries"] = 2;
        await s.StartAgentAsync(settings);
        await s.ControlOkAsync("start", R1);
        await s.Agent.WaitForAsync(D, x => x.DeliveryState == DeliveryState.Download && x.Progress > 0);
        await s.ControlOkAsync("start", R2);
        await s.Agent.WaitForAsync(R2, x => x.DeviceReleaseStatus == "InProgress");
        return (s, d);
    }

    [Theory]
    [InlineData("cancel", "Cancel")]
    [InlineData("pause", "Pause")]
    public async Task StopOneRoot_SharedDependencyStillNeededByTheOther_OtherRootFinishesFromTheBytesOnDisk(string action, string status)
    {
        var (s, d) = await BothDeliveringAsync();
        await using var _ = s;

        var stopped = await s.ControlOkAsync(action, R1);

        Assert.Equal(status, stopped.DeviceReleaseStatus);
        var dependency = await s.Agent.WaitForAsync(D, _ => true);
        Assert.Equal(ReleaseState.Delivery, dependency.State);
        Assert.Equal("InProgress", dependency.DeviceReleaseStatus);
        Assert.True(s.PartialBytes(D) > 0, "the dependency's bytes are kept for the root that still needs it");
        d.Faults.ThrottleBytesPerSecond = null;

        var second = await s.WaitDownloadedAsync(R2, TimeSpan.FromSeconds(60));

        Assert.True(second.State == ReleaseState.Downloaded, $"{second.State}/{second.DeviceReleaseStatus}: {second.ErrMsg}");
        Assert.Equal(ReleaseState.Downloaded, (await s.Agent.WaitForAsync(D, _ => true)).State);
        Assert.InRange(s.Origin.BytesServed(d.Name), DSize, DSize * 105 / 100);
        Assert.Equal(status, (await s.Agent.WaitForAsync(R1, _ => true)).DeviceReleaseStatus);

        // The stopped root goes on (or again) without fetching the dependency again.
        await s.ControlOkAsync(action == "pause" ? "resume" : "start", R1);
        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(R1)).State);
        Assert.InRange(s.Origin.BytesServed(d.Name), DSize, DSize * 105 / 100);
    }

    [Fact]
    public async Task CancelTheSharedDependencyItself_BothRootsStopWhereAPersonCanActAndStartAgainWorks()
    {
        var (s, d) = await BothDeliveringAsync();
        await using var _ = s;

        Assert.Equal("Cancel", (await s.ControlOkAsync("cancel", D)).DeviceReleaseStatus);

        Assert.Equal("Cancel", (await s.Agent.WaitForAsync(R1, x => x.DeviceReleaseStatus != "InProgress")).DeviceReleaseStatus);
        Assert.Equal("Cancel", (await s.Agent.WaitForAsync(R2, x => x.DeviceReleaseStatus != "InProgress")).DeviceReleaseStatus);
        Assert.False(Directory.Exists(s.PartialDirOf(D)));
        d.Faults.ThrottleBytesPerSecond = null;
        await s.ControlOkAsync("start", R2);
        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(R2)).State);
        await s.ControlOkAsync("start", R1);
        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(R1)).State);
    }

    [Fact]
    public async Task RunStoppedByAMoveItCouldNotMake_RootEndsInErrorWithTheReason_NotInProgressForever()
    {
        var (s, d) = await BothDeliveringAsync();
        await using var _ = s;

        // Another party (an installer, a bug, a future feature) moves the dependency out from under both runs without
        // asking the engine: the runs cannot go on, and must not leave their roots looking busy.
        await s.Agent.MoveAsync(D, ReleaseMoves.Do(ReleaseAction.CancelDelivery));
        d.Faults.ThrottleBytesPerSecond = null;

        foreach (var root in new[] { R1, R2 })
        {
            var status = await s.Agent.WaitForAsync(root, x => x.DeviceReleaseStatus != "InProgress" && x.DeviceReleaseStatus != "Start", TimeSpan.FromSeconds(30));
            Assert.Equal("Error", status.DeviceReleaseStatus);
            Assert.Contains($"'{D}'", status.ErrMsg);
            await s.ControlOkAsync("start", root);
            Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(root)).State);
        }
    }
}
