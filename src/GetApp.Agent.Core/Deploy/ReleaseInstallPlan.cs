using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// What a release says about installing it: its installer (the artifact with <c>isExecutable: true</c>), its uninstaller
/// (this agent's convention, see docs/deploy.md), its timeout, auto-deploy flag and post-install action. Every file path
/// comes from <see cref="ArtifactFiles"/>, so an untrusted item key or URL can never point outside <c>artsDirPath</c>.
/// </summary>
public static class ReleaseInstallPlan
{
    /// <summary>The artifact that installs the release, or null for a release left to a third-party installer.</summary>
    public static ArtifactSpec? Installer(ReleaseRecord release)
    {
        var uninstaller = Uninstaller(release);
        return release.Artifacts.FirstOrDefault(a => a.IsExecutable == true && !ReferenceEquals(a, uninstaller));
    }

    /// <summary>
    /// A release made only of dependencies (GetApp prepares it with <c>artifacts: []</c>): installing it means installing
    /// each of its dependencies with its own installer, leaf → root (docs/deploy.md, "Bundles").
    /// </summary>
    public static bool IsBundle(ReleaseRecord release) => release.Artifacts.Count == 0;

    /// <summary>
    /// The artifact that uninstalls the release: one whose <c>metaData</c> JSON says <c>{"role": "uninstaller"}</c>,
    /// else one whose file name is <c>uninstall</c> or <c>uninstall.sh</c>.
    /// </summary>
    public static ArtifactSpec? Uninstaller(ReleaseRecord release)
    {
        var byRole = release.Artifacts.FirstOrDefault(IsUninstallerByRole);
        if (byRole is not null)
        {
            return byRole;
        }

        var names = ArtifactFiles.Plan(release.Artifacts);
        return release.Artifacts.FirstOrDefault(a => names[a.ItemKey] is "uninstall" or "uninstall.sh");
    }

    /// <summary>The path of <paramref name="artifact"/> inside the release's folder.</summary>
    public static string PathOf(ReleaseRecord release, ArtifactSpec artifact) =>
        ArtifactFiles.PathOf(release.ArtsDirPath!, release.Artifacts, artifact.ItemKey);

    /// <summary>True when the release's folder still holds every one of its artifacts (a reinstall needs them).</summary>
    public static bool ArtifactsPresent(ReleaseRecord release) =>
        release.ArtsDirPath is { } dir && Directory.Exists(dir) && release.Artifacts.All(a => File.Exists(PathOf(release, a)));

    /// <summary><c>metadata.timeoutInstallation</c> (minutes) when the release sets it, else the live <c>deployTimeoutSec</c>.</summary>
    public static TimeSpan Timeout(ReleaseRecord release, int deployTimeoutSec) =>
        Metadata(release)?["timeoutInstallation"] is { } node && Number(node) is > 0 and var minutes
            ? TimeSpan.FromMinutes(minutes)
            : TimeSpan.FromSeconds(Math.Max(1, deployTimeoutSec));

    /// <summary><c>metadata.autoDeploy</c> (a boolean, or the string "true").</summary>
    public static bool AutoDeploy(ReleaseRecord release) => Metadata(release)?["autoDeploy"] switch
    {
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) => bool.TryParse(s, out var b) && b,
        _ => false,
    };

    /// <summary>The same as <see cref="AutoDeploy(ReleaseRecord)"/>, read from a stored row's JSON without parsing it.</summary>
    internal static bool AutoDeploy(ReleaseRow row) => JsonScan.Flag(row.ReleaseJson, "metadata", "autoDeploy");

    /// <summary><c>metadata.postInstallAction</c> when its type is <c>EXE</c> or <c>WEB</c>.</summary>
    public static PostInstallAction? PostInstall(ReleaseRecord release)
    {
        if (Metadata(release)?["postInstallAction"] is not JsonObject action || Text(action, "type") is not { } type)
        {
            return null;
        }

        return type.ToUpperInvariant() switch
        {
            "EXE" => new PostInstallAction("EXE", Text(action, "exePath"), null, (JsonObject)action.DeepClone()),
            "WEB" => new PostInstallAction("WEB", null, Text(action, "url"), (JsonObject)action.DeepClone()),
            _ => null,
        };
    }

    /// <summary>
    /// Where an <c>EXE</c> post-install action's file is: a relative <c>exePath</c> inside the release's folder (never
    /// outside it), an absolute one as given (an installed program). Null when it would escape the folder.
    /// </summary>
    public static string? ResolveExePath(ReleaseRecord release, string exePath)
    {
        if (Path.IsPathRooted(exePath))
        {
            return Path.GetFullPath(exePath);
        }

        var root = Path.GetFullPath(release.ArtsDirPath!);
        var full = Path.GetFullPath(Path.Combine(root, exePath));
        return full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }

    private static bool IsUninstallerByRole(ArtifactSpec artifact)
    {
        if (string.IsNullOrWhiteSpace(artifact.MetaData))
        {
            return false;
        }

        try
        {
            return JsonNode.Parse(artifact.MetaData) is JsonObject o
                && ((Text(o, "role") is { } role && role.Equals("uninstaller", StringComparison.OrdinalIgnoreCase))
                    || (o["uninstall"] is JsonValue v && v.TryGetValue<bool>(out var flag) && flag));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // Asked of every delivered release at start and after each delivery: read without parsing the whole release.
    private static JsonObject? Metadata(ReleaseRecord release) => release.ReleaseField("metadata") as JsonObject;

    private static string? Text(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static double? Number(JsonNode node) => node switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };
}

/// <summary>A release's <c>metadata.postInstallAction</c>: <c>EXE</c> runs <see cref="ExePath"/>, <c>WEB</c> is recorded with its <see cref="Url"/>.</summary>
public sealed record PostInstallAction(string Type, string? ExePath, string? Url, JsonObject Raw);
