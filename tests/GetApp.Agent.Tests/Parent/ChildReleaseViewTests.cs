using System.Text.Json.Nodes;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Tests.Parent;

public class ChildReleaseViewTests
{
    private static readonly DateTimeOffset At = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("delivery", "Download", null, "InProgress", DeliveryState.Download)]
    [InlineData("delivery", "Continue", null, "InProgress", DeliveryState.Download)]
    [InlineData("delivery", "Cancelled", null, "Cancel", null)]
    [InlineData("delivery", "Start", null, "Start", DeliveryState.Prepare)]
    [InlineData("downloaded", "Done", null, "Done", DeliveryState.Done)]
    [InlineData("deploy", "Done", "Installing", "Installing", DeliveryState.Done)]
    [InlineData("installed", null, null, "Done", DeliveryState.Done)]
    public void ReportedStatuses_AreShownWithTheAgentApisSpellings(string state, string? delivery, string? deploy, string expected, DeliveryState? phase)
    {
        var view = ChildReleaseView.ToStatusDto(new ChildRelease("c", "7.app@1.2.3", state, delivery, deploy, 55.555, null, At), null, At);
        Assert.Equal(expected, view.DeviceReleaseStatus);
        Assert.Equal(phase, view.DeliveryState);
        Assert.Equal(55.56, view.Progress);
        Assert.Equal("1.2.3", view.Release.Version);
        Assert.Equal("7.app@1.2.3", view.Release.Id);
    }

    [Fact]
    public void ReleaseFields_ComeFromTheOfferingWhenKnown()
    {
        var release = JsonNode.Parse("""{"id":"7.app@1.2.3","version":"1.2.3","projectName":"app","projectId":7,"displayName":"The app"}""")!.AsObject();
        var view = ChildReleaseView.ToStatusDto(new ChildRelease("c", "7.app@1.2.3", "installed", null, "Done", 100, null, At), release, At);
        Assert.Equal("The app", view.Release.DisplayName);
        Assert.Equal(7, view.Release.ProjectId);
        Assert.Equal(ReleaseState.Installed, view.State);
    }
}
