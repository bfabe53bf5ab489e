using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Reporting;

namespace GetApp.Agent.Tests.Reporting;

/// <summary>Report values fit the server's 32-bit columns; each delivery report names its phase.</summary>
public class ReportColumnsTests
{
    [Theory]
    [InlineData(0L, 0)]
    [InlineData(1000L, 1000)]
    [InlineData(2147483647L, 2147483647)]
    [InlineData(3221225472L, 2147483647)]
    [InlineData(-5L, 0)]
    public void Int32Column_SaturatesAtTheColumnsLimit(long value, int expected) => Assert.Equal(expected, ReleaseReportListener.Int32Column(value));

    [Theory]
    [InlineData("Start", DeliveryState.Prepare, "Prepare")]
    [InlineData("Download", DeliveryState.Download, "Download")]
    [InlineData("Done", DeliveryState.Done, "Done")]
    [InlineData("Pause", DeliveryState.Download, "Download")]
    [InlineData("Continue", DeliveryState.Download, "Download")]
    [InlineData("Cancelled", DeliveryState.Prepare, "Prepare")]
    [InlineData("Error", DeliveryState.Validation, "Validation")]
    [InlineData("Deleted", null, null)]
    public void StateOf_Report_IsThePhaseItIsAbout(string status, DeliveryState? phase, string? expected)
    {
        var release = new ReleaseRecord
        {
            CatalogId = "7.app@1.0.0", Release = new JsonObject(), DiscoveredAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch,
            Position = new ReleasePosition(phase is null ? ReleaseState.Deleted : ReleaseState.Delivery, phase, DeliveryStatus.InProgress, null),
        };

        Assert.Equal(expected, ReleaseReportListener.StateOf(status, release));
    }
}
