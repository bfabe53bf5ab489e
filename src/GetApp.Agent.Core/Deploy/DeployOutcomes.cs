using System.Globalization;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// How an install ends, for the agent's own installer runs and for third-party reports alike: the root and its
/// dependencies move as one (installed, or deploy/Error), and the post-install action follows a success. Also how any
/// installer-like file of a release is launched (environment, timeout, log).
/// </summary>
public sealed partial class DeployOutcomes(
    ReleaseService releases,
    DeployRecordStore records,
    InstallerRunner runner,
    LiveSettings settings,
    DataDirectory dataDir,
    IAgentUrlProvider agentUrl,
    ILogger<DeployOutcomes> logger)
{
    /// <summary>The log of a release's latest installer run (<paramref name="suffix"/> for its uninstaller or post-install action).</summary>
    public string LogPathOf(string catalogId, string suffix = "") =>
        Path.Combine(dataDir.LogsDir, "deployments", FileSafeName.From(catalogId) + suffix + ".log");

    /// <summary>A launch of <paramref name="path"/> for <paramref name="release"/>: in its folder, with its environment and timeout.</summary>
    public InstallerLaunch LaunchFor(ReleaseRecord release, string path, IReadOnlyList<string> arguments, string logSuffix = "")
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GETAPP_CATALOG_ID"] = release.CatalogId,
            ["GETAPP_ARTS_DIR"] = release.ArtsDirPath!,
            ["GETAPP_AGENT_URL"] = agentUrl.AgentUrl?.ToString().TrimEnd('/') ?? "",
            [InstallerRunner.RunVariable] = Guid.NewGuid().ToString("N"),
        };

        // Only when the API demands it: an installer runs as the agent's own user, which can read the secret anyway.
        if (agentUrl.DeviceAuth is { } deviceAuth)
        {
            environment["GETAPP_DEVICE_AUTH"] = deviceAuth;
        }

        return new(
            release.CatalogId,
            path,
            arguments,
            release.ArtsDirPath!,
            ReleaseInstallPlan.Timeout(release, settings.Current.DeployTimeoutSec),
            LogPathOf(release.CatalogId, logSuffix),
            environment);
    }

    /// <summary>The root is installed, and so is every dependency that was not installed yet.</summary>
    public async Task<MoveResult> CompleteAsync(string rootId, string messageLog)
    {
        // Each move and its record's message are one transaction: nobody sees installed without the message that says how.
        var done = await records.MoveAsync(rootId, ReleaseAction.CompleteDeploy, new ReleaseChange { Progress = 100 }, messageLog,
            d => d.Remove(DetailKeys.InstalledAsDependencyOf), CancellationToken.None).ConfigureAwait(false);
        if (!done.Succeeded)
        {
            LogOutcomeRefused(rootId, done.Message);
            return done;
        }

        var all = await DependencyGraph.ByIdAsync(releases, CancellationToken.None).ConfigureAwait(false);
        foreach (var id in DependencyGraph.Closure(done.Release!, all, out _).Where(id => all[id].State != ReleaseState.Installed))
        {
            var installed = await records.MoveAsync(id, ReleaseAction.InstallAsDependency, null, $"installed as a dependency of '{rootId}'",
                d => d[DetailKeys.InstalledAsDependencyOf] = rootId, CancellationToken.None).ConfigureAwait(false);
            if (!installed.Succeeded)
            {
                LogOutcomeRefused(id, installed.Message);
            }
        }

        LogInstalled(rootId, messageLog);
        return done;
    }

    /// <summary>
    /// At start, after a stop between an install's own move to installed and its dependencies' (separate transactions):
    /// a dependency still downloaded under an installed release was installed as one with it, and is recorded so now.
    /// Nothing else leaves it downloaded, since a dependency of an installed release can be neither uninstalled nor
    /// installed again on its own.
    /// </summary>
    public async Task CompleteInterruptedAsync(ReleaseSnapshot rows)
    {
        foreach (var root in rows.Where(r => r.State == ReleaseState.Installed && r.Dependencies.Count > 0))
        {
            var rootId = root.CatalogId;
            foreach (var id in DependencyGraph.Closure(rootId, root.Dependencies, other => rows.Find(other)?.Dependencies, out _)
                .Where(id => rows.Find(id)?.State == ReleaseState.Downloaded))
            {
                var installed = await records.MoveAsync(id, ReleaseAction.InstallAsDependency, null,
                    $"installed as a dependency of '{rootId}' (recorded at start: the agent stopped before it could)",
                    d => d[DetailKeys.InstalledAsDependencyOf] = rootId, CancellationToken.None).ConfigureAwait(false);
                if (installed.Succeeded)
                {
                    LogInstalledAsDependencyAtStart(id, rootId);
                }
                else
                {
                    LogOutcomeRefused(id, installed.Message);
                }
            }
        }
    }

    /// <summary>The root goes to deploy/Error with <paramref name="errMsg"/>, and so does every dependency not installed yet.</summary>
    public async Task FailAsync(string rootId, string errMsg)
    {
        var failed = await records.MoveAsync(rootId, ReleaseAction.FailDeploy, new ReleaseChange { ErrMsg = errMsg }, errMsg, null, CancellationToken.None).ConfigureAwait(false);
        if (!failed.Succeeded)
        {
            LogOutcomeRefused(rootId, failed.Message);
            return;
        }

        var all = await DependencyGraph.ByIdAsync(releases, CancellationToken.None).ConfigureAwait(false);
        var dependencyError = $"not installed: the install of '{rootId}', which depends on it, failed: {errMsg}";
        foreach (var id in DependencyGraph.Closure(failed.Release!, all, out _).Where(id => all[id].State != ReleaseState.Installed))
        {
            await records.MoveAsync(id, ReleaseAction.FailAsDependency, new ReleaseChange { ErrMsg = dependencyError }, dependencyError, null, CancellationToken.None).ConfigureAwait(false);
        }

        LogFailed(rootId, errMsg);
    }

    /// <summary>
    /// <c>metadata.postInstallAction</c> after a successful install: <c>EXE</c> runs under the installer's rules, <c>WEB</c>
    /// is recorded. Either way the outcome is kept on the deploy record; the release stays installed whatever happens.
    /// </summary>
    public async Task RunPostInstallAsync(ReleaseRecord release, CancellationToken cancellationToken)
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
            await records.UpdateAsync(id, null, d => d[DetailKeys.PostInstallAction] = record, CancellationToken.None).ConfigureAwait(false);
            LogPostInstallWeb(id, Upstream.SafeUrl.Masked(action.Url));
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
            await records.UpdateAsync(id, null, d => d[DetailKeys.PostInstallAction] = record.DeepClone(), CancellationToken.None).ConfigureAwait(false);
            IReadOnlyList<string> arguments = [];
            try
            {
                arguments = ArgumentTokenizer.Split(action.Raw["arguments"] is JsonValue v && v.TryGetValue<string>(out var a) ? a : null);
            }
            catch (FormatException)
            {
                // Run it without arguments rather than with half of them.
            }

            var launch = LaunchFor(release, path, arguments, ".post-install");
            var outcome = await runner.RunAsync(launch, null, cancellationToken).ConfigureAwait(false);
            record["status"] = outcome.Succeeded ? "Done" : "Error";
            record["exitCode"] = outcome.ExitCode;
            record["message"] = outcome.Succeeded
                ? "exited with code 0"
                : outcome.StartError ?? $"{outcome.End} (exit code {outcome.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}): {outcome.OutputTail}";
            record["logPath"] = launch.LogPath;
        }

        await records.UpdateAsync(id, null, d => d[DetailKeys.PostInstallAction] = record, CancellationToken.None).ConfigureAwait(false);
        LogPostInstallExe(id, record["status"]!.GetValue<string>());
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Installed {CatalogId}: {Message}")]
    private partial void LogInstalled(string catalogId, string message);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Install of {CatalogId} failed: {ErrMsg}")]
    private partial void LogFailed(string catalogId, string errMsg);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "{CatalogId} recorded installed as a dependency of {Root}: the agent had stopped between the two moves")]
    private partial void LogInstalledAsDependencyAtStart(string catalogId, string root);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Deploy outcome for {CatalogId} not applied: {Reason}")]
    private partial void LogOutcomeRefused(string catalogId, string reason);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "Post-install action of {CatalogId}: open {Url} (recorded on the deploy record)")]
    private partial void LogPostInstallWeb(string catalogId, string url);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Information, Message = "Post-install action of {CatalogId} ended: {Status}")]
    private partial void LogPostInstallExe(string catalogId, string status);
}
