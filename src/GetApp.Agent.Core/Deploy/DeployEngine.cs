using System.Collections.Concurrent;
using System.Globalization;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// The deploy engine (docs/architecture.md §5): starts installs, runs a release's installer (or waits for a third-party one
/// and applies its reports), and on start re-evaluates installs a stopped agent left behind. Outcomes go through
/// <see cref="DeployOutcomes"/> (the root and its dependencies move as one); every change of a release goes through
/// <see cref="ReleaseService"/>.
/// </summary>
public sealed partial class DeployEngine(
    ReleaseService releases,
    DeployRecordStore records,
    DeployOutcomes outcomes,
    DeployView view,
    InstallerRunner runner,
    ReleaseGraphLock graphLock,
    TimeProvider timeProvider,
    ILogger<DeployEngine> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, InstallerRun> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    /// <summary><c>POST /api/v2/deploy/start/{catalog_id}</c>: checks the release and its dependencies, moves it to deploy and runs its installer.</summary>
    public async Task<DeployResult> StartAsync(string catalogId, CancellationToken cancellationToken)
    {
        // From the check of the dependencies to the move into deploy, no dependency can be deleted (ReleaseGraphLock).
        using var held = await graphLock.EnterAsync(cancellationToken).ConfigureAwait(false);
        var all = await DependencyGraph.ByIdAsync(releases, cancellationToken).ConfigureAwait(false);
        if (!all.TryGetValue(catalogId, out var release))
        {
            return DeployResult.NotFound($"release '{catalogId}' is not known to this device");
        }

        if (!ReleaseLifecycle.TryMove(release.Position, ReleaseAction.StartDeploy, out _, out var refusal))
        {
            return DeployResult.Conflict($"release '{catalogId}': {refusal}");
        }

        if (!ReleaseInstallPlan.ArtifactsPresent(release))
        {
            return DeployResult.Conflict($"release '{catalogId}': its artifacts are no longer on this device ({release.ArtsDirPath ?? "no folder"}); deliver it again first");
        }

        if (DependencyGraph.Problem(release, all) is { } problem)
        {
            return DeployResult.Conflict(problem);
        }

        if (ReleaseInstallPlan.IsBundle(release))
        {
            return await StartBundleAsync(release, cancellationToken).ConfigureAwait(false);
        }

        var hasInstaller = ReleaseInstallPlan.Installer(release) is not null;
        InstallerRun? run = null;
        if (hasInstaller)
        {
            run = new InstallerRun(_stopping.Token);
            if (!_running.TryAdd(catalogId, run) && !await TakeOverAsync(catalogId, run, cancellationToken).ConfigureAwait(false))
            {
                run.Dispose();
                return DeployResult.Conflict($"release '{catalogId}': its installer is already running");
            }
        }

        var moved = await records.MoveAsync(catalogId, ReleaseAction.StartDeploy, null,
            run is null ? "waiting for a third-party installer to report through PUT /api/v2/deploy/{catalog_id}" : null, null, cancellationToken).ConfigureAwait(false);
        if (!moved.Succeeded)
        {
            if (run is not null)
            {
                _running.TryRemove(catalogId, out _);
                run.Dispose();
            }

            return moved.Outcome == MoveOutcome.NotFound ? DeployResult.NotFound(moved.Message) : DeployResult.Conflict(moved.Message);
        }

        if (run is not null)
        {
            Track(Task.Run(() => InstallAsync(moved.Release!, run), CancellationToken.None));
        }
        else
        {
            LogWaitingForThirdParty(catalogId);
        }

        return DeployResult.Ok(await view.DescribeAsync(moved.Release!, cancellationToken).ConfigureAwait(false));
    }

    private async Task InstallAsync(ReleaseRecord release, InstallerRun run)
    {
        var id = release.CatalogId;
        try
        {
            var installing = await releases.MoveAsync(id, ReleaseAction.ReportInstalling, new ReleaseChange { Progress = 0 }, CancellationToken.None).ConfigureAwait(false);
            if (!installing.Succeeded)
            {
                LogInstallNotRun(id, installing.Message);
                return;
            }

            var installer = ReleaseInstallPlan.Installer(release)!;
            IReadOnlyList<string> arguments;
            try
            {
                arguments = ArgumentTokenizer.Split(installer.Arguments);
            }
            catch (FormatException e)
            {
                await outcomes.FailAsync(id, $"the installer's arguments cannot be read ({e.Message}): {installer.Arguments}").ConfigureAwait(false);
                return;
            }

            var launch = outcomes.LaunchFor(release, ReleaseInstallPlan.PathOf(release, installer), arguments);
            // The run marker is stored before the installer starts: after a crash, whatever it left running can be found.
            await records.UpdateAsync(id, null, d =>
            {
                d[DetailKeys.LogPath] = launch.LogPath;
                d[DetailKeys.RunId] = launch.Environment[InstallerRunner.RunVariable];
            }, CancellationToken.None).ConfigureAwait(false);
            var outcome = await runner.RunAsync(launch, pid => records.UpdateAsync(id, $"the installer is running (pid {pid})",
                d => d[DetailKeys.InstallerPid] = pid, CancellationToken.None), run.Token).ConfigureAwait(false);
            run.MarkExited();

            await FinishAsync(release, launch, outcome, run).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogInstallCrashed(id, e);
            await outcomes.FailAsync(id, $"the install failed unexpectedly: {e.Message}").ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(KeyValuePair.Create(id, run));
            releases.Progress.Clear(id);
            run.MarkFinished();
            run.Dispose();
        }
    }

    /// <summary>
    /// A start that finds the previous run's installer already exited waits for its outcome to be recorded, then runs:
    /// a person who sees the release in Error (recorded before the run lets go of it) can always retry at once.
    /// </summary>
    private async Task<bool> TakeOverAsync(string catalogId, InstallerRun run, CancellationToken cancellationToken)
    {
        if (!_running.TryGetValue(catalogId, out var previous) || !previous.Exited)
        {
            return previous is null && _running.TryAdd(catalogId, run);
        }

        try
        {
            await previous.Finished.WaitAsync(TimeSpan.FromSeconds(15), timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }

        return _running.TryAdd(catalogId, run);
    }

    private async Task FinishAsync(ReleaseRecord release, InstallerLaunch launch, InstallerOutcome outcome, InstallerRun run)
    {
        var id = release.CatalogId;
        var seconds = outcome.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        var output = string.IsNullOrWhiteSpace(outcome.OutputTail) ? "no output" : $"last output:\n{outcome.OutputTail}";
        switch (outcome.End)
        {
            case InstallerEnd.Exited when outcome.ExitCode == 0:
                if ((await outcomes.CompleteAsync(id, $"the installer exited with code 0 after {seconds}s").ConfigureAwait(false)).Succeeded)
                {
                    await outcomes.RunPostInstallAsync(release, _stopping.Token).ConfigureAwait(false);
                }

                break;
            case InstallerEnd.Exited:
                await outcomes.FailAsync(id, $"the installer exited with code {outcome.ExitCode} after {seconds}s; {output}").ConfigureAwait(false);
                break;
            case InstallerEnd.TimedOut:
                await outcomes.FailAsync(id, $"the installer timed out after {launch.Timeout.TotalSeconds:0}s and was killed with its whole process group (pid {outcome.Pid}); {output}").ConfigureAwait(false);
                break;
            case InstallerEnd.Cancelled when run.CancelReason is { } reason:
                var cancelled = await records.MoveAsync(id, ReleaseAction.CancelDeploy, new ReleaseChange { ErrMsg = reason }, reason, null, CancellationToken.None).ConfigureAwait(false);
                LogCancelled(id, cancelled.Message);
                break;
            case InstallerEnd.Cancelled:
                await outcomes.FailAsync(id, InterruptedMessage(outcome.Pid, started: true, killed: true)).ConfigureAwait(false);
                break;
            default:
                await outcomes.FailAsync(id, outcome.StartError ?? "the installer could not be started").ConfigureAwait(false);
                break;
        }
    }

    internal static string InterruptedMessage(int? pid, bool started, bool killed)
    {
        var leftovers = killed ? "; what was left of it has been killed" : "";
        return (pid, started) switch
        {
            ({ } p, _) => $"the installer was interrupted: the agent stopped while it ran (pid {p}){leftovers}; start the deploy again to retry",
            (null, true) => $"the installer was interrupted: the agent stopped while it started{leftovers}; start the deploy again to retry",
            _ => "the install was interrupted: the agent stopped before its installer started; start the deploy again to retry",
        };
    }

    /// <summary>
    /// Re-evaluates releases a stopped agent left in deploy: an install the agent was running cannot be trusted (its
    /// installer died with the agent, or lives on unobserved and is killed now), so it ends in deploy/Error with the
    /// reason and can be retried. A release waiting for a third-party installer keeps waiting. Dependencies an install
    /// left downloaded under its installed root are recorded installed.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (var row in await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false))
        {
            // Positions first: only a release left installing becomes a record (its JSON is read for its installer).
            if (row.State != ReleaseState.Deploy || row.ToRecord() is not { } release || !DependencyGraph.IsInstalling(release))
            {
                continue;
            }

            if (ReleaseInstallPlan.Installer(release) is null && !ReleaseInstallPlan.IsBundle(release))
            {
                LogStillWaitingForThirdParty(release.CatalogId);
                continue;
            }

            var record = await records.FindAsync(release.CatalogId, cancellationToken).ConfigureAwait(false);
            var leftovers = record?.RunId is { } runId ? ProcessGroup.KillAllByEnvironment(InstallerRunner.RunVariable, runId) : [];

            var pid = record?.InstallerPid ?? (leftovers.Count > 0 ? leftovers.Min() : null);
            await outcomes.FailAsync(release.CatalogId, InterruptedMessage(pid, started: record?.RunId is not null, killed: leftovers.Count > 0)).ConfigureAwait(false);
        }

        await outcomes.CompleteInterruptedAsync(await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Stops running installers (their releases end in deploy/Error, retryable) and waits for the engine's work to end.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_background.Keys).WaitAsync(TimeSpan.FromSeconds(20), timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            LogStopTimedOut(_background.Count);
        }
    }

    /// <summary>Waits until no install, auto-deploy or post-install action runs (for tests and an orderly stop).</summary>
    public async Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        while (!_background.IsEmpty)
        {
            await Task.WhenAll(_background.Keys).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs engine work in the background, tracked so that a stop waits for it, with the engine's stopping token.</summary>
    public void RunInBackground(Func<CancellationToken, Task> work)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        Track(Task.Run(() => work(_stopping.Token), CancellationToken.None));
    }

    private void Track(Task task)
    {
        _background.TryAdd(task, 0);
        task.ContinueWith(t => _background.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Dispose();
        }
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Deploy of {CatalogId} waits for a third-party installer to report through PUT /api/v2/deploy/{CatalogId}")]
    private partial void LogWaitingForThirdParty(string catalogId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Install of {CatalogId} cancelled: {Message}")]
    private partial void LogCancelled(string catalogId, string message);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Install of {CatalogId} did not run: {Reason}")]
    private partial void LogInstallNotRun(string catalogId, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Install of {CatalogId} failed unexpectedly")]
    private partial void LogInstallCrashed(string catalogId, Exception exception);

    [LoggerMessage(EventId = 3040, Level = LogLevel.Information, Message = "Release {CatalogId} still waits in deploy for its third-party installer")]
    private partial void LogStillWaitingForThirdParty(string catalogId);

    [LoggerMessage(EventId = 3041, Level = LogLevel.Warning, Message = "Deploy engine stopped with {Count} task(s) still running")]
    private partial void LogStopTimedOut(int count);
}
