using GetApp.Agent.Core.Fleet;
using static GetApp.Agent.Core.Fleet.FleetCommandStatus;

namespace GetApp.Agent.Tests.Fleet;

public class FleetActionsTests
{
    [Fact]
    public void EveryActionAndStatus_RoundTripsItsWireName()
    {
        Assert.All(FleetActions.All, a => Assert.Equal(a, FleetActions.Parse(FleetActions.NameOf(a))));
        Assert.All(FleetActions.Statuses, s => Assert.Equal(s, FleetActions.ParseStatus(FleetActions.NameOf(s))));
        Assert.Equal(Enum.GetValues<FleetAction>().Length, FleetActions.All.Length);
        Assert.Equal(Enum.GetValues<FleetCommandStatus>().Length, FleetActions.Statuses.Length);
        Assert.Null(FleetActions.Parse("deliverystart")); // GetApp's spelling, exactly
        Assert.False(FleetActions.NeedsRelease(FleetAction.Discovery));
        Assert.False(FleetActions.NeedsRelease(FleetAction.MetadataRequest));
        Assert.True(FleetActions.NeedsRelease(FleetAction.DeliveryDelete));
    }

    [Theory]
    [InlineData(Pending, Sent, true)]
    [InlineData(Sent, Received, true)]
    [InlineData(Pending, Done, true)]
    [InlineData(Received, Accepted, true)]
    [InlineData(Accepted, Failed, true)]
    [InlineData(Accepted, Received, false)] // a late acknowledgement
    [InlineData(Done, Accepted, false)]
    [InlineData(Done, Failed, false)]
    [InlineData(Refused, Done, false)]
    [InlineData(Cancelled, Received, false)]
    [InlineData(Expired, Received, true)] // the child took it at the last moment: what it did wins
    [InlineData(Expired, Done, true)]
    [InlineData(Expired, Sent, false)]
    public void Statuses_OnlyMoveForward_ButAChildsOutcomeWinsOverAnExpiry(FleetCommandStatus from, FleetCommandStatus to, bool advances) =>
        Assert.Equal(advances, FleetActions.Advances(from, to));
}
