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
    public void Sample_EtaUnknownUntilARateIsMeasured_ThenRemainingOverRate()
    {
        var progress = new DeliveryProgress([("r", "a", 1000)]);
        Assert.Null(progress.Sample(0, Second).Eta);

        progress.Report("r", "a", 100);
        var (_, eta) = progress.Sample(Second, Second);

        Assert.Equal(9, eta);
    }

    [Fact]
    public void Sample_FirstWindowBeganBeforeTheBytes_NextWindowReplacesItsRate()
    {
        var progress = new DeliveryProgress([("r", "a", 10_000)]);
        progress.Sample(0, Second);
        progress.Report("r", "a", 100); // the bytes began near the end of the first window
        Assert.Equal(99, progress.Sample(Second, Second).Eta);

        progress.Report("r", "a", 1_100); // 1,000 bytes/s over a whole window
        Assert.Equal(9, progress.Sample(2 * Second, Second).Eta);

        progress.Report("r", "a", 1_600); // from now on windows are blended: 0.3 × 500 + 0.7 × 1,000 = 850 bytes/s
        Assert.Equal(10, progress.Sample(3 * Second, Second).Eta);
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
        Assert.Equal(70, progress.Sample(2 * Second, Second).Percent);
    }
}
