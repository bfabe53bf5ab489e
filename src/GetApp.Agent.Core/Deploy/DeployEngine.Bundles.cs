using GetApp.Agent.Core.Releases;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// Bundles (docs/deploy.md, "Bundles"): a release made only of dependencies has no installer of its own, so installing it
/// means running each dependency's installer, leaf → root, one at a time; when they all succeed the bundle is
/// installed, and so is every dependency without an installer (as the dependencies of a root are). A dependency that
/// fails stops the bundle, which ends in deploy/Error naming it; the ones already installed stay installed.
/// </summary>
public sealed partial class DeployEngine
{
    private async Task<DeployResult> StartBundleAsync(ReleaseRecord bundle, CancellationToken cancellationToken)
    {
        var id = bundle.CatalogId;
        var run = new InstallerRun(_stopping.Token);
        if (!_running.TryAdd(id, run))
        {
            run.Dispose();
            return DeployResult.Conflict($"release '{id}': its dependencies are already being installed");
        }

        var moved = await releases.MoveAsync(id, ReleaseAction.StartDeploy, null, cancellationToken).ConfigureAwait(false);
        if (!moved.Succeeded)
        {
            _running.TryRemove(id, out _);
            run.Dispose();
            return moved.Outcome == MoveOutcome.NotFound ? DeployResult.NotFound(moved.Message) : DeployResult.Conflict(moved.Message);
        }

        Track(Task.Run(() => InstallBundleAsync(id, run), CancellationToken.None));
        return DeployResult.Ok(await view.DescribeAsync(moved.Release!, cancellationToken).ConfigureAwait(false));
    }

    private async Task InstallBundleAsync(string bundleId, InstallerRun run)
    {
        try
        {
            var installing = await releases.MoveAsync(bundleId, ReleaseAction.ReportInstalling, new ReleaseChange { Progress = 0 }, CancellationToken.None).ConfigureAwait(false);
            if (!installing.Succeeded)
            {
                LogInstallNotRun(bundleId, installing.Message);
                return;
            }

            var all = await DependencyGraph.ByIdAsync(releases, CancellationToken.None).ConfigureAwait(false);
            var order = LeafFirst(all[bundleId], all)
                .Where(d => all[d].State != ReleaseState.Installed && ReleaseInstallPlan.Installer(all[d]) is not null)
                .ToList();
            await records.UpdateAsync(bundleId, order.Count == 0
                ? "a bundle: none of its dependencies has an installer to run"
                : $"a bundle: installing its dependencies {string.Join(", ", order)}", null, CancellationToken.None).ConfigureAwait(false);
            LogBundleStarted(bundleId, order.Count);

            for (var i = 0; i < order.Count; i++)
            {
                var dependency = order[i];
                var problem = await InstallDependencyAsync(dependency, run).ConfigureAwait(false);
                if (run.CancelReason is { } reason)
                {
                    var cancelled = await records.MoveAsync(bundleId, ReleaseAction.CancelDeploy, new ReleaseChange { ErrMsg = reason }, reason, null, CancellationToken.None)
                        .ConfigureAwait(false);
                    LogCancelled(bundleId, cancelled.Message);
                    return;
                }

                if (problem is not null)
                {
                    await outcomes.FailAsync(bundleId, $"its dependency '{dependency}' was not installed: {problem}").ConfigureAwait(false);
                    return;
                }

                var progress = 100.0 * (i + 1) / order.Count;
                await releases.MoveAsync(bundleId, ReleaseAction.ReportInstalling, new ReleaseChange { Progress = progress }, CancellationToken.None).ConfigureAwait(false);
            }

            var done = await outcomes.CompleteAsync(bundleId, $"a bundle: its {order.Count} dependenc{(order.Count == 1 ? "y was" : "ies were")} installed").ConfigureAwait(false);
            if (done.Succeeded)
            {
                await outcomes.RunPostInstallAsync(done.Release!, _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogInstallCrashed(bundleId, e);
            await outcomes.FailAsync(bundleId, $"the install failed unexpectedly: {e.Message}").ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(bundleId, out _);
            releases.Progress.Clear(bundleId);
            run.MarkFinished();
            run.Dispose();
        }
    }

    /// <summary>Installs one dependency of a bundle with its own installer; null when it ended installed, else why not.</summary>
    private async Task<string?> InstallDependencyAsync(string catalogId, InstallerRun bundleRun)
    {
        if (bundleRun.Token.IsCancellationRequested)
        {
            return "the bundle's install was stopped";
        }

        var run = new InstallerRun(_stopping.Token);
        if (!_running.TryAdd(catalogId, run))
        {
            run.Dispose();
            return "its installer is already running";
        }

        // A cancel of the bundle cancels the dependency being installed, with the same reason.
        using var follow = bundleRun.Token.Register(() =>
        {
            try
            {
                if (bundleRun.CancelReason is { } reason)
                {
                    run.Cancel(reason);
                }
            }
            catch (ObjectDisposedException)
            {
                // The dependency's install had already ended.
            }
        });
        var moved = await releases.MoveAsync(catalogId, ReleaseAction.StartDeploy, null, CancellationToken.None).ConfigureAwait(false);
        if (!moved.Succeeded)
        {
            _running.TryRemove(catalogId, out _);
            run.Dispose();
            return moved.Message;
        }

        await InstallAsync(moved.Release!, run).ConfigureAwait(false);
        var after = await releases.FindAsync(catalogId, CancellationToken.None).ConfigureAwait(false);
        return after?.State == ReleaseState.Installed ? null : after?.ErrMsg ?? $"it is {after?.Position.ToString() ?? "gone"}";
    }

    /// <summary>The bundle's dependencies (transitively), each after its own dependencies.</summary>
    internal static List<string> LeafFirst(ReleaseRecord root, IReadOnlyDictionary<string, ReleaseRecord> all)
    {
        var order = new List<string>();
        var visited = new HashSet<string>(StringComparer.Ordinal) { root.CatalogId };
        foreach (var dependency in root.Dependencies)
        {
            Visit(dependency);
        }

        return order;

        void Visit(string id)
        {
            if (!visited.Add(id) || !all.TryGetValue(id, out var release))
            {
                return;
            }

            foreach (var next in release.Dependencies)
            {
                Visit(next);
            }

            order.Add(id);
        }
    }

    [LoggerMessage(EventId = 4310, Level = LogLevel.Information, Message = "Deploy of bundle {CatalogId}: installing {Count} dependencies with their own installers, leaf to root")]
    private partial void LogBundleStarted(string catalogId, int count);
}
