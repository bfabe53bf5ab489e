using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// The deploy engine (ARCHITECTURE §5): starts installs, runs a release's installer or waits for a third-party one,
/// installs the dependencies as one with their root, uninstalls, deploys automatically after delivery, and on start
/// re-evaluates installs that a stopped agent left behind. Every change of a release goes through <see cref="ReleaseService"/>.
/// </summary>
public sealed partial class DeployEngine : IDisposable
{
    private static readonly DeploymentStatus[] Running =
        [DeploymentStatus.Start, DeploymentStatus.Installing, DeploymentStatus.Continue, DeploymentStatus.Pause];

    private readonly ReleaseService _releases;
    private readonly DeployRecordStore _records;
    private readonly InstallerRunner _runner;
    private readonly LiveSettings _settings;
    private readonly DataDirectory _dataDir;
    private readonly IAgentUrlProvider _agentUrl;
    private readonly IDeviceIdProvider _deviceId;
    private readonly TimeProvider _time;
    private readonly ILogger<DeployEngine> _logger;
    private readonly ConcurrentDictionary<string, InstallerRun> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _uninstalling = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    public DeployEngine(
        ReleaseService releases,
        DeployRecordStore records,
        InstallerRunner runner,
        LiveSettings settings,
        DataDirectory dataDir,
        IAgentUrlProvider agentUrl,
        IDeviceIdProvider deviceId,
        TimeProvider timeProvider,
        ILogger<DeployEngine> logger)
    {
        _releases = releases;
        _records = records;
        _runner = runner;
        _settings = settings;
        _dataDir = dataDir;
        _agentUrl = agentUrl;
        _deviceId = deviceId;
        _time = timeProvider;
        _logger = logger;
        _releases.Moved += OnReleaseMoved;
    }

    /// <summary>The folder of installer logs: <c>&lt;data-dir&gt;/logs/deployments/</c>.</summary>
    public string LogsDir => Path.Combine(_dataDir.LogsDir, "deployments");

    /// <summary>The log of the latest install of a release (<paramref name="suffix"/> for its uninstaller or post-install action).</summary>
    public string LogPathOf(string catalogId, string suffix = "") => Path.Combine(LogsDir, FileSafeName.From(catalogId) + suffix + ".log");

    // ---- start -------------------------------------------------------------------------------------------------

    /// <summary><c>POST /api/v2/deploy/start/{catalog_id}</c>: checks the release and its dependencies, moves it to deploy and runs its installer.</summary>
    public async Task<DeployResult> StartAsync(string catalogId, CancellationToken cancellationToken)
    {
        var all = await ByIdAsync(cancellationToken).ConfigureAwait(false);
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

        if (DependencyProblem(release, all) is { } problem)
        {
            return DeployResult.Conflict(problem);
        }

        var hasInstaller = ReleaseInstallPlan.Installer(release) is not null;
        InstallerRun? run = null;
        if (hasInstaller)
        {
            run = new InstallerRun(_stopping.Token);
            if (!_running.TryAdd(catalogId, run))
            {
                run.Dispose();
                return DeployResult.Conflict($"release '{catalogId}': its installer is already running");
            }
        }

        var moved = await _releases.MoveAsync(catalogId, ReleaseAction.StartDeploy, null, cancellationToken).ConfigureAwait(false);
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
            await _records.UpdateAsync(catalogId, "waiting for a third-party installer to report through PUT /api/v2/deploy/{catalog_id}", null, cancellationToken).ConfigureAwait(false);
            LogWaitingForThirdParty(catalogId);
        }

        return DeployResult.Ok(await DescribeAsync(moved.Release!, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Why the release's dependencies do not allow an install now (naming the first one in the way), or null.</summary>
    private static string? DependencyProblem(ReleaseRecord root, IReadOnlyDictionary<string, ReleaseRecord> all)
    {
        var closure = DependencyClosure(root, all, out var missing);
        foreach (var id in closure)
        {
            var dependency = all[id];
            var ready = dependency.State switch
            {
                ReleaseState.Installed => true,
                ReleaseState.Downloaded => ReleaseInstallPlan.ArtifactsPresent(dependency),
                ReleaseState.Uninstalled => ReleaseInstallPlan.ArtifactsPresent(dependency),
                ReleaseState.Deploy => dependency.Position.DeployStatus is DeploymentStatus.Error or DeploymentStatus.Cancelled && ReleaseInstallPlan.ArtifactsPresent(dependency),
                _ => false,
            };
            if (!ready)
            {
                return $"release '{root.CatalogId}' cannot be installed: its dependency '{id}' is {dependency.Position}; every dependency must be downloaded or installed first";
            }
        }

        return missing is null ? null : $"release '{root.CatalogId}' cannot be installed: its dependency '{missing}' is not on this device; deliver it first";
    }

    /// <summary>Every release <paramref name="root"/> depends on, directly or not, nearest first (each once).</summary>
    private static List<string> DependencyClosure(ReleaseRecord root, IReadOnlyDictionary<string, ReleaseRecord> all, out string? missing)
    {
        missing = null;
        var seen = new HashSet<string>(StringComparer.Ordinal) { root.CatalogId };
        var order = new List<string>();
        var queue = new Queue<string>(root.Dependencies);
        while (queue.TryDequeue(out var id))
        {
            if (!seen.Add(id))
            {
                continue;
            }

            if (!all.TryGetValue(id, out var dependency))
            {
                missing ??= id;
                continue;
            }

            order.Add(id);
            foreach (var next in dependency.Dependencies)
            {
                queue.Enqueue(next);
            }
        }

        return order;
    }

    // ---- the agent runs the installer --------------------------------------------------------------------------

    private async Task InstallAsync(ReleaseRecord release, InstallerRun run)
    {
        var id = release.CatalogId;
        try
        {
            var installing = await _releases.MoveAsync(id, ReleaseAction.ReportInstalling, new ReleaseChange { Progress = 0 }, CancellationToken.None).ConfigureAwait(false);
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
                await FailAsync(id, $"the installer's arguments cannot be read ({e.Message}): {installer.Arguments}").ConfigureAwait(false);
                return;
            }

            var launch = new InstallerLaunch(id, ReleaseInstallPlan.PathOf(release, installer), arguments, release.ArtsDirPath!,
                ReleaseInstallPlan.Timeout(release, _settings.Current.DeployTimeoutSec), LogPathOf(id), EnvironmentFor(release));
            await _records.UpdateAsync(id, null, d => d[DetailKeys.LogPath] = launch.LogPath, CancellationToken.None).ConfigureAwait(false);
            var outcome = await _runner.RunAsync(launch, (pid, ticks) => _records.UpdateAsync(id, $"the installer is running (pid {pid})", d =>
            {
                d[DetailKeys.InstallerPid] = pid;
                d[DetailKeys.InstallerStartTicks] = ticks;
            }, CancellationToken.None), run.Token).ConfigureAwait(false);

            await FinishAsync(release, launch, outcome, run).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogInstallCrashed(id, e);
            await FailAsync(id, $"the install failed unexpectedly: {e.Message}").ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(id, out _);
            _releases.Progress.Clear(id);
            run.MarkFinished();
            run.Dispose();
        }
    }

    private async Task FinishAsync(ReleaseRecord release, InstallerLaunch launch, InstallerOutcome outcome, InstallerRun run)
    {
        var id = release.CatalogId;
        var seconds = outcome.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        var output = string.IsNullOrWhiteSpace(outcome.OutputTail) ? "no output" : $"last output:\n{outcome.OutputTail}";
        switch (outcome.End)
        {
            case InstallerEnd.Exited when outcome.ExitCode == 0:
                if ((await CompleteAsync(id, $"the installer exited with code 0 after {seconds}s").ConfigureAwait(false)).Succeeded)
                {
                    await RunPostInstallAsync(release).ConfigureAwait(false);
                }

                break;
            case InstallerEnd.Exited:
                await FailAsync(id, $"the installer exited with code {outcome.ExitCode} after {seconds}s; {output}").ConfigureAwait(false);
                break;
            case InstallerEnd.TimedOut:
                await FailAsync(id, $"the installer timed out after {launch.Timeout.TotalSeconds:0}s and was killed with its whole process group (pid {outcome.Pid}); {output}").ConfigureAwait(false);
                break;
            case InstallerEnd.Cancelled when run.CancelReason is { } reason:
                var cancelled = await _releases.MoveAsync(id, ReleaseAction.CancelDeploy, new ReleaseChange { ErrMsg = reason }, CancellationToken.None).ConfigureAwait(false);
                await _records.UpdateAsync(id, reason, null, CancellationToken.None).ConfigureAwait(false);
                LogCancelled(id, cancelled.Message);
                break;
            case InstallerEnd.Cancelled:
                await FailAsync(id, InterruptedMessage(outcome.Pid, killed: true)).ConfigureAwait(false);
                break;
            default:
                await FailAsync(id, outcome.StartError ?? "the installer could not be started").ConfigureAwait(false);
                break;
        }
    }

    private Dictionary<string, string> EnvironmentFor(ReleaseRecord release) => new(StringComparer.Ordinal)
    {
        ["GETAPP_CATALOG_ID"] = release.CatalogId,
        ["GETAPP_ARTS_DIR"] = release.ArtsDirPath!,
        ["GETAPP_AGENT_URL"] = _agentUrl.AgentUrl?.ToString().TrimEnd('/') ?? "",
    };

    internal static string InterruptedMessage(int? pid, bool killed) => pid is { } p
        ? $"the installer was interrupted: the agent stopped while it ran (pid {p}){(killed ? "; what was left of it has been killed" : "")}; start the deploy again to retry"
        : "the install was interrupted: the agent stopped before its installer started; start the deploy again to retry";

    // ---- outcomes: the root and its dependencies move as one ---------------------------------------------------

    /// <summary>The root is installed, and so is every dependency that was not installed yet.</summary>
    private async Task<MoveResult> CompleteAsync(string rootId, string messageLog)
    {
        var done = await _releases.MoveAsync(rootId, ReleaseAction.CompleteDeploy, new ReleaseChange { Progress = 100 }, CancellationToken.None).ConfigureAwait(false);
        if (!done.Succeeded)
        {
            LogOutcomeRefused(rootId, done.Message);
            return done;
        }

        await _records.UpdateAsync(rootId, messageLog, d => d.Remove(DetailKeys.InstalledAsDependencyOf), CancellationToken.None).ConfigureAwait(false);
        var all = await ByIdAsync(CancellationToken.None).ConfigureAwait(false);
        foreach (var id in DependencyClosure(done.Release!, all, out _).Where(id => all[id].State != ReleaseState.Installed))
        {
            var installed = await _releases.MoveAsync(id, ReleaseAction.InstallAsDependency, null, CancellationToken.None).ConfigureAwait(false);
            if (installed.Succeeded)
            {
                await _records.UpdateAsync(id, $"installed as a dependency of '{rootId}'", d => d[DetailKeys.InstalledAsDependencyOf] = rootId, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                LogOutcomeRefused(id, installed.Message);
            }
        }

        LogInstalled(rootId, messageLog);
        return done;
    }

    /// <summary>The root goes to deploy/Error with <paramref name="errMsg"/>, and so does every dependency not installed yet.</summary>
    private async Task FailAsync(string rootId, string errMsg)
    {
        var failed = await _releases.MoveAsync(rootId, ReleaseAction.FailDeploy, new ReleaseChange { ErrMsg = errMsg }, CancellationToken.None).ConfigureAwait(false);
        if (!failed.Succeeded)
        {
            LogOutcomeRefused(rootId, failed.Message);
            return;
        }

        await _records.UpdateAsync(rootId, errMsg, null, CancellationToken.None).ConfigureAwait(false);
        var all = await ByIdAsync(CancellationToken.None).ConfigureAwait(false);
        var dependencyError = $"not installed: the install of '{rootId}', which depends on it, failed: {errMsg}";
        foreach (var id in DependencyClosure(failed.Release!, all, out _).Where(id => all[id].State != ReleaseState.Installed))
        {
            var moved = await _releases.MoveAsync(id, ReleaseAction.FailAsDependency, new ReleaseChange { ErrMsg = dependencyError }, CancellationToken.None).ConfigureAwait(false);
            if (moved.Succeeded)
            {
                await _records.UpdateAsync(id, dependencyError, null, CancellationToken.None).ConfigureAwait(false);
            }
        }

        LogFailed(rootId, errMsg);
    }

    // ---- post-install action -----------------------------------------------------------------------------------

    private async Task RunPostInstallAsync(ReleaseRecord release)
    {
        if (ReleaseInstallPlan.PostInstall(release) is not { } action)
        {
            return;
        }

        var id = release.CatalogId;
        var record = (JsonObject)action.Raw.DeepClone();
        if (action.Type == "WEB")
        {
            record["status"] = "recorded";
            await _records.UpdateAsync(id, null, d => d[DetailKeys.PostInstallAction] = record, CancellationToken.None).ConfigureAwait(false);
            LogPostInstallWeb(id, action.Url ?? "");
            return;
        }

        var path = action.ExePath is { Length: > 0 } exe ? ReleaseInstallPlan.ResolveExePath(release, exe) : null;
        if (path is null)
        {
            record["status"] = "Error";
            record["message"] = "exePath is missing or points outside the release's folder";
        }
        else
        {
            record["status"] = "Installing";
            await _records.UpdateAsync(id, null, d => d[DetailKeys.PostInstallAction] = record.DeepClone(), CancellationToken.None).ConfigureAwait(false);
            IReadOnlyList<string> arguments = [];
            try
            {
                arguments = ArgumentTokenizer.Split(action.Raw["arguments"] is JsonValue v && v.TryGetValue<string>(out var a) ? a : null);
            }
            catch (FormatException)
            {
                // Run it without arguments rather than with half of them.
            }

            var launch = new InstallerLaunch(id, path, arguments, release.ArtsDirPath!, ReleaseInstallPlan.Timeout(release, _settings.Current.DeployTimeoutSec),
                LogPathOf(id, ".post-install"), EnvironmentFor(release));
            var outcome = await _runner.RunAsync(launch, null, _stopping.Token).ConfigureAwait(false);
            record["status"] = outcome.Succeeded ? "Done" : "Error";
            record["exitCode"] = outcome.ExitCode;
            record["message"] = outcome.Succeeded ? "exited with code 0" : outcome.StartError ?? $"{outcome.End} (exit code {outcome.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}): {outcome.OutputTail}";
            record["logPath"] = launch.LogPath;
        }

        await _records.UpdateAsync(id, null, d => d[DetailKeys.PostInstallAction] = record, CancellationToken.None).ConfigureAwait(false);
        LogPostInstallExe(id, record["status"]!.GetValue<string>());
    }

    // ---- third-party installer reports -------------------------------------------------------------------------

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

        var release = await _releases.FindAsync(catalogId, cancellationToken).ConfigureAwait(false);
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
                        await run.Finished.WaitAsync(TimeSpan.FromSeconds(15), _time, cancellationToken).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        // The answer shows where it stands now; the cancel completes in the background.
                    }

                    return await OkAsync(catalogId, cancellationToken).ConfigureAwait(false);
                case DeploymentStatus.Pause or DeploymentStatus.Continue:
                    return DeployResult.Conflict($"release '{catalogId}': the agent is running its installer, which cannot be paused; report Cancelled to stop it");
                case DeploymentStatus.Installing:
                    return await ReportProgressAsync(catalogId, message, cancellationToken).ConfigureAwait(false);
                default:
                    await _records.UpdateAsync(catalogId, log ?? $"the installer reported {effective}; its exit code decides", null, cancellationToken).ConfigureAwait(false);
                    return await OkAsync(catalogId, cancellationToken).ConfigureAwait(false);
            }
        }

        switch (effective)
        {
            case null:
                await _records.UpdateAsync(catalogId, log, null, cancellationToken).ConfigureAwait(false);
                return await OkAsync(catalogId, cancellationToken).ConfigureAwait(false);
            case DeploymentStatus.Start when release.Position.DeployStatus == DeploymentStatus.Start:
                await _records.UpdateAsync(catalogId, log, null, cancellationToken).ConfigureAwait(false);
                return await OkAsync(catalogId, cancellationToken).ConfigureAwait(false);
            case DeploymentStatus.Start:
                return DeployResult.Conflict($"release '{catalogId}' is {release.Position}; start it again with POST /api/v2/deploy/start/{catalogId}");
            case DeploymentStatus.Installing:
                return await ReportProgressAsync(catalogId, message, cancellationToken).ConfigureAwait(false);
            case DeploymentStatus.Done:
                var done = await CompleteAsync(catalogId, log ?? "the installer reported Done").ConfigureAwait(false);
                if (!done.Succeeded)
                {
                    return DeployResult.Conflict(done.Message);
                }

                await RunPostInstallAsync(done.Release!).ConfigureAwait(false);
                return await OkAsync(catalogId, cancellationToken).ConfigureAwait(false);
            case DeploymentStatus.Error:
                if (!ReleaseLifecycle.TryMove(release.Position, ReleaseAction.FailDeploy, out _, out var refusal))
                {
                    return DeployResult.Conflict($"release '{catalogId}': {refusal}");
                }

                await FailAsync(catalogId, log ?? "the installer reported an error").ConfigureAwait(false);
                return await OkAsync(catalogId, cancellationToken).ConfigureAwait(false);
            default:
                var action = effective switch
                {
                    DeploymentStatus.Cancelled => ReleaseAction.CancelDeploy,
                    DeploymentStatus.Pause => ReleaseAction.PauseDeploy,
                    _ => ReleaseAction.ContinueDeploy,
                };
                var moved = await _releases.MoveAsync(catalogId, action, new ReleaseChange { ErrMsg = effective == DeploymentStatus.Cancelled ? log : null }, cancellationToken).ConfigureAwait(false);
                if (!moved.Succeeded)
                {
                    return DeployResult.Conflict(moved.Message);
                }

                await _records.UpdateAsync(catalogId, log, null, cancellationToken).ConfigureAwait(false);
                return await OkAsync(catalogId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<DeployResult> ReportProgressAsync(string catalogId, DeployMessageDto message, CancellationToken cancellationToken)
    {
        var moved = await _releases.MoveAsync(catalogId, ReleaseAction.ReportInstalling,
            new ReleaseChange { Progress = message.Progress, Eta = message.EstimateTime }, cancellationToken).ConfigureAwait(false);
        if (!moved.Succeeded)
        {
            return DeployResult.Conflict(moved.Message);
        }

        if (message.Progress is { } progress)
        {
            _releases.Progress.Set(catalogId, progress, message.EstimateTime);
        }

        await _records.UpdateAsync(catalogId, message.MessageLog, null, cancellationToken).ConfigureAwait(false);
        return await OkAsync(catalogId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A reported status; the GetApp manual's installer words (<c>Running</c>, <c>Installed</c>, <c>Failed</c>) included.</summary>
    internal static DeploymentStatus? ParseReportedStatus(string text) => text.Trim().ToUpperInvariant() switch
    {
        "RUNNING" => DeploymentStatus.Installing,
        "INSTALLED" => DeploymentStatus.Done,
        "FAILED" => DeploymentStatus.Error,
        var upper => Enum.GetValues<DeploymentStatus>().Select(s => (DeploymentStatus?)s).FirstOrDefault(s => s.ToString()!.ToUpperInvariant() == upper),
    };

    // ---- uninstall ---------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>POST /api/v2/deploy/uninstall/{catalog_id}</c>: runs the release's uninstaller when it has one, then records it
    /// uninstalled; the dependencies installed with it follow unless another installed release still needs them.
    /// </summary>
    public async Task<DeployResult> UninstallAsync(string catalogId, CancellationToken cancellationToken)
    {
        var all = await ByIdAsync(cancellationToken).ConfigureAwait(false);
        if (!all.TryGetValue(catalogId, out var release))
        {
            return DeployResult.NotFound($"release '{catalogId}' is not known to this device");
        }

        if (!ReleaseLifecycle.TryMove(release.Position, ReleaseAction.Uninstall, out _, out var refusal))
        {
            return DeployResult.Conflict($"release '{catalogId}': {refusal}");
        }

        if (NeededBy(catalogId, all.Values) is { } dependent)
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
                var outcome = await RunUninstallerAsync(release, uninstaller).ConfigureAwait(false);
                if (!outcome.Succeeded)
                {
                    var why = outcome.StartError ?? (outcome.End == InstallerEnd.Exited
                        ? $"exited with code {outcome.ExitCode}; last output:\n{outcome.OutputTail}"
                        : $"{outcome.End}; last output:\n{outcome.OutputTail}");
                    await _records.UpdateAsync(catalogId, $"the uninstaller failed: {why}", null, cancellationToken).ConfigureAwait(false);
                    return DeployResult.Conflict($"release '{catalogId}' stays installed: its uninstaller failed: {why}");
                }

                message = $"the uninstaller exited with code 0 after {outcome.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s";
            }

            var moved = await _releases.MoveAsync(catalogId, ReleaseAction.Uninstall, null, cancellationToken).ConfigureAwait(false);
            if (!moved.Succeeded)
            {
                return moved.Outcome == MoveOutcome.NotFound ? DeployResult.NotFound(moved.Message) : DeployResult.Conflict(moved.Message);
            }

            await _records.UpdateAsync(catalogId, message, null, cancellationToken).ConfigureAwait(false);
            LogUninstalled(catalogId, message);
            await UninstallDependenciesAsync(moved.Release!, cancellationToken).ConfigureAwait(false);
            return await OkAsync(catalogId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _uninstalling.TryRemove(catalogId, out _);
        }
    }

    private Task<InstallerOutcome> RunUninstallerAsync(ReleaseRecord release, Upstream.ArtifactSpec uninstaller)
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

        var launch = new InstallerLaunch(release.CatalogId, ReleaseInstallPlan.PathOf(release, uninstaller), arguments, release.ArtsDirPath!,
            ReleaseInstallPlan.Timeout(release, _settings.Current.DeployTimeoutSec), LogPathOf(release.CatalogId, ".uninstall"), EnvironmentFor(release));
        return _runner.RunAsync(launch, null, _stopping.Token);
    }

    /// <summary>Dependencies that were installed as part of <paramref name="root"/> and that no installed release needs any more.</summary>
    private async Task UninstallDependenciesAsync(ReleaseRecord root, CancellationToken cancellationToken)
    {
        for (var changed = true; changed;)
        {
            changed = false;
            var all = await ByIdAsync(cancellationToken).ConfigureAwait(false);
            foreach (var id in DependencyClosure(root, all, out _))
            {
                if (all[id].State != ReleaseState.Installed || NeededBy(id, all.Values) is not null)
                {
                    continue;
                }

                var record = await _records.FindAsync(id, cancellationToken).ConfigureAwait(false);
                if (record?.InstalledAsDependencyOf is null)
                {
                    continue; // installed on its own: it stays
                }

                var moved = await _releases.MoveAsync(id, ReleaseAction.Uninstall, null, cancellationToken).ConfigureAwait(false);
                if (moved.Succeeded)
                {
                    await _records.UpdateAsync(id, $"uninstalled with '{root.CatalogId}'", null, cancellationToken).ConfigureAwait(false);
                    LogUninstalled(id, $"with '{root.CatalogId}'");
                    changed = true;
                    break;
                }
            }
        }
    }

    /// <summary>An installed (or installing) release that directly depends on <paramref name="catalogId"/>, or null.</summary>
    private static string? NeededBy(string catalogId, IEnumerable<ReleaseRecord> all) =>
        all.FirstOrDefault(r => r.CatalogId != catalogId && r.Dependencies.Contains(catalogId)
            && (r.State == ReleaseState.Installed || (r.State == ReleaseState.Deploy && Running.Contains(r.Position.DeployStatus!.Value))))?.CatalogId;

    // ---- read --------------------------------------------------------------------------------------------------

    /// <summary><c>GET /api/v2/deploy/{catalog_id}</c>.</summary>
    public async Task<DeployResult> GetAsync(string catalogId, CancellationToken cancellationToken)
    {
        var release = await _releases.FindAsync(catalogId, cancellationToken).ConfigureAwait(false);
        if (release is null)
        {
            return DeployResult.NotFound($"release '{catalogId}' is not known to this device");
        }

        var record = await _records.FindAsync(catalogId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return DeployResult.NotFound($"release '{catalogId}' has not been deployed on this device ({release.Position}); start it with POST /api/v2/deploy/start/{catalogId}");
        }

        return DeployResult.Ok(ToDto(release, record));
    }

    private async Task<DeployResult> OkAsync(string catalogId, CancellationToken cancellationToken) =>
        await GetAsync(catalogId, cancellationToken).ConfigureAwait(false);

    private async Task<DeployDto> DescribeAsync(ReleaseRecord release, CancellationToken cancellationToken)
    {
        var record = await _records.FindAsync(release.CatalogId, cancellationToken).ConfigureAwait(false);
        return ToDto(release, record ?? new DeployRecord { CatalogId = release.CatalogId });
    }

    private DeployDto ToDto(ReleaseRecord release, DeployRecord record)
    {
        var inDeploy = release.State is ReleaseState.Deploy or ReleaseState.Installed or ReleaseState.Uninstalled;
        var live = release.Position.DeployStatus == DeploymentStatus.Installing ? _releases.Progress.Get(release.CatalogId) : null;
        var progress = live?.Progress ?? (inDeploy ? release.Progress : record.Progress);
        return new DeployDto(
            CatalogId: release.CatalogId,
            CompletedAt: record.CompletedAt,
            CurrentTime: _time.GetUtcNow(),
            DeviceId: _deviceId.DeviceId,
            Eta: live?.Eta ?? (inDeploy ? release.Eta : record.Eta),
            MessageLog: record.MessageLog ?? release.ErrMsg,
            Progress: progress is { } p ? (int)Math.Round(p) : null,
            RequestedStatus: record.RequestedStatus,
            StartedAt: record.StartedAt,
            Status: inDeploy ? release.Position.DeployStatus : record.Status,
            StoppedAt: record.StoppedAt,
            Type: "software",
            PostInstallAction: record.Details[DetailKeys.PostInstallAction] is JsonObject action ? (JsonObject)action.DeepClone() : null,
            LogPath: record.Details[DetailKeys.LogPath] is JsonValue v && v.TryGetValue<string>(out var path) ? path : null);
    }

    private async Task<Dictionary<string, ReleaseRecord>> ByIdAsync(CancellationToken cancellationToken) =>
        (await _releases.ListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.CatalogId, StringComparer.Ordinal);

    // ---- automatic deploy ----------------------------------------------------------------------------------------

    private void OnReleaseMoved(ReleaseMoved moved)
    {
        if (moved.Action == ReleaseAction.CompleteDelivery && !_stopping.IsCancellationRequested)
        {
            Track(Task.Run(() => AutoDeployAsync(moved.After.CatalogId), CancellationToken.None));
        }
    }

    /// <summary>
    /// Deploys what a completed delivery made ready, when <c>metadata.autoDeploy</c> or the live <c>deployAutoOnPull</c>
    /// says so: the release itself, or a downloaded release depending on it that was waiting for it (its own delivery
    /// completed first). Only roots of what was requested are deployed: a release that another one still in delivery,
    /// or waiting to be auto-deployed, depends on is installed as one with that root instead.
    /// </summary>
    private async Task AutoDeployAsync(string catalogId)
    {
        try
        {
            var all = await ByIdAsync(_stopping.Token).ConfigureAwait(false);
            if (!all.TryGetValue(catalogId, out var completed) || completed.State != ReleaseState.Downloaded)
            {
                return;
            }

            var closures = all.Values.ToDictionary(r => r.CatalogId, r => DependencyClosure(r, all, out _), StringComparer.Ordinal);
            bool Wants(ReleaseRecord r) => r.State == ReleaseState.Downloaded && (ReleaseInstallPlan.AutoDeploy(r) || _settings.Current.DeployAutoOnPull);
            var candidates = all.Values.Where(r => Wants(r) && (r.CatalogId == catalogId || closures[r.CatalogId].Contains(catalogId))).ToList();
            foreach (var candidate in candidates)
            {
                var root = all.Values.FirstOrDefault(o => o.CatalogId != candidate.CatalogId
                    && (o.State == ReleaseState.Delivery || Wants(o)) && closures[o.CatalogId].Contains(candidate.CatalogId));
                if (root is not null)
                {
                    LogAutoDeployLeftToRoot(candidate.CatalogId, root.CatalogId);
                    continue;
                }

                if (DependencyProblem(candidate, all) is { } waiting)
                {
                    LogAutoDeployWaits(candidate.CatalogId, waiting);
                    continue;
                }

                LogAutoDeploy(candidate.CatalogId, ReleaseInstallPlan.AutoDeploy(candidate) ? "metadata.autoDeploy" : "deployAutoOnPull");
                var result = await StartAsync(candidate.CatalogId, _stopping.Token).ConfigureAwait(false);
                if (result.Kind != DeployResultKind.Ok)
                {
                    LogAutoDeployRefused(candidate.CatalogId, result.Message);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The agent is stopping.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogAutoDeployCrashed(catalogId, e);
        }
    }

    // ---- start and stop of the agent ---------------------------------------------------------------------------

    /// <summary>
    /// Re-evaluates releases a stopped agent left in deploy: an install the agent was running cannot be trusted (its
    /// installer died with the agent, or lives on unobserved and is killed now), so it ends in deploy/Error with the
    /// reason and can be retried. A release waiting for a third-party installer keeps waiting.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (var release in await _releases.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (release.State != ReleaseState.Deploy || !Running.Contains(release.Position.DeployStatus!.Value))
            {
                continue;
            }

            if (ReleaseInstallPlan.Installer(release) is null)
            {
                LogStillWaitingForThirdParty(release.CatalogId);
                continue;
            }

            var record = await _records.FindAsync(release.CatalogId, cancellationToken).ConfigureAwait(false);
            var pid = record?.InstallerPid;
            var killed = pid is { } p && record!.InstallerStartTicks is { } ticks && ProcessGroup.IsSameProcess(p, ticks) && ProcessGroup.Kill(p);
            await FailAsync(release.CatalogId, InterruptedMessage(pid, killed)).ConfigureAwait(false);
        }
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
            await Task.WhenAll(_background.Keys).WaitAsync(TimeSpan.FromSeconds(20), _time, cancellationToken).ConfigureAwait(false);
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

    private void Track(Task task)
    {
        _background.TryAdd(task, 0);
        task.ContinueWith(t => _background.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _releases.Moved -= OnReleaseMoved;
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Deploy of {CatalogId} waits for a third-party installer to report through PUT /api/v2/deploy/{CatalogId}")]
    private partial void LogWaitingForThirdParty(string catalogId);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Installed {CatalogId}: {Message}")]
    private partial void LogInstalled(string catalogId, string message);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Install of {CatalogId} failed: {ErrMsg}")]
    private partial void LogFailed(string catalogId, string errMsg);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Install of {CatalogId} cancelled: {Message}")]
    private partial void LogCancelled(string catalogId, string message);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Install of {CatalogId} did not run: {Reason}")]
    private partial void LogInstallNotRun(string catalogId, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Install of {CatalogId} failed unexpectedly")]
    private partial void LogInstallCrashed(string catalogId, Exception exception);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Deploy outcome for {CatalogId} not applied: {Reason}")]
    private partial void LogOutcomeRefused(string catalogId, string reason);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Uninstalled {CatalogId}: {Message}")]
    private partial void LogUninstalled(string catalogId, string message);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "Post-install action of {CatalogId}: open {Url} (recorded on the deploy record)")]
    private partial void LogPostInstallWeb(string catalogId, string url);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Information, Message = "Post-install action of {CatalogId} ended: {Status}")]
    private partial void LogPostInstallExe(string catalogId, string status);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Information, Message = "Automatic deploy of {CatalogId} ({Reason})")]
    private partial void LogAutoDeploy(string catalogId, string reason);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Information, Message = "Delivered {CatalogId} is not deployed on its own: {Root} depends on it and will install it")]
    private partial void LogAutoDeployLeftToRoot(string catalogId, string root);

    [LoggerMessage(EventId = 3034, Level = LogLevel.Information, Message = "Automatic deploy of {CatalogId} waits: {Reason}")]
    private partial void LogAutoDeployWaits(string catalogId, string reason);

    [LoggerMessage(EventId = 3032, Level = LogLevel.Warning, Message = "Automatic deploy of {CatalogId} refused: {Reason}")]
    private partial void LogAutoDeployRefused(string catalogId, string reason);

    [LoggerMessage(EventId = 3033, Level = LogLevel.Error, Message = "Automatic deploy of {CatalogId} failed unexpectedly")]
    private partial void LogAutoDeployCrashed(string catalogId, Exception exception);

    [LoggerMessage(EventId = 3040, Level = LogLevel.Information, Message = "Release {CatalogId} still waits in deploy for its third-party installer")]
    private partial void LogStillWaitingForThirdParty(string catalogId);

    [LoggerMessage(EventId = 3041, Level = LogLevel.Warning, Message = "Deploy engine stopped with {Count} task(s) still running")]
    private partial void LogStopTimedOut(int count);
}
