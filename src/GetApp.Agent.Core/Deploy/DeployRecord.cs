using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// One row of <c>deployments</c>: the history of the latest install (or uninstall) of a release. The lifecycle columns
/// are kept by <see cref="DeployRecordWriter"/> in the same transaction as the release's move; the engine adds the
/// message log and the details (installer pid, post-install action, what it was installed with).
/// </summary>
public sealed record DeployRecord
{
    public required string CatalogId { get; init; }
    public DeploymentStatus? Status { get; init; }
    public DeploymentStatus? RequestedStatus { get; init; }
    public int? Progress { get; init; }
    public long? Eta { get; init; }
    public string? MessageLog { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? StoppedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public JsonObject Details { get; init; } = [];
    public DateTimeOffset UpdatedAt { get; init; }

    public int? InstallerPid => Details[DetailKeys.InstallerPid] is JsonValue v && v.TryGetValue<int>(out var pid) ? pid : null;
    public string? RunId => Details[DetailKeys.RunId] is JsonValue v && v.TryGetValue<string>(out var run) ? run : null;
    public string? InstalledAsDependencyOf => Details[DetailKeys.InstalledAsDependencyOf] is JsonValue v && v.TryGetValue<string>(out var root) ? root : null;

    /// <summary>Set while an uninstaller runs (its run marker); still set at start-up, the agent stopped while it ran.</summary>
    public string? UninstallRunId => Details[DetailKeys.UninstallRunId] is JsonValue v && v.TryGetValue<string>(out var run) ? run : null;

    public int? UninstallerPid => Details[DetailKeys.UninstallerPid] is JsonValue v && v.TryGetValue<int>(out var pid) ? pid : null;
}

/// <summary>Names inside <c>deployments.details_json</c>.</summary>
public static class DetailKeys
{
    public const string InstallerPid = "installerPid";
    public const string RunId = "runId";
    public const string InstalledAsDependencyOf = "installedAsDependencyOf";
    public const string PostInstallAction = "postInstallAction";
    public const string LogPath = "logPath";
    public const string UninstallRunId = "uninstallRunId";
    public const string UninstallerPid = "uninstallerPid";
}
