using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Upstream;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// <c>POST /api/v2/deploy/uninstall/{catalog_id}</c>: runs the release's uninstaller when it has one (convention in
/// docs/deploy.md), records it uninstalled, and takes along the dependencies that were installed with it and that no
/// installed release needs any more. Installed as one, uninstalled as one: only the root's uninstaller runs.
/// </summary>
public sealed partial class ReleaseUninstaller(
    ReleaseService releases,
    DeployRecordStore records,
    InstallerRunner runner,
    DeployOutcomes outcomes,
    DeployView view,
    IHostApplicationLifetime lifetime,
    ILogger<ReleaseUninstaller> logger)
{
    private readonly ConcurrentDictionary<string, byte> _uninstalling = new(StringComparer.Ordinal);

    public async Task<DeployResult> UninstallAsync(string catalogId, CancellationToken cancellationToken)
    {
        var all = await DependencyGraph.ByIdAsync(releases, cancellationToken).ConfigureAwait(false);
        if (!all.TryGetValue(catalogId, out var release))
        {
            return DeployResult.NotFound($"release '{catalogId}' is not known to this device");
        }

        if (!ReleaseLifecycle.TryMove(release.Position, ReleaseAction.Uninstall, out _, out var refusal))
        {
            return DeployResult.Conflict($"release '{catalogId}': {refusal}");
        }

        if (DependencyGraph.NeededBy(catalogId, all.Values) is { } dependent)
        {
            return DeployResult.Conflict($"release '{catalogId}' is still needed by '{dependent}' ({all[dependent].Position}); uninstall that release first");
        }

        if (!_uninstalling.TryAdd(catalogId, 0))
        {
            return DeployResult.Conflict($"release '{catalogId}' is already being uninstalled");
        }

        try
        {
            var message = "uninstalled (the release has no uninstaller)";
            if (ReleaseInstallPlan.Uninstaller(release) is { } uninstaller && release.ArtsDirPath is not null)
            {
                // Not the request's token: an uninstaller cut off half-way because a client went away helps nobody;
                // only the agent stopping kills it (with its process group).
                var outcome = await RunAsync(release, uninstaller).ConfigureAwait(false);
                if (!outcome.Succeeded)
                {
                    var why = outcome.StartError ?? (outcome.End == InstallerEnd.Exited
                        ? $"exited with code {outcome.ExitCode}; last output:\n{outcome.OutputTail}"
                        : $"{outcome.End}; last output:\n{outcome.OutputTail}");
                    await records.UpdateAsync(catalogId, $"the uninstaller failed: {why}", ForgetRun, CancellationToken.None).ConfigureAwait(false);
                    return DeployResult.Conflict($"release '{catalogId}' stays installed: its uninstaller failed: {why}");
                }

                message = $"the uninstaller exited with code 0 after {outcome.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s";
            }

            // The move, its message and forgetting the run are one transaction; once the uninstaller has run, it is recorded
            // whether or not the client is still there.
            var moved = await records.MoveAsync(catalogId, ReleaseAction.Uninstall, null, message, ForgetRun, CancellationToken.None).ConfigureAwait(false);
            if (!moved.Succeeded)
            {
                return moved.Outcome == MoveOutcome.NotFound ? DeployResult.NotFound(moved.Message) : DeployResult.Conflict(moved.Message);
            }

            LogUninstalled(catalogId, message);
            await UninstallDependenciesAsync(moved.Release!, cancellationToken).ConfigureAwait(false);
            return await view.GetAsync(catalogId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _uninstalling.TryRemove(catalogId, out _);
        }
    }

    private Task<InstallerOutcome> RunAsync(ReleaseRecord release, ArtifactSpec uninstaller)
    {
        IReadOnlyList<string> arguments;
        try
        {
            arguments = ArgumentTokenizer.Split(uninstaller.Arguments);
        }
        catch (FormatException e)
        {
            return Task.FromResult(new InstallerOutcome(InstallerEnd.FailedToStart, null, null, "", $"its arguments cannot be read ({e.Message})", TimeSpan.Zero));
        }

        var launch = outcomes.LaunchFor(release, ReleaseInstallPlan.PathOf(release, uninstaller), arguments, ".uninstall");
        return RunRecordedAsync(release.CatalogId, launch);
    }

    /// <summary>
    /// As an install run: the run marker is stored before the uninstaller starts and its pid once it has, so that after a
    /// crash whatever it left running is found (<see cref="RecoverAsync"/>) rather than left running unobserved.
    /// </summary>
    private async Task<InstallerOutcome> RunRecordedAsync(string catalogId, InstallerLaunch launch)
    {
        await records.UpdateAsync(catalogId, "the uninstaller is starting", d =>
        {
            d[DetailKeys.UninstallRunId] = launch.Environment[InstallerRunner.RunVariable];
            d.Remove(DetailKeys.UninstallerPid);
        }, CancellationToken.None).ConfigureAwait(false);
        return await runner.RunAsync(launch, pid => records.UpdateAsync(catalogId, $"the uninstaller is running (pid {pid})",
            d => d[DetailKeys.UninstallerPid] = pid, CancellationToken.None), lifetime.ApplicationStopping).ConfigureAwait(false);
    }

    private static void ForgetRun(JsonObject details)
    {
        details.Remove(DetailKeys.UninstallRunId);
        details.Remove(DetailKeys.UninstallerPid);
    }

    /// <summary>
    /// At start-up, before the API answers: an uninstaller the agent was running when it stopped (also <c>kill -9</c>) is
    /// found by its run marker and killed with whatever it started; the release stays installed (its uninstall never
    /// finished) and its deploy record says so. A second uninstall can then never run beside a leftover first one.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        // One read of the records that name an uninstall run, not one per installed release.
        var snapshot = await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        foreach (var record in await records.ListWithUninstallRunAsync(cancellationToken).ConfigureAwait(false))
        {
            if (snapshot.Find(record.CatalogId) is not { State: ReleaseState.Installed or ReleaseState.Uninstalled } release || record.UninstallRunId is not { } runId)
            {
                continue;
            }

            var leftovers = ProcessGroup.KillAllByEnvironment(InstallerRunner.RunVariable, runId);

            // Uninstalled already (an older agent forgot the run in a transaction after the move's): nothing to explain.
            var message = release.State == ReleaseState.Installed ? InterruptedMessage(record.UninstallerPid, leftovers.Count > 0) : null;
            await records.UpdateAsync(release.CatalogId, message, ForgetRun, cancellationToken).ConfigureAwait(false);
            if (message is not null)
            {
                LogUninstallInterrupted(release.CatalogId, message);
            }
        }
    }

    internal static string InterruptedMessage(int? pid, bool killed) =>
        $"the uninstaller was interrupted: the agent stopped while it {(pid is { } p ? $"ran (pid {p})" : "started")}" +
        $"{(killed ? "; what was left of it has been killed" : "")}; the release stays installed: uninstall it again to retry";

    /// <summary>Dependencies installed as part of a root (not on their own) that no installed release needs any more.</summary>
    private async Task UninstallDependenciesAsync(ReleaseRecord root, CancellationToken cancellationToken)
    {
        for (var changed = true; changed;)
        {
            changed = false;
            var all = await DependencyGraph.ByIdAsync(releases, cancellationToken).ConfigureAwait(false);
            foreach (var id in DependencyGraph.Closure(root, all, out _))
            {
                if (all[id].State != ReleaseState.Installed || DependencyGraph.NeededBy(id, all.Values) is not null)
                {
                    continue;
                }

                var record = await records.FindAsync(id, cancellationToken).ConfigureAwait(false);
                if (record?.InstalledAsDependencyOf is null)
                {
                    continue; // installed on its own: it stays
                }

                var moved = await records.MoveAsync(id, ReleaseAction.Uninstall, null, $"uninstalled with '{root.CatalogId}'", null, cancellationToken).ConfigureAwait(false);
                if (moved.Succeeded)
                {
                    LogUninstalled(id, $"with '{root.CatalogId}'");
                    changed = true;
                    break;
                }
            }
        }
    }

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Uninstalled {CatalogId}: {Message}")]
    private partial void LogUninstalled(string catalogId, string message);

    [LoggerMessage(EventId = 3050, Level = LogLevel.Warning, Message = "Uninstall of {CatalogId}: {Message}")]
    private partial void LogUninstallInterrupted(string catalogId, string message);
}
