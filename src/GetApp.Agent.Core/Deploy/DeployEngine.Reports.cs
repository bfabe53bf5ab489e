using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Deploy;

/// <summary>What an installer reports while it runs (<c>PUT /api/v2/deploy/{catalog_id}</c>): its progress and its end.</summary>
public sealed partial class DeployEngine
{
    /// <summary><c>PUT /api/v2/deploy/{catalog_id}</c>: an installer reports its status, progress and log.</summary>
    public async Task<DeployResult> ReportAsync(string catalogId, DeployMessageDto message, CancellationToken cancellationToken)
    {
        if (message.Progress is < 0 or > 100)
        {
            return DeployResult.BadRequest($"progress must be between 0 and 100, not {message.Progress}");
        }

        if (message.EstimateTime is < 0)
        {
            return DeployResult.BadRequest("estimateTime must not be negative");
        }

        DeploymentStatus? status = null;
        if (message.Status is { } text)
        {
            if (ParseReportedStatus(text) is not { } parsed)
            {
                return DeployResult.BadRequest($"unknown deploy status '{text}'; expected Start, Installing, Done, Error, Cancelled, Pause or Continue (or Running, Installed, Failed)");
            }

            status = parsed;
        }
        else if (message.Progress is null && message.MessageLog is null)
        {
            return DeployResult.BadRequest("the report carries nothing: give a status, a progress or a messageLog");
        }

        if (status == DeploymentStatus.Uninstall)
        {
            return DeployResult.BadRequest($"Uninstall is not a report; use POST /api/v2/deploy/uninstall/{catalogId}");
        }

        var release = await releases.FindAsync(catalogId, cancellationToken).ConfigureAwait(false);
        if (release is null)
        {
            return DeployResult.NotFound($"release '{catalogId}' is not known to this device");
        }

        if (release.State != ReleaseState.Deploy)
        {
            return DeployResult.Conflict($"release '{catalogId}' is {release.Position}; installers report only while it is in deploy (start it with POST /api/v2/deploy/start/{catalogId})");
        }

        var effective = status ?? (message.Progress is not null ? DeploymentStatus.Installing : null);
        var log = message.MessageLog;
        if (_running.TryGetValue(catalogId, out var run))
        {
            // The agent runs this installer itself: its exit code decides the outcome; it may report progress and a log.
            switch (effective)
            {
                case DeploymentStatus.Cancelled:
                    run.Cancel(log ?? "cancelled by an installer report");
                    try
                    {
                        await run.Finished.WaitAsync(TimeSpan.FromSeconds(15), timeProvider, cancellationToken).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        // The answer shows where it stands now; the cancel completes in the background.
                    }

                    return await view.GetAsync(catalogId, cancellationToken).ConfigureAwait(false);
                case DeploymentStatus.Pause or DeploymentStatus.Continue:
                    return DeployResult.Conflict($"release '{catalogId}': the agent is running its installer, which cannot be paused; report Cancelled to stop it");
                case DeploymentStatus.Installing:
                    return await ReportProgressAsync(catalogId, message, cancellationToken).ConfigureAwait(false);
                default:
                    await records.UpdateAsync(catalogId, log ?? $"the installer reported {effective}; its exit code decides", null, cancellationToken).ConfigureAwait(false);
                    return await view.GetAsync(catalogId, cancellationToken).ConfigureAwait(false);
            }
        }

        switch (effective)
        {
            case null:
                await records.UpdateAsync(catalogId, log, null, cancellationToken).ConfigureAwait(false);
                return await view.GetAsync(catalogId, cancellationToken).ConfigureAwait(false);
            case DeploymentStatus.Start when release.Position.DeployStatus == DeploymentStatus.Start:
                await records.UpdateAsync(catalogId, log, null, cancellationToken).ConfigureAwait(false);
                return await view.GetAsync(catalogId, cancellationToken).ConfigureAwait(false);
            case DeploymentStatus.Start:
                return DeployResult.Conflict($"release '{catalogId}' is {release.Position}; start it again with POST /api/v2/deploy/start/{catalogId}");
            case DeploymentStatus.Installing:
                return await ReportProgressAsync(catalogId, message, cancellationToken).ConfigureAwait(false);
            case DeploymentStatus.Done:
                var done = await outcomes.CompleteAsync(catalogId, log ?? "the installer reported Done").ConfigureAwait(false);
                if (!done.Succeeded)
                {
                    return DeployResult.Conflict(done.Message);
                }

                var installed = done.Release!;
                RunInBackground(ct => outcomes.RunPostInstallAsync(installed, ct));
                return await view.GetAsync(catalogId, cancellationToken).ConfigureAwait(false);
            case DeploymentStatus.Error:
                if (!ReleaseLifecycle.TryMove(release.Position, ReleaseAction.FailDeploy, out _, out var refusal))
                {
                    return DeployResult.Conflict($"release '{catalogId}': {refusal}");
                }

                await outcomes.FailAsync(catalogId, log ?? "the installer reported an error").ConfigureAwait(false);
                return await view.GetAsync(catalogId, cancellationToken).ConfigureAwait(false);
            default:
                var action = effective switch
                {
                    DeploymentStatus.Cancelled => ReleaseAction.CancelDeploy,
                    DeploymentStatus.Pause => ReleaseAction.PauseDeploy,
                    _ => ReleaseAction.ContinueDeploy,
                };
                var moved = await records.MoveAsync(catalogId, action, new ReleaseChange { ErrMsg = effective == DeploymentStatus.Cancelled ? log : null }, log, null,
                    cancellationToken).ConfigureAwait(false);
                if (!moved.Succeeded)
                {
                    return DeployResult.Conflict(moved.Message);
                }

                return await view.GetAsync(catalogId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<DeployResult> ReportProgressAsync(string catalogId, DeployMessageDto message, CancellationToken cancellationToken)
    {
        var moved = await records.MoveAsync(catalogId, ReleaseAction.ReportInstalling,
            new ReleaseChange { Progress = message.Progress, Eta = message.EstimateTime }, message.MessageLog, null, cancellationToken).ConfigureAwait(false);
        if (!moved.Succeeded)
        {
            return DeployResult.Conflict(moved.Message);
        }

        if (message.Progress is { } progress)
        {
            releases.Progress.Set(catalogId, progress, message.EstimateTime);
        }

        return await view.GetAsync(catalogId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A reported status; the GetApp manual's installer words (<c>Running</c>, <c>Installed</c>, <c>Failed</c>) included.</summary>
    internal static DeploymentStatus? ParseReportedStatus(string text) => text.Trim().ToUpperInvariant() switch
    {
        "RUNNING" => DeploymentStatus.Installing,
        "INSTALLED" => DeploymentStatus.Done,
        "FAILED" => DeploymentStatus.Error,
        var upper => Enum.GetValues<DeploymentStatus>().Select(s => (DeploymentStatus?)s).FirstOrDefault(s => s.ToString()!.ToUpperInvariant() == upper),
    };
}
