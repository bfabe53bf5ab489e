using System.Text.Json.Nodes;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Tests.Deploy;

public class ReleaseInstallPlanTests
{
    private static ReleaseRecord Release(JsonObject? metadata = null, params ArtifactSpec[] artifacts) => new()
    {
        CatalogId = "1.app@1.0.0",
        Release = new JsonObject { ["id"] = "1.app@1.0.0", ["metadata"] = metadata ?? new JsonObject() },
        Position = new ReleasePosition(ReleaseState.Downloaded, DeliveryState.Done, DeliveryStatus.Done, null),
        Artifacts = artifacts,
        ArtsDirPath = "/data/comps/1.app@1.0.0",
        DiscoveredAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
    };

    private static ArtifactSpec Artifact(string name, bool executable = false, string? metaData = null) =>
        new() { ItemKey = $"1.app@1.0.0@{name}", Url = $"files/{name}", IsExecutable = executable, MetaData = metaData };

    [Fact]
    public void Installer_ExecutableArtifact_IsTheInstallerAndNoneMeansThirdParty()
    {
        Assert.Equal("1.app@1.0.0@setup.sh", ReleaseInstallPlan.Installer(Release(null, Artifact("data.bin"), Artifact("setup.sh", executable: true)))!.ItemKey);
        Assert.Null(ReleaseInstallPlan.Installer(Release(null, Artifact("data.bin"))));
    }

    [Theory]
    [InlineData("""{"role":"uninstaller"}""")]
    [InlineData("""{"role":"Uninstaller","other":1}""")]
    [InlineData("""{"uninstall":true}""")]
    public void Uninstaller_MetaDataRole_FoundAndNeverTakenForTheInstaller(string metaData)
    {
        var release = Release(null, Artifact("remove.sh", executable: true, metaData: metaData), Artifact("setup.sh", executable: true));

        Assert.Equal("1.app@1.0.0@remove.sh", ReleaseInstallPlan.Uninstaller(release)!.ItemKey);
        Assert.Equal("1.app@1.0.0@setup.sh", ReleaseInstallPlan.Installer(release)!.ItemKey);
    }

    [Theory]
    [InlineData("uninstall.sh", true)]
    [InlineData("uninstall", true)]
    [InlineData("remove.sh", false)]
    public void Uninstaller_ByFileName_OnlyTheConventionalNames(string name, bool found)
    {
        var release = Release(null, Artifact(name), Artifact("setup.sh", executable: true, metaData: "not json"));
        Assert.Equal(found, ReleaseInstallPlan.Uninstaller(release) is not null);
    }

    [Fact]
    public void Timeout_MetadataTimeoutInstallationInMinutes_WinsOverDeployTimeoutSec()
    {
        Assert.Equal(TimeSpan.FromMinutes(3), ReleaseInstallPlan.Timeout(Release(new JsonObject { ["timeoutInstallation"] = 3 }), 60));
        Assert.Equal(TimeSpan.FromMinutes(1.5), ReleaseInstallPlan.Timeout(Release(new JsonObject { ["timeoutInstallation"] = "1.5" }), 60));
        Assert.Equal(TimeSpan.FromSeconds(45), ReleaseInstallPlan.Timeout(Release(new JsonObject { ["timeoutInstallation"] = 0 }), 45));
        Assert.Equal(TimeSpan.FromSeconds(60), ReleaseInstallPlan.Timeout(Release(), 60));
    }

    [Fact]
    public void AutoDeploy_BooleanOrStringTrue_OtherwiseFalse()
    {
        Assert.True(ReleaseInstallPlan.AutoDeploy(Release(new JsonObject { ["autoDeploy"] = true })));
        Assert.True(ReleaseInstallPlan.AutoDeploy(Release(new JsonObject { ["autoDeploy"] = "true" })));
        Assert.False(ReleaseInstallPlan.AutoDeploy(Release(new JsonObject { ["autoDeploy"] = 1 })));
        Assert.False(ReleaseInstallPlan.AutoDeploy(Release()));
    }

    [Theory]
    [InlineData("""{"metadata":{"autoDeploy":true}}""", true)]
    [InlineData("""{"metadata":{"autoDeploy":"true"}}""", true)]
    [InlineData("""{"metadata":{"autoDeploy":" True "}}""", true)]
    [InlineData("""{"metadata":{"x":{"autoDeploy":true},"autoDeploy":false}}""", false)]
    [InlineData("""{"metadata":{"autoDeploy":1}}""", false)]
    [InlineData("""{"metadata":{"autoDeploy":"yes"}}""", false)]
    [InlineData("""{"metadata":{"autoDeploy":null}}""", false)]
    [InlineData("""{"metadata":{"autoDeploy":{"a":true}}}""", false)]
    [InlineData("""{"metadata":[{"autoDeploy":true}]}""", false)]
    [InlineData("""{"metadata":"autoDeploy"}""", false)]
    [InlineData("""{"x":{"metadata":{"autoDeploy":true}},"metadata":{}}""", false)]
    [InlineData("""{"id":"1.app@1.0.0"}""", false)]
    public void AutoDeploy_ReadFromARowsJson_SameAsFromTheRecord(string releaseJson, bool expected)
    {
        var record = new ReleaseRecord("1.app@1.0.0", System.Text.Encoding.UTF8.GetBytes(releaseJson), null, null,
            new ReleasePosition(ReleaseState.Downloaded, null, null, null), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
        Assert.Equal(expected, ReleaseInstallPlan.AutoDeploy(record));
        Assert.Equal(expected, ReleaseInstallPlan.AutoDeploy(new GetApp.Agent.Core.Storage.ReleaseRow(record)));
    }

    [Theory]
    [InlineData("bin/post.sh", "/data/comps/1.app@1.0.0/bin/post.sh")]
    [InlineData("../other/post.sh", null)]
    [InlineData("..", null)]
    [InlineData("/opt/app/bin/app", "/opt/app/bin/app")]
    public void ResolveExePath_RelativeStaysInsideArtsDir_AbsoluteAsGiven(string exePath, string? expected) =>
        Assert.Equal(expected, ReleaseInstallPlan.ResolveExePath(Release(), exePath));

    [Fact]
    public void PostInstall_TypesExeWebAndNone_OnlyExeAndWebAreActions()
    {
        Assert.Equal("EXE", ReleaseInstallPlan.PostInstall(Release(new JsonObject { ["postInstallAction"] = new JsonObject { ["type"] = "EXE", ["exePath"] = "a" } }))!.Type);
        Assert.Equal("http://x/", ReleaseInstallPlan.PostInstall(Release(new JsonObject { ["postInstallAction"] = new JsonObject { ["type"] = "WEB", ["url"] = "http://x/" } }))!.Url);
        Assert.Null(ReleaseInstallPlan.PostInstall(Release(new JsonObject { ["postInstallAction"] = new JsonObject { ["type"] = "NONE" } })));
    }

    [Theory]
    [InlineData("../../x", "http://server/a/..%2F..%2Fx")]
    [InlineData("../../x", "https://server/dl/%2E%2E")]
    [InlineData("../../x", "files/../../x")]
    [InlineData("..", "..")]
    public void PathOf_HostileItemKeyOrName_DirectlyInsideArtsDir(string itemKey, string url)
    {
        var artifact = new ArtifactSpec { ItemKey = itemKey, Url = url, IsExecutable = true };
        var release = Release(null, artifact);

        var path = ReleaseInstallPlan.PathOf(release, artifact);

        Assert.Equal(release.ArtsDirPath, Path.GetDirectoryName(path));
        Assert.DoesNotContain("..", Path.GetFileName(path).Split('/'));
        Assert.NotEqual("..", Path.GetFileName(path));
    }
}
