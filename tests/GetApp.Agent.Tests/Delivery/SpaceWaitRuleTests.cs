using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Tests.Fleet;

namespace GetApp.Agent.Tests.Delivery;

public class SpaceWaitRuleTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Threshold_IsWhatTheRestNeedsPlusTheSpare_NeverLessThanWhereTheDiskIsBack_AndSaturates()
    {
        Assert.Equal(40 * MiB + 32 * MiB, SpaceWaitRule.Threshold(40 * MiB, 32 * MiB));
        Assert.Equal(DiskSpace.RecoverAtBytes, SpaceWaitRule.Threshold(1 * MiB, 0));
        Assert.Equal(DiskSpace.RecoverAtBytes, SpaceWaitRule.Threshold(0, 0));
        Assert.Equal(long.MaxValue, SpaceWaitRule.Threshold(long.MaxValue - 10, 100));
        Assert.Equal(long.MaxValue, SpaceWaitRule.Threshold(long.MaxValue, 0));
    }

    [Fact]
    public void Due_ADeliveryThatNeedsMore_WaitsUntilThatMuchIsFree_NotJustUntilTheDiskIsBack()
    {
        var waits = new[] { new SpaceWait("5.app@1", 40 * MiB) };

        Assert.Empty(SpaceWaitRule.Due(waits, 20 * MiB, diskFull: false));
        Assert.Empty(SpaceWaitRule.Due(waits, 20 * MiB, diskFull: false, diskBack: true));
        Assert.Empty(SpaceWaitRule.Due(waits, 40 * MiB - 1, diskFull: false));
        Assert.Equal(["5.app@1"], SpaceWaitRule.Due(waits, 40 * MiB, diskFull: false));
        Assert.Empty(SpaceWaitRule.Due(waits, 100 * MiB, diskFull: true)); // nothing starts on a disk that counts as full
    }

    [Fact]
    public void Due_ADeliveryTheFullDiskStopped_GoesOnWhenTheDiskIsBack()
    {
        var waits = new[] { new SpaceWait("5.app@1", null) };

        Assert.Empty(SpaceWaitRule.Due(waits, DiskSpace.RecoverAtBytes, diskFull: true));
        Assert.Equal(["5.app@1"], SpaceWaitRule.Due(waits, DiskSpace.RecoverAtBytes, diskFull: false));
        // After a restart the monitor knows nothing of the full disk: the room itself decides.
        Assert.Empty(SpaceWaitRule.Due(waits, DiskSpace.RecoverAtBytes - 1, diskFull: false));
        // The monitor saw it come back and made its reserve again, which may leave less than that.
        Assert.Equal(["5.app@1"], SpaceWaitRule.Due(waits, 10 * MiB, diskFull: false, diskBack: true));
    }

    [Fact]
    public void Due_LongestWaitingFirst_EachTakingTheRoomItNeeds_SoTwoThatFitOnlyAloneDoNotBothStart()
    {
        var waits = new[] { new SpaceWait("a", 60 * MiB), new SpaceWait("b", 50 * MiB), new SpaceWait("c", 30 * MiB), new SpaceWait("d", null) };

        Assert.Equal(["a", "c", "d"], SpaceWaitRule.Due(waits, 100 * MiB, diskFull: false));
        Assert.Equal(["b", "d"], SpaceWaitRule.Due(waits, 55 * MiB, diskFull: false)); // a does not fit; it does not hold the others back
    }

    [Fact]
    public async Task Store_KeepsWhatEachNeeds_UpdatedWhenItWaitsAgain_InTheOrderTheyBeganToWait()
    {
        using var db = await FleetTestDatabase.CreateAsync();
        var store = new SpaceWaitStore(db.Database, db.Clock);
        await store.AddAsync("a", null, CancellationToken.None);
        db.Clock.Now = db.Clock.Now.AddSeconds(1);
        await store.AddAsync("b", 40 * MiB, CancellationToken.None);
        db.Clock.Now = db.Clock.Now.AddSeconds(1);
        // Restarted once the disk was back, "a" found too little room: it waits again, for what it needs, in its place.
        await store.AddAsync("a", 70 * MiB, CancellationToken.None);

        Assert.Equal([new SpaceWait("a", 70 * MiB), new SpaceWait("b", 40 * MiB)], await store.ListAsync(CancellationToken.None));
        await store.RemoveAsync("a", CancellationToken.None);
        Assert.Equal([new SpaceWait("b", 40 * MiB)], await store.ListAsync(CancellationToken.None));
    }
}
