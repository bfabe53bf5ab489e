using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Settings;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// Deploys right after delivery (<c>metadata.autoDeploy</c>, or the live <c>deployAutoOnPull</c>): listens to
/// <see cref="ReleaseService.Moved"/> for <see cref="ReleaseAction.CompleteDelivery"/>. Only roots of what was requested
/// are deployed; their dependencies are installed as one with them.
/// </summary>
public sealed partial class AutoDeployTrigger : IDisposable
{
    private readonly ReleaseService _releases;
    private readonly DeployEngine _engine;
    private readonly LiveSettings _settings;
    private readonly ILogger<AutoDeployTrigger> _logger;

    public AutoDeployTrigger(ReleaseService releases, DeployEngine engine, LiveSettings settings, ILogger<AutoDeployTrigger> logger)
    {
        _releases = releases;
        _engine = engine;
        _settings = settings;
        _logger = logger;
        _releases.Moved += OnReleaseMoved;
    }

    public void Dispose() => _releases.Moved -= OnReleaseMoved;

    private void OnReleaseMoved(ReleaseMoved moved)
    {
        // A completed delivery may make a release (or a root waiting for it) ready; so may a dependency installed on its own.
        if (moved.Action is ReleaseAction.CompleteDelivery or ReleaseAction.CompleteDeploy)
        {
            var id = moved.After.CatalogId;
            _engine.RunInBackground(ct => DeployIfWantedAsync(id, ct));
        }
    }

    /// <summary>
    /// Deploys what a completed delivery (or install) made ready: the release itself, or a downloaded release depending
    /// on it that was waiting for it. A release that another one depends on is left to that root when the root will
    /// install it as one with itself: the root is still in delivery, pushed, waiting to be auto-deployed, being
    /// installed, or just installed (its dependencies follow it to installed in the moves right after its own).
    /// </summary>
    internal async Task DeployIfWantedAsync(string catalogId, CancellationToken cancellationToken)
    {
        try
        {
            var all = await DependencyGraph.ByIdAsync(_releases, cancellationToken).ConfigureAwait(false);
            if (!all.ContainsKey(catalogId))
            {
                return;
            }

            var closures = all.Values.ToDictionary(r => r.CatalogId, r => DependencyGraph.Closure(r, all, out _), StringComparer.Ordinal);
            // The cheap test first: Wants reads a release's metadata, which is parsed on first read, so it is asked only of
            // releases related to this one, not of every release on the device.
            var candidates = all.Values.Where(r => (r.CatalogId == catalogId || closures[r.CatalogId].Contains(catalogId)) && Wants(r)).ToList();
            foreach (var candidate in candidates)
            {
                var root = all.Values.FirstOrDefault(o => o.CatalogId != candidate.CatalogId
                    && closures[o.CatalogId].Contains(candidate.CatalogId) && OwnsItsDependencies(o));
                if (root is not null)
                {
                    LogLeftToRoot(candidate.CatalogId, root.CatalogId);
                    continue;
                }

                if (DependencyGraph.Problem(candidate, all) is { } waiting)
                {
                    LogWaits(candidate.CatalogId, waiting);
                    continue;
                }

                LogAutoDeploy(candidate.CatalogId, ReleaseInstallPlan.AutoDeploy(candidate) ? "metadata.autoDeploy" : "deployAutoOnPull");
                var result = await _engine.StartAsync(candidate.CatalogId, cancellationToken).ConfigureAwait(false);
                if (result.Kind != DeployResultKind.Ok)
                {
                    LogRefused(candidate.CatalogId, result.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The agent is stopping.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogCrashed(catalogId, e);
        }
    }

    /// <summary>
    /// At start: a downloaded release whose <c>metadata.autoDeploy</c> is set should already be deploying (the agent
    /// stopped between its delivery and its deploy, or it waited for a dependency), so it is evaluated again. The
    /// <c>deployAutoOnPull</c> setting alone does not do this: it applies to deliveries that complete from now on.
    /// </summary>
    public async Task ResumeAsync(CancellationToken cancellationToken)
    {
        foreach (var row in await _releases.SnapshotAsync(cancellationToken).ConfigureAwait(false))
        {
            // Read from the row's JSON without making a record or a node of every delivered release on the device.
            if (row.State == ReleaseState.Downloaded && ReleaseInstallPlan.AutoDeploy(row))
            {
                await DeployIfWantedAsync(row.CatalogId, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // This runs in the background, so by the time it reads the graph a root delivered after the candidate may already
    // be installing (or installed), not only downloaded: either way it is the root's install that covers the candidate.
    private bool OwnsItsDependencies(ReleaseRecord root) =>
        root.State is ReleaseState.Delivery or ReleaseState.Push or ReleaseState.Installed || DependencyGraph.IsInstalling(root) || Wants(root);

    // Only releases offered to this device: one a parent fetched for its children (Offered = false) is never installed here.
    private bool Wants(ReleaseRecord release) =>
        release.State == ReleaseState.Downloaded && release.Offered && (ReleaseInstallPlan.AutoDeploy(release) || _settings.Current.DeployAutoOnPull);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Information, Message = "Automatic deploy of {CatalogId} ({Reason})")]
    private partial void LogAutoDeploy(string catalogId, string reason);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Information, Message = "Delivered {CatalogId} is not deployed on its own: {Root} depends on it and will install it")]
    private partial void LogLeftToRoot(string catalogId, string root);

    [LoggerMessage(EventId = 3032, Level = LogLevel.Warning, Message = "Automatic deploy of {CatalogId} refused: {Reason}")]
    private partial void LogRefused(string catalogId, string reason);

    [LoggerMessage(EventId = 3033, Level = LogLevel.Error, Message = "Automatic deploy of {CatalogId} failed unexpectedly")]
    private partial void LogCrashed(string catalogId, Exception exception);

    [LoggerMessage(EventId = 3034, Level = LogLevel.Information, Message = "Automatic deploy of {CatalogId} waits: {Reason}")]
    private partial void LogWaits(string catalogId, string reason);
}
