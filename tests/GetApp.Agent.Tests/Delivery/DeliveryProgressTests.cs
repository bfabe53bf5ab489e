using GetApp.Agent.Core.Delivery;

namespace GetApp.Agent.Tests.Delivery;

public class DeliveryProgressTests
{
    private const long Second = 1_000;

    [Fact]
    public void Sample_BytesOverAllArtifactsOfTheClosure()
    {
        var progress = new DeliveryProgress([("dep", "d", 100), ("root", "r", 300)]);
        progress.Report("dep", "d", 100);
        progress.Report("root", "r", 100);

        Assert.Equal(50, progress.Sample(0, Second).Percent);
        Assert.Equal(100, progress.PercentOf("dep"));
        Assert.Equal(100.0 / 3, progress.PercentOf("root"), 3);
    }

    [Fact]
    public void StartAtLeast_AResumedDeliveryNeverShowsLessThanWhenItStopped()
    {
        var progress = new DeliveryProgress([("r", "a", 1000)]);
        progress.StartAtLeast(42.5);

        Assert.Equal(42.5, progress.Sample(0, Second).Percent); // nothing reported yet: not 0 %
        progress.Report("r", "a", 600);
        Assert.Equal(60, progress.Sample(Second, Second).Percent);
    }

    [Fact]
    public void Sample_EtaUnknownUntilBytesMovedForASecond_ThenRemainingOverRate()
    {
        var progress = new DeliveryProgress([("r", "a", 1000)]);
        Assert.Null(progress.Sample(0, Second).Eta);

        progress.Report("r", "a", 100); // the bytes began somewhere in this first second: it is not measured
        Assert.Null(progress.Sample(Second, Second).Eta);
        progress.Report("r", "a", 150);
        Assert.Null(progress.Sample(Second + (Second / 2), Second).Eta);

        progress.Report("r", "a", 200);
        Assert.Equal(8, progress.Sample(2 * Second, Second).Eta); // 100 bytes/s, 800 left
    }

    [Fact]
    public void Sample_OneStarvedHalfSecondEarlyOn_EtaNotThrownOff()
    {
        var progress = new DeliveryProgress([("r", "a", 4_000_000)]);
        var etas = new List<long?>();
        long[] lengths = [0, 500_000, 550_000, 1_500_000, 2_000_000, 2_500_000]; // 1 MB/s, with 0.5-1.0 s starved
        for (var i = 0; i < lengths.Length; i++)
        {
            progress.Report("r", "a", lengths[i]);
            etas.Add(progress.Sample(i * Second / 2, Second).Eta);
        }

        Assert.Equal([null, null, null, 3, 2, 2], etas);
    }

    [Fact]
    public void Sample_RateDrops_EtaFollowsWithinTheWindow()
    {
        var progress = new DeliveryProgress([("r", "a", 100_000)]);
        long length = 0;
        var second = 0;
        for (; second <= 10; second++, length += 1000)
        {
            progress.Report("r", "a", length);
            progress.Sample(second * Second, Second);
        }

        long? eta = null;
        for (; second <= 16; second++, length += 100)
        {
            progress.Report("r", "a", length);
            eta = progress.Sample(second * Second, Second).Eta;
        }

        Assert.Equal((100_000 - length + 100) / 100, eta); // 100 bytes/s over the last five seconds
    }

    [Fact]
    public void Sample_NoBytesForTheWholeWindow_EtaUnknown()
    {
        var progress = new DeliveryProgress([("r", "a", 10_000)]);
        for (var second = 0; second <= 3; second++)
        {
            progress.Report("r", "a", second * 1000);
            progress.Sample(second * Second, Second);
        }

        Assert.NotNull(progress.Sample(4 * Second, Second).Eta);
        Assert.Null(progress.Sample(9 * Second, Second).Eta);
    }

    [Fact]
    public void Sample_ArtifactStartsOver_PercentNeverGoesBack()
    {
        var progress = new DeliveryProgress([("r", "a", 1000)]);
        progress.Report("r", "a", 600);
        Assert.Equal(60, progress.Sample(0, Second).Percent);

        progress.Report("r", "a", 0);
        Assert.Equal(60, progress.Sample(Second, Second).Percent);
        progress.Report("r", "a", 700);
        var (percent, eta) = progress.Sample(2 * Second, Second);
        Assert.Equal(70, percent);
        Assert.Null(eta); // measured again once it has moved for a second
        progress.Report("r", "a", 800);
        Assert.Equal(2, progress.Sample(3 * Second, Second).Eta);
    }
}
