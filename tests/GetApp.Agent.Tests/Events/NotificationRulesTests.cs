using System.Text.Json.Nodes;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Health;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Tests.Events;

public class NotificationRulesTests
{
    [Fact]
    public void Move_FailedDelivery_ByItsReason_SignatureIsASecurityMatter()
    {
        var moved = Moved(ReleaseAction.FailDelivery, new ReleasePosition(ReleaseState.Delivery, DeliveryState.Validation, DeliveryStatus.Error, null));

        Assert.Equal(("deliveryFailed", "delivery"), KindOf(NotificationRules.ForMove(moved, DeliveryFailureReason.Network)));
        Assert.Equal(("deliveryFailed", "delivery"), KindOf(NotificationRules.ForMove(moved, null)));
        Assert.Equal(("signatureRefused", "security"), KindOf(NotificationRules.ForMove(moved, DeliveryFailureReason.Signature)));
        Assert.Equal(new NotificationEntity("release", "1.a@1.0.0"), NotificationRules.ForMove(moved, null)!.Entity);
        Assert.Contains("boom", NotificationRules.ForMove(moved, null)!.Message);
    }

    [Fact]
    public void Move_OnlyFailuresAreTold()
    {
        Assert.Equal(("deployFailed", "deploy"), KindOf(NotificationRules.ForMove(Moved(ReleaseAction.FailDeploy, new ReleasePosition(ReleaseState.Deploy, DeliveryState.Done, null, DeploymentStatus.Error)), null)));
        Assert.Null(NotificationRules.ForMove(Moved(ReleaseAction.CompleteDelivery, new ReleasePosition(ReleaseState.Downloaded, DeliveryState.Done, DeliveryStatus.Done, null)), null));
        Assert.Null(NotificationRules.ForMove(Moved(ReleaseAction.PauseDelivery, new ReleasePosition(ReleaseState.Delivery, DeliveryState.Download, DeliveryStatus.Pause, null)), null));
    }

    [Fact]
    public void Upstream_ToldWhenItGoesAndWhenItIsBack_NotAtEveryFailure()
    {
        var unknown = new UpstreamStatus(UpstreamState.Unknown, null, null, null);
        var up = unknown with { State = UpstreamState.Reachable };
        var down = unknown with { State = UpstreamState.Unreachable };

        Assert.Equal("upstreamUnreachable", NotificationRules.ForUpstream(up, down)!.Kind);
        Assert.Equal("upstreamUnreachable", NotificationRules.ForUpstream(unknown, down)!.Kind);
        Assert.Equal("upstreamBack", NotificationRules.ForUpstream(down, up)!.Kind);
        Assert.Null(NotificationRules.ForUpstream(unknown, up));
        Assert.Null(NotificationRules.ForUpstream(down, down));
    }

    [Fact]
    public void Disk_LowOnceAndRecoveredOnce_LowAtStartToo()
    {
        var ok = new DiskSample("/data", 10_000, 100_000, 0, Low: false);
        var low = ok with { FreeBytes = 10, Low = true };

        Assert.Equal("diskLow", NotificationRules.ForDisk(null, low)!.Kind);
        Assert.Equal("diskLow", NotificationRules.ForDisk(ok, low)!.Kind);
        Assert.Null(NotificationRules.ForDisk(low, low with { FreeBytes = 5 }));
        Assert.Equal("diskRecovered", NotificationRules.ForDisk(low, ok)!.Kind);
        Assert.Null(NotificationRules.ForDisk(null, ok));
        Assert.Null(NotificationRules.ForDisk(ok, ok));
    }

    [Fact]
    public void DiskLowMargin_FivePercentAtMostOneGiB()
    {
        Assert.Equal(50, DiskSample.LowMargin(1000));
        Assert.Equal(1L << 30, DiskSample.LowMargin(1L << 40));
    }

    private static (string, string)? KindOf(NotificationDraft? draft) => draft is null ? null : (draft.Kind, draft.Category);

    private static ReleaseMoved Moved(ReleaseAction action, ReleasePosition after)
    {
        var before = new ReleaseRecord
        {
            CatalogId = "1.a@1.0.0",
            Release = new JsonObject(),
            Position = new ReleasePosition(ReleaseState.Delivery, DeliveryState.Download, DeliveryStatus.InProgress, null),
            DiscoveredAt = DateTimeOffset.UnixEpoch,
            UpdatedAt = DateTimeOffset.UnixEpoch,
        };
        return new ReleaseMoved(before, before with { Position = after, ErrMsg = "boom" }, action);
    }
}
