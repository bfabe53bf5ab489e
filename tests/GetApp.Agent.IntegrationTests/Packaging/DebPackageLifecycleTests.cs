using System.Security.Cryptography;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Packaging;

/// <summary>
/// The amd64 package installed, upgraded, removed and purged on this machine with apt-get, as an operator does. systemd
/// is not PID 1 here (nor anywhere these tests run), so the service is started as its installed unit says (see
/// <see cref="InstalledPackage"/>).
/// </summary>
[Collection(DebPackagesCollection.Name)]
public sealed class DebPackageLifecycleTests
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(2);

    [InstallsPackageFact]
    public async Task Install_PutsExecutableUnitSettingsAndDataDirInPlace_AndTheServiceDeliversAndInstalls()
    {
        await using var package = await InstalledPackage.InstallAsync(await DebPackages.GetAsync("amd64"));

        Assert.Equal($"ii {DebPackages.DebianVersion}", await InstalledPackage.StatusAsync());
        Assert.Equal("root:root 755", await InstalledPackage.OwnerAndModeAsync(InstalledPackage.Executable));
        var version = (await HostCommand.MustRunAsync(InstalledPackage.Executable, ["--version"])).Trim();
        Assert.True(version == DebPackages.ProductVersion || version.StartsWith(DebPackages.ProductVersion + "+", StringComparison.Ordinal), version);

        // The system user and its data dir.
        var user = (await HostCommand.MustRunAsync("getent", ["passwd", "getapp"])).Trim().Split(':');
        Assert.True(int.Parse(user[2], System.Globalization.CultureInfo.InvariantCulture) < 1000, $"getapp is a system user: {string.Join(':', user)}");
        Assert.Equal(InstalledPackage.DataDir, user[5]);
        Assert.Equal("/usr/sbin/nologin", user[6]);
        Assert.Equal(0, (await HostCommand.RunAsync("getent", ["group", "getapp"])).ExitCode);
        Assert.Equal("getapp:getapp 750", await InstalledPackage.OwnerAndModeAsync(InstalledPackage.DataDir));

        // The settings: a conffile only root reads (it holds the device secret).
        Assert.Equal("root:root 600", await InstalledPackage.OwnerAndModeAsync(InstalledPackage.Settings));
        Assert.StartsWith(InstalledPackage.Settings + " ", (await InstalledPackage.ConffilesAsync()).Trim(), StringComparison.Ordinal);

        // The unit, enabled for the next boot (systemd is not running here, so nothing is started).
        Assert.Equal(InstalledPackage.Unit, new FileInfo(InstalledPackage.EnablementLink).LinkTarget);
        Assert.True(File.Exists("/usr/share/man/man1/getapp-agent.1.gz"));

        // The service as systemd would start it, with an offline catalog set in its settings file.
        await File.AppendAllTextAsync(InstalledPackage.Settings, $"GETAPP_CATALOG={package.SampleCatalogCopy()}\n");
        await using var agent = await package.StartServiceAsync();
        var installed = await SampleRelease.WaitInstalledAsync(agent, InstallTimeout);
        Assert.StartsWith(InstalledPackage.DataDir + "/comps/", installed.ArtsDirPath, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(InstalledPackage.DataDir, AgentDatabase.FileName)));
        Assert.Equal(0, await agent.TerminateAsync(TimeSpan.FromSeconds(45)));

        // Installing the same version again changes nothing.
        await package.InstallOrUpgradeAsync(await DebPackages.GetAsync("amd64"));
        Assert.Equal($"ii {DebPackages.DebianVersion}", await InstalledPackage.StatusAsync());
        Assert.True(File.Exists(Path.Combine(InstalledPackage.DataDir, AgentDatabase.FileName)));
        Assert.Equal("getapp:getapp 750", await InstalledPackage.OwnerAndModeAsync(InstalledPackage.DataDir));
    }

    [InstallsPackageFact]
    public async Task Upgrade_KeepsTheEditedSettingsAndTheData()
    {
        var deb = await DebPackages.GetAsync("amd64");
        await using var package = await InstalledPackage.InstallAsync(deb);
        await File.AppendAllTextAsync(InstalledPackage.Settings, $"# edited on site\nGETAPP_CATALOG={package.SampleCatalogCopy()}\n");
        var settings = await File.ReadAllBytesAsync(InstalledPackage.Settings);
        await using (var agent = await package.StartServiceAsync())
        {
            await SampleRelease.WaitInstalledAsync(agent, InstallTimeout);
            Assert.Equal(0, await agent.TerminateAsync(TimeSpan.FromSeconds(45)));
        }

        var data = Snapshot(InstalledPackage.DataDir);
        var next = await DebPackages.WithVersionAsync(deb, DebPackages.DebianVersion + "+next1", package.Work.Path);

        await package.InstallOrUpgradeAsync(next);

        Assert.Equal($"ii {DebPackages.DebianVersion}+next1", await InstalledPackage.StatusAsync());
        Assert.Equal(settings, await File.ReadAllBytesAsync(InstalledPackage.Settings));
        Assert.Equal(["agent.env"], Directory.GetFiles("/etc/getapp").Select(Path.GetFileName)); // no .dpkg-new, no .dpkg-old
        Assert.Equal(data, Snapshot(InstalledPackage.DataDir));
        Assert.Equal("getapp:getapp 750", await InstalledPackage.OwnerAndModeAsync(InstalledPackage.DataDir));
        Assert.Equal(InstalledPackage.Unit, new FileInfo(InstalledPackage.EnablementLink).LinkTarget);

        // The upgraded service finds what the old one installed: nothing is delivered again.
        await using var upgraded = await package.StartServiceAsync();
        using var first = await upgraded.Client.GetAsync($"/api/v2/device/releases/{Uri.EscapeDataString(SampleRelease.Id)}");
        Assert.Equal("installed", (await HttpAssert.JsonAsync(first)).GetProperty("state").GetString());
        Assert.Equal(0, await upgraded.TerminateAsync(TimeSpan.FromSeconds(45)));
    }

    [InstallsPackageFact]
    public async Task Upgrade_KeepsTheAdminsChoices_AServiceRunUnprivilegedAndDisabled()
    {
        var deb = await DebPackages.GetAsync("amd64");
        await using var package = await InstalledPackage.InstallAsync(deb);
        await File.AppendAllTextAsync(InstalledPackage.Settings, $"GETAPP_CATALOG={package.SampleCatalogCopy()}\n");

        // The data dir belongs to getapp, so the service runs as getapp (the unit's drop-in for sites whose
        // installers need no root) straight after installation.
        await using (var agent = await package.StartServiceAsync(asGetappUser: true))
        {
            await SampleRelease.WaitInstalledAsync(agent, InstallTimeout);
            Assert.Equal(0, await agent.TerminateAsync(TimeSpan.FromSeconds(45)));
        }

        var database = Path.Combine(InstalledPackage.DataDir, AgentDatabase.FileName);
        Assert.StartsWith("getapp:getapp ", await InstalledPackage.OwnerAndModeAsync(database), StringComparison.Ordinal);
        File.Delete(InstalledPackage.EnablementLink); // what `systemctl disable getapp-agent` does

        await package.InstallOrUpgradeAsync(await DebPackages.WithVersionAsync(deb, DebPackages.DebianVersion + "+next1", package.Work.Path));

        Assert.Equal($"ii {DebPackages.DebianVersion}+next1", await InstalledPackage.StatusAsync());
        Assert.False(Path.Exists(InstalledPackage.EnablementLink), "the upgrade enabled the service again");
        Assert.StartsWith("getapp:getapp ", await InstalledPackage.OwnerAndModeAsync(database), StringComparison.Ordinal);
        await using var upgraded = await package.StartServiceAsync(asGetappUser: true);
        using var first = await upgraded.Client.GetAsync($"/api/v2/device/releases/{Uri.EscapeDataString(SampleRelease.Id)}");
        Assert.Equal("installed", (await HttpAssert.JsonAsync(first)).GetProperty("state").GetString());
        Assert.Equal(0, await upgraded.TerminateAsync(TimeSpan.FromSeconds(45)));
    }

    [InstallsPackageFact]
    public async Task Remove_KeepsSettingsAndData_ReinstallFindsThem_PurgeDropsThem()
    {
        var deb = await DebPackages.GetAsync("amd64");
        await using var package = await InstalledPackage.InstallAsync(deb);
        await File.AppendAllTextAsync(InstalledPackage.Settings, $"GETAPP_CATALOG={package.SampleCatalogCopy()}\n");
        var settings = await File.ReadAllBytesAsync(InstalledPackage.Settings);
        await using (var agent = await package.StartServiceAsync())
        {
            await SampleRelease.WaitInstalledAsync(agent, InstallTimeout);
            Assert.Equal(0, await agent.TerminateAsync(TimeSpan.FromSeconds(45)));
        }

        var data = Snapshot(InstalledPackage.DataDir);

        await package.RemoveAsync();

        Assert.Equal($"rc {DebPackages.DebianVersion}", await InstalledPackage.StatusAsync());
        Assert.False(File.Exists(InstalledPackage.Executable));
        Assert.False(File.Exists(InstalledPackage.Unit));
        Assert.Equal(settings, await File.ReadAllBytesAsync(InstalledPackage.Settings));
        Assert.Equal(data, Snapshot(InstalledPackage.DataDir));
        Assert.Equal(0, (await HostCommand.RunAsync("getent", ["passwd", "getapp"])).ExitCode);

        // Installed again, the maintainer scripts meet their own leftovers: same user, same data, unit unmasked.
        await package.InstallOrUpgradeAsync(deb);

        Assert.Equal($"ii {DebPackages.DebianVersion}", await InstalledPackage.StatusAsync());
        Assert.Equal(settings, await File.ReadAllBytesAsync(InstalledPackage.Settings));
        Assert.Equal(data, Snapshot(InstalledPackage.DataDir));
        Assert.False(Path.Exists(InstalledPackage.UnitOverride), "the unit is still masked");
        Assert.Equal(InstalledPackage.Unit, new FileInfo(InstalledPackage.EnablementLink).LinkTarget);

        await package.PurgeAsync();

        Assert.Null(await InstalledPackage.StatusAsync());
        Assert.False(Path.Exists(InstalledPackage.Settings));
        Assert.False(Path.Exists("/etc/getapp"));
        Assert.False(Path.Exists(InstalledPackage.DataDir));
        Assert.False(Path.Exists(InstalledPackage.EnablementLink));
        Assert.False(Path.Exists(InstalledPackage.UnitOverride));
        // Debian keeps system users on purge (files elsewhere may still be theirs); docs/operations.md says how to drop it.
        Assert.Equal(0, (await HostCommand.RunAsync("getent", ["passwd", "getapp"])).ExitCode);
    }

    /// <summary>Every file under <paramref name="root"/>: its path relative to the root, and the SHA-256 of its content.</summary>
    private static SortedDictionary<string, string> Snapshot(string root)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            files[Path.GetRelativePath(root, file)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        }

        return files;
    }
}
