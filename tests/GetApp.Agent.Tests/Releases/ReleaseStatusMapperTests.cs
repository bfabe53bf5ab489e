using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Tests.Releases;

public class ReleaseStatusMapperTests
{
    [Theory]
    [InlineData(DeliveryStatus.Pause)]
    [InlineData(DeliveryStatus.Cancel)]
    [InlineData(DeliveryStatus.Error)]
    [InlineData(DeliveryStatus.Start)]
    public void Eta_NullWhenNothingMoves_EvenIfOneWasStoredWhileItRan(DeliveryStatus status)
    {
        var release = Release(new ReleasePosition(ReleaseState.Delivery, DeliveryState.Download, status, null)) with { Eta = 42, Progress = 40 };

        var dto = ReleaseStatusMapper.ToStatusDto(release, new LiveProgress(41, 40));

        Assert.Null(dto.Eta);
        Assert.Equal(40, dto.Progress);
    }

    [Fact]
    public void Eta_WhileItDownloads_TheLiveOne()
    {
        var release = Release(new ReleasePosition(ReleaseState.Delivery, DeliveryState.Download, DeliveryStatus.InProgress, null)) with { Eta = 42 };

        Assert.Equal(7, ReleaseStatusMapper.ToStatusDto(release, new LiveProgress(50, 7)).Eta);
        Assert.Equal(42, ReleaseStatusMapper.ToStatusDto(release, null).Eta);
    }

    private static ReleaseRecord Release(ReleasePosition position) => new()
    {
        CatalogId = "1.a@1.0.0",
        Release = new JsonObject { ["id"] = "1.a@1.0.0" },
        Position = position,
        DiscoveredAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
    };
}
