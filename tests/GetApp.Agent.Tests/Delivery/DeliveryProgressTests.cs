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
