using static GetApp.Agent.Core.Releases.ReleaseState;

namespace GetApp.Agent.Core.Releases;

/// <summary>
/// The one transition table of the release lifecycle (docs/architecture.md §2). Every change of a release's
/// position goes through <see cref="TryMove"/>; a move that is not in the table is refused and changes nothing.
/// </summary>
public static class ReleaseLifecycle
{
    private sealed record Rule(ReleaseAction Action, string AllowedFrom, Func<ReleasePosition, bool> From, Func<ReleasePosition, ReleasePosition> To);

    private static readonly DeliveryStatus[] Active = [DeliveryStatus.Start, DeliveryStatus.InProgress];
    private static readonly DeploymentStatus[] Running =
        [DeploymentStatus.Start, DeploymentStatus.Installing, DeploymentStatus.Continue, DeploymentStatus.Pause];

    private static readonly Rule[] Rules =
    [
        new(ReleaseAction.StartDelivery, "offering, push, deleted, or delivery with Error or Cancel",
            p => p.State is Offering or Push or Deleted || (p.State is ReleaseState.Delivery && p.DeliveryStatus is DeliveryStatus.Error or DeliveryStatus.Cancel),
            _ => new(ReleaseState.Delivery, DeliveryState.Prepare, DeliveryStatus.Start, null)),
        new(ReleaseAction.BeginDownload, "delivery (prepare or download) with Start or InProgress",
            p => p.State is ReleaseState.Delivery && p.DeliveryState is DeliveryState.Prepare or DeliveryState.Download && Active.Contains(p.DeliveryStatus!.Value),
            p => p with { DeliveryState = DeliveryState.Download, DeliveryStatus = DeliveryStatus.InProgress }),
        new(ReleaseAction.BeginValidation, "delivery (download) with InProgress",
            p => p is { State: ReleaseState.Delivery, DeliveryState: DeliveryState.Download, DeliveryStatus: DeliveryStatus.InProgress },
            p => p with { DeliveryState = DeliveryState.Validation }),
        new(ReleaseAction.CompleteDelivery, "delivery (validation) with InProgress",
            p => p is { State: ReleaseState.Delivery, DeliveryState: DeliveryState.Validation, DeliveryStatus: DeliveryStatus.InProgress },
            _ => new(Downloaded, DeliveryState.Done, DeliveryStatus.Done, null)),
        new(ReleaseAction.PauseDelivery, "delivery with Start or InProgress",
            p => p.State is ReleaseState.Delivery && Active.Contains(p.DeliveryStatus!.Value),
            p => p with { DeliveryStatus = DeliveryStatus.Pause }),
        new(ReleaseAction.ResumeDelivery, "delivery with Pause",
            p => p is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Pause },
            p => p with { DeliveryStatus = DeliveryStatus.InProgress }),
        new(ReleaseAction.CancelDelivery, "delivery with Start, InProgress, Pause or Error",
            p => p.State is ReleaseState.Delivery && p.DeliveryStatus is not DeliveryStatus.Cancel and not DeliveryStatus.Done,
            p => p with { DeliveryStatus = DeliveryStatus.Cancel }),
        new(ReleaseAction.FailDelivery, "delivery with Start, InProgress or Pause",
            p => p.State is ReleaseState.Delivery && p.DeliveryStatus is DeliveryStatus.Start or DeliveryStatus.InProgress or DeliveryStatus.Pause,
            p => p with { DeliveryStatus = DeliveryStatus.Error }),
        new(ReleaseAction.DeleteDelivery, "downloaded or uninstalled",
            p => p.State is Downloaded or Uninstalled,
            _ => new(Deleted, null, null, null)),
        new(ReleaseAction.StartDeploy, "downloaded, uninstalled, or deploy with Error or Cancelled",
            p => p.State is Downloaded or Uninstalled || (p.State is ReleaseState.Deploy && p.DeployStatus is DeploymentStatus.Error or DeploymentStatus.Cancelled),
            _ => new(ReleaseState.Deploy, DeliveryState.Done, null, DeploymentStatus.Start)),
        new(ReleaseAction.ReportInstalling, "deploy with Start, Installing, Continue or Pause",
            p => p.State is ReleaseState.Deploy && Running.Contains(p.DeployStatus!.Value),
            p => p with { DeployStatus = DeploymentStatus.Installing }),
        new(ReleaseAction.PauseDeploy, "deploy with Start, Installing or Continue",
            p => p.State is ReleaseState.Deploy && p.DeployStatus is DeploymentStatus.Start or DeploymentStatus.Installing or DeploymentStatus.Continue,
            p => p with { DeployStatus = DeploymentStatus.Pause }),
        new(ReleaseAction.ContinueDeploy, "deploy with Pause",
            p => p is { State: ReleaseState.Deploy, DeployStatus: DeploymentStatus.Pause },
            p => p with { DeployStatus = DeploymentStatus.Continue }),
        new(ReleaseAction.CompleteDeploy, "deploy with Start, Installing, Continue or Pause",
            p => p.State is ReleaseState.Deploy && Running.Contains(p.DeployStatus!.Value),
            _ => new(Installed, DeliveryState.Done, null, DeploymentStatus.Done)),
        new(ReleaseAction.FailDeploy, "deploy with Start, Installing, Continue or Pause",
            p => p.State is ReleaseState.Deploy && Running.Contains(p.DeployStatus!.Value),
            p => p with { DeployStatus = DeploymentStatus.Error }),
        new(ReleaseAction.CancelDeploy, "deploy with Start, Installing, Continue or Pause",
            p => p.State is ReleaseState.Deploy && Running.Contains(p.DeployStatus!.Value),
            p => p with { DeployStatus = DeploymentStatus.Cancelled }),
        // A dependency follows its root: installed when the root's install succeeds, deploy/Error when it fails.
        new(ReleaseAction.InstallAsDependency, "downloaded, deploy or uninstalled",
            p => p.State is Downloaded or ReleaseState.Deploy or Uninstalled,
            _ => new(Installed, DeliveryState.Done, null, DeploymentStatus.Done)),
        new(ReleaseAction.FailAsDependency, "downloaded, uninstalled, or deploy with Start, Installing, Continue or Pause",
            p => p.State is Downloaded or Uninstalled || (p.State is ReleaseState.Deploy && Running.Contains(p.DeployStatus!.Value)),
            _ => new(ReleaseState.Deploy, DeliveryState.Done, null, DeploymentStatus.Error)),
        new(ReleaseAction.Uninstall, "installed",
            p => p.State is Installed,
            _ => new(Uninstalled, DeliveryState.Done, null, DeploymentStatus.Uninstall)),
    ];

    private static readonly Dictionary<ReleaseAction, Rule> ByAction = Rules.ToDictionary(r => r.Action);

    /// <summary>Where <paramref name="action"/> takes a release at <paramref name="from"/>, or why it cannot.</summary>
    public static bool TryMove(ReleasePosition from, ReleaseAction action, out ReleasePosition to, out string refusal)
    {
        var rule = ByAction[action];
        if (rule.From(from))
        {
            to = rule.To(from);
            refusal = "";
            return true;
        }

        to = from;
        refusal = $"{Describe(action)} is not allowed while the release is in {from}; it is allowed from {rule.AllowedFrom}";
        return false;
    }

    /// <summary>A short human name of an action for error messages ("delivery start", "deploy start"...).</summary>
    public static string Describe(ReleaseAction action) => action switch
    {
        ReleaseAction.StartDelivery => "delivery start",
        ReleaseAction.PauseDelivery => "delivery pause",
        ReleaseAction.ResumeDelivery => "delivery resume",
        ReleaseAction.CancelDelivery => "delivery cancel",
        ReleaseAction.DeleteDelivery => "delivery delete",
        ReleaseAction.StartDeploy => "deploy start",
        ReleaseAction.Uninstall => "uninstall",
        _ => action.ToString(),
    };
}
