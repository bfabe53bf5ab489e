using GetApp.Agent.Core.Releases;
using static GetApp.Agent.Core.Releases.ReleaseState;
using DS = GetApp.Agent.Core.Releases.DeliveryStatus;
using DState = GetApp.Agent.Core.Releases.DeliveryState;
using Dep = GetApp.Agent.Core.Releases.DeploymentStatus;

namespace GetApp.Agent.Tests.Releases;

/// <summary>
/// The transition table, exhaustively: every (position, action) pair is either in the expected-allowed list below,
/// with its exact destination, or refused with a message that names the action and the current position.
/// </summary>
public class ReleaseLifecycleTests
{
    /// <summary>Every position a release can be in.</summary>
    public static readonly ReleasePosition[] AllPositions =
    [
        new(Offering, null, null, null),
        new(Push, null, null, null),
        .. from state in new[] { DState.Prepare, DState.Download, DState.Validation }
           from status in new[] { DS.Start, DS.InProgress, DS.Pause, DS.Cancel, DS.Error }
           select new ReleasePosition(ReleaseState.Delivery, state, status, null),
        new(Downloaded, DState.Done, DS.Done, null),
        .. from status in new[] { Dep.Start, Dep.Installing, Dep.Continue, Dep.Pause, Dep.Error, Dep.Cancelled }
           select new ReleasePosition(ReleaseState.Deploy, DState.Done, null, status),
        new(Installed, DState.Done, null, Dep.Done),
        new(Uninstalled, DState.Done, null, Dep.Uninstall),
        new(Deleted, null, null, null),
    ];

    private static readonly ReleasePosition DeliveryStart = new(ReleaseState.Delivery, DState.Prepare, DS.Start, null);
    private static readonly ReleasePosition DeployStart = new(ReleaseState.Deploy, DState.Done, null, Dep.Start);
    private static readonly ReleasePosition InstalledDone = new(Installed, DState.Done, null, Dep.Done);
    private static readonly ReleasePosition DeployError = new(ReleaseState.Deploy, DState.Done, null, Dep.Error);

    /// <summary>The expected table, written independently of the implementation.</summary>
    private static ReleasePosition? Expected(ReleasePosition p, ReleaseAction action)
    {
        var inDelivery = p.State == ReleaseState.Delivery;
        var inDeploy = p.State == ReleaseState.Deploy;
        var deployRunning = inDeploy && p.DeployStatus is Dep.Start or Dep.Installing or Dep.Continue or Dep.Pause;
        return action switch
        {
            ReleaseAction.StartDelivery when p.State is Offering or Push or Deleted || (inDelivery && p.DeliveryStatus is DS.Error or DS.Cancel) => DeliveryStart,
            ReleaseAction.BeginDownload when inDelivery && p.DeliveryState is DState.Prepare or DState.Download && p.DeliveryStatus is DS.Start or DS.InProgress
                => p with { DeliveryState = DState.Download, DeliveryStatus = DS.InProgress },
            ReleaseAction.BeginValidation when inDelivery && p.DeliveryState == DState.Download && p.DeliveryStatus == DS.InProgress => p with { DeliveryState = DState.Validation },
            ReleaseAction.CompleteDelivery when inDelivery && p.DeliveryState == DState.Validation && p.DeliveryStatus == DS.InProgress => new(Downloaded, DState.Done, DS.Done, null),
            ReleaseAction.PauseDelivery when inDelivery && p.DeliveryStatus is DS.Start or DS.InProgress => p with { DeliveryStatus = DS.Pause },
            ReleaseAction.ResumeDelivery when inDelivery && p.DeliveryStatus == DS.Pause => p with { DeliveryStatus = DS.InProgress },
            ReleaseAction.CancelDelivery when inDelivery && p.DeliveryStatus is DS.Start or DS.InProgress or DS.Pause or DS.Error => p with { DeliveryStatus = DS.Cancel },
            ReleaseAction.FailDelivery when inDelivery && p.DeliveryStatus is DS.Start or DS.InProgress or DS.Pause => p with { DeliveryStatus = DS.Error },
            ReleaseAction.DeleteDelivery when p.State is Downloaded or Uninstalled => new(Deleted, null, null, null),
            ReleaseAction.StartDeploy when p.State is Downloaded or Uninstalled || (inDeploy && p.DeployStatus is Dep.Error or Dep.Cancelled) => DeployStart,
            ReleaseAction.ReportInstalling when deployRunning => p with { DeployStatus = Dep.Installing },
            ReleaseAction.PauseDeploy when inDeploy && p.DeployStatus is Dep.Start or Dep.Installing or Dep.Continue => p with { DeployStatus = Dep.Pause },
            ReleaseAction.ContinueDeploy when inDeploy && p.DeployStatus == Dep.Pause => p with { DeployStatus = Dep.Continue },
            ReleaseAction.CompleteDeploy when deployRunning => InstalledDone,
            ReleaseAction.FailDeploy when deployRunning => p with { DeployStatus = Dep.Error },
            ReleaseAction.CancelDeploy when deployRunning => p with { DeployStatus = Dep.Cancelled },
            ReleaseAction.InstallAsDependency when p.State is Downloaded or ReleaseState.Deploy or Uninstalled => InstalledDone,
            ReleaseAction.FailAsDependency when p.State is Downloaded or Uninstalled || deployRunning => DeployError,
            ReleaseAction.Uninstall when p.State == Installed => new(Uninstalled, DState.Done, null, Dep.Uninstall),
            _ => null,
        };
    }

    public static TheoryData<ReleasePosition, ReleaseAction> AllPairs()
    {
        var data = new TheoryData<ReleasePosition, ReleaseAction>();
        foreach (var position in AllPositions)
        {
            foreach (var action in Enum.GetValues<ReleaseAction>())
            {
                data.Add(position, action);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void TryMove_EveryPositionAndAction_MatchesTheDocumentedTable(ReleasePosition from, ReleaseAction action)
    {
        var expected = Expected(from, action);

        var allowed = ReleaseLifecycle.TryMove(from, action, out var to, out var refusal);

        if (expected is { } destination)
        {
            Assert.True(allowed, $"{action} from {from} should be allowed, was refused: {refusal}");
            Assert.Equal(destination, to);
            Assert.Equal("", refusal);
        }
        else
        {
            Assert.False(allowed, $"{action} from {from} should be refused, went to {to}");
            Assert.Equal(from, to);
            Assert.Contains(from.ToString(), refusal);
            Assert.Contains("allowed from", refusal);
        }
    }

    [Fact]
    public void TryMove_EveryActionIsAllowedFromSomewhere()
    {
        foreach (var action in Enum.GetValues<ReleaseAction>())
        {
            Assert.Contains(AllPositions, p => ReleaseLifecycle.TryMove(p, action, out _, out _));
        }
    }

    [Fact]
    public void TryMove_DeliveryStartFromDownloaded_IsRefusedWithAReadableReason()
    {
        var downloaded = new ReleasePosition(Downloaded, DState.Done, DS.Done, null);

        Assert.False(ReleaseLifecycle.TryMove(downloaded, ReleaseAction.StartDelivery, out _, out var refusal));

        Assert.Equal("delivery start is not allowed while the release is in downloaded; it is allowed from offering, push, deleted, or delivery with Error or Cancel", refusal);
    }
}
