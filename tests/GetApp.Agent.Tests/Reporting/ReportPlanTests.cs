using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Reporting;

namespace GetApp.Agent.Tests.Reporting;

/// <summary>Every lifecycle move maps to the server report GetApp expects (§4.2, §4.3), walked through the real transition table.</summary>
public class ReportPlanTests
{
    private static ReleaseRecord At(ReleasePosition position, double? progress = null) => new()
    {
        CatalogId = "7.app@1.0.0",
        Release = new JsonObject { ["id"] = "7.app@1.0.0" },
        Position = position,
        Progress = progress,
        DiscoveredAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
    };

    private static ReleasePosition Offered => new(ReleaseState.Push, null, null, null);

    private static (ReleasePosition To, IReadOnlyList<PlannedReport> Reports) Move(ReleasePosition from, ReleaseAction action)
    {
        Assert.True(ReleaseLifecycle.TryMove(from, action, out var to, out var refusal), refusal);
        return (to, ReportPlan.For(At(from), At(to)));
    }

    private static ReleasePosition Walk(params ReleaseAction[] actions)
    {
        var position = Offered;
        foreach (var action in actions)
        {
            position = Move(position, action).To;
        }

        return position;
    }

    [Theory]
    [InlineData(new[] { ReleaseAction.StartDelivery }, ReleaseAction.BeginDownload, "Download")]
    [InlineData(new[] { ReleaseAction.StartDelivery, ReleaseAction.BeginDownload }, ReleaseAction.PauseDelivery, "Pause")]
    [InlineData(new[] { ReleaseAction.StartDelivery, ReleaseAction.BeginDownload, ReleaseAction.PauseDelivery }, ReleaseAction.ResumeDelivery, "Continue")]
    [InlineData(new[] { ReleaseAction.StartDelivery }, ReleaseAction.CancelDelivery, "Cancelled")]
    [InlineData(new[] { ReleaseAction.StartDelivery }, ReleaseAction.FailDelivery, "Error")]
    [InlineData(new[] { ReleaseAction.StartDelivery, ReleaseAction.FailDelivery }, ReleaseAction.StartDelivery, "Start")]
    [InlineData(new[] { ReleaseAction.StartDelivery, ReleaseAction.BeginDownload, ReleaseAction.BeginValidation }, ReleaseAction.CompleteDelivery, "Done")]
    [InlineData(new[] { ReleaseAction.StartDelivery, ReleaseAction.BeginDownload, ReleaseAction.BeginValidation, ReleaseAction.CompleteDelivery }, ReleaseAction.DeleteDelivery, "Deleted")]
    public void Plan_DeliveryMove_IsTheServersDeliveryStatus(ReleaseAction[] before, ReleaseAction action, string expected)
    {
        var (_, reports) = Move(Walk(before), action);

        var report = Assert.Single(reports);
        Assert.Equal(new PlannedReport(ReportKind.Delivery, expected), report);
    }

    [Fact]
    public void Plan_StartDelivery_IsStart()
    {
        Assert.Equal([new PlannedReport(ReportKind.Delivery, "Start")], Move(Offered, ReleaseAction.StartDelivery).Reports);
    }

    [Fact]
    public void Plan_BeginValidation_SendsNothing()
    {
        Assert.Empty(Move(Walk(ReleaseAction.StartDelivery, ReleaseAction.BeginDownload), ReleaseAction.BeginValidation).Reports);
    }

    private static readonly ReleaseAction[] Delivered =
        [ReleaseAction.StartDelivery, ReleaseAction.BeginDownload, ReleaseAction.BeginValidation, ReleaseAction.CompleteDelivery];

    [Theory]
    [InlineData(new ReleaseAction[0], ReleaseAction.StartDeploy, new[] { "Start" })]
    [InlineData(new[] { ReleaseAction.StartDeploy }, ReleaseAction.ReportInstalling, new[] { "Installing" })]
    [InlineData(new[] { ReleaseAction.StartDeploy }, ReleaseAction.PauseDeploy, new[] { "Pause" })]
    [InlineData(new[] { ReleaseAction.StartDeploy, ReleaseAction.PauseDeploy }, ReleaseAction.ContinueDeploy, new[] { "Continue" })]
    [InlineData(new[] { ReleaseAction.StartDeploy }, ReleaseAction.CompleteDeploy, new[] { "Done" })]
    [InlineData(new[] { ReleaseAction.StartDeploy }, ReleaseAction.FailDeploy, new[] { "Error" })]
    [InlineData(new[] { ReleaseAction.StartDeploy }, ReleaseAction.CancelDeploy, new[] { "Cancelled" })]
    [InlineData(new[] { ReleaseAction.StartDeploy, ReleaseAction.FailDeploy }, ReleaseAction.StartDeploy, new[] { "Start" })]
    [InlineData(new ReleaseAction[0], ReleaseAction.InstallAsDependency, new[] { "Start", "Done" })]
    [InlineData(new ReleaseAction[0], ReleaseAction.FailAsDependency, new[] { "Start", "Error" })]
    [InlineData(new[] { ReleaseAction.StartDeploy }, ReleaseAction.FailAsDependency, new[] { "Error" })]
    [InlineData(new[] { ReleaseAction.StartDeploy, ReleaseAction.CompleteDeploy }, ReleaseAction.Uninstall, new[] { "Uninstall" })]
    public void Plan_DeployMove_IsTheServersDeployStatus(ReleaseAction[] afterDelivery, ReleaseAction action, string[] expected)
    {
        var (_, reports) = Move(Walk([.. Delivered, .. afterDelivery]), action);

        Assert.Equal(expected.Select(s => new PlannedReport(ReportKind.Deploy, s)), reports);
    }

    [Fact]
    public void Plan_ProgressSavedWhileDownloading_IsDownload_AndUnchangedProgressSendsNothing()
    {
        var downloading = Walk(ReleaseAction.StartDelivery, ReleaseAction.BeginDownload);

        Assert.Equal([new PlannedReport(ReportKind.Delivery, "Download")], ReportPlan.For(At(downloading, 10), At(downloading, 20)));
        Assert.Empty(ReportPlan.For(At(downloading, 20), At(downloading, 20)));
        var installing = Walk([.. Delivered, ReleaseAction.StartDeploy, ReleaseAction.ReportInstalling]);
        Assert.Equal([new PlannedReport(ReportKind.Deploy, "Installing")], ReportPlan.For(At(installing, 10), At(installing, 50)));
    }
}
