using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Reporting;

/// <summary>Which server report a release write calls for.</summary>
public enum ReportKind
{
    /// <summary><c>POST /api/v2/delivery/updateDownloadStatus</c> with a <c>deliveryStatus</c>.</summary>
    Delivery,

    /// <summary><c>POST /api/v2/deploy/updateDeployStatus</c> with a <c>deployStatus</c>.</summary>
    Deploy,
}

/// <summary>One report to send: its kind and the server's status spelling (<c>Start</c>, <c>Download</c>, <c>Cancelled</c>...).</summary>
public readonly record struct PlannedReport(ReportKind Kind, string Status);

/// <summary>
/// Maps a release's before → after to the GetApp server reports it calls for (docs/getapp-server.md: the
/// server's delivery and deploy status mappings). Derived from the positions, not the action, so every writer (engines, API, progress saves) is covered alike.
/// </summary>
public static class ReportPlan
{
    /// <summary>
    /// The reports for one write, in order. A dependency installed or failed together with its root (without its own
    /// deploy start) gets a <c>Start</c> first, so the server sees every deployed release go Start → Done / Error.
    /// </summary>
    public static IReadOnlyList<PlannedReport> For(ReleaseRecord before, ReleaseRecord after)
    {
        var b = before.Position;
        var a = after.Position;
        if (b.State is ReleaseState.Downloaded or ReleaseState.Uninstalled
            && (a.State is ReleaseState.Installed || a is { State: ReleaseState.Deploy, DeployStatus: DeploymentStatus.Error }))
        {
            return [new(ReportKind.Deploy, "Start"), new(ReportKind.Deploy, a.State is ReleaseState.Installed ? "Done" : "Error")];
        }

        return One(before, after) is { } one ? [one] : [];
    }

    private static PlannedReport? One(ReleaseRecord before, ReleaseRecord after)
    {
        var b = before.Position;
        var a = after.Position;
        if (b == a)
        {
            // No transition: a progress save. Only running downloads and installs report progress.
            if (before.Progress == after.Progress)
            {
                return null;
            }

            return a switch
            {
                { State: ReleaseState.Delivery, DeliveryState: DeliveryState.Download, DeliveryStatus: DeliveryStatus.InProgress } => new(ReportKind.Delivery, "Download"),
                { State: ReleaseState.Deploy, DeployStatus: DeploymentStatus.Installing } => new(ReportKind.Deploy, "Installing"),
                _ => null,
            };
        }

        return a.State switch
        {
            ReleaseState.Delivery => DeliveryMove(b, a),
            // "Done" only for the whole release, delivered and verified (§9.2).
            ReleaseState.Downloaded when b.State is ReleaseState.Delivery => new(ReportKind.Delivery, "Done"),
            ReleaseState.Deleted => new(ReportKind.Delivery, "Deleted"),
            ReleaseState.Deploy => DeployMove(b, a),
            ReleaseState.Installed when b.State is not ReleaseState.Installed => new(ReportKind.Deploy, "Done"),
            ReleaseState.Uninstalled when b.State is ReleaseState.Installed => new(ReportKind.Deploy, "Uninstall"),
            _ => null,
        };
    }

    private static PlannedReport? DeliveryMove(ReleasePosition b, ReleasePosition a) => a.DeliveryStatus switch
    {
        DeliveryStatus.Start when b.State is not ReleaseState.Delivery || b.DeliveryStatus is DeliveryStatus.Error or DeliveryStatus.Cancel
            => new(ReportKind.Delivery, "Start"),
        DeliveryStatus.Pause when b.DeliveryStatus is not DeliveryStatus.Pause => new(ReportKind.Delivery, "Pause"),
        DeliveryStatus.InProgress when b.DeliveryStatus is DeliveryStatus.Pause => new(ReportKind.Delivery, "Continue"),
        DeliveryStatus.Cancel => new(ReportKind.Delivery, "Cancelled"),
        DeliveryStatus.Error => new(ReportKind.Delivery, "Error"),
        DeliveryStatus.InProgress when a.DeliveryState is DeliveryState.Download && b.DeliveryState is DeliveryState.Prepare
            => new(ReportKind.Delivery, "Download"),
        _ => null,
    };

    private static PlannedReport? DeployMove(ReleasePosition b, ReleasePosition a) => a.DeployStatus switch
    {
        DeploymentStatus.Start when b.State is not ReleaseState.Deploy || b.DeployStatus is DeploymentStatus.Error or DeploymentStatus.Cancelled
            => new(ReportKind.Deploy, "Start"),
        DeploymentStatus.Installing => new(ReportKind.Deploy, "Installing"),
        DeploymentStatus.Pause => new(ReportKind.Deploy, "Pause"),
        DeploymentStatus.Continue => new(ReportKind.Deploy, "Continue"),
        DeploymentStatus.Cancelled => new(ReportKind.Deploy, "Cancelled"),
        DeploymentStatus.Error => new(ReportKind.Deploy, "Error"),
        _ => null,
    };
}
