using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Packaging;

/// <summary>What the .deb packages hold and declare, read with dpkg-deb (no root needed).</summary>
[Collection(DebPackagesCollection.Name)]
public sealed class DebPackageContentsTests
{
    [NeedsPackageFact("amd64")]
    public async Task Amd64Package_DeclaresItsVersionDependenciesAndConffile_AndHoldsAnX64Executable()
    {
        var deb = await DebPackages.GetAsync("amd64");

        await AssertControlAsync(deb, "amd64");
        var listing = await HostCommand.MustRunAsync("dpkg-deb", ["--contents", deb]);
        AssertListed(listing, "-rwxr-xr-x root/root", "./usr/bin/getapp-agent");
        AssertListed(listing, "-rw-r--r-- root/root", "./lib/systemd/system/getapp-agent.service");
        AssertListed(listing, "-rw------- root/root", "./etc/getapp/agent.env");
        AssertListed(listing, "-rw-r--r-- root/root", "./usr/share/doc/getapp-agent/copyright");
        AssertListed(listing, "-rw-r--r-- root/root", "./usr/share/man/man1/getapp-agent.1.gz");
        Assert.DoesNotContain("./var/lib/getapp-agent", listing, StringComparison.Ordinal);

        using var tree = new TempDirectory("getapp-deb-x");
        await HostCommand.MustRunAsync("dpkg-deb", ["--extract", deb, tree.Path]);
        var elf = ElfFile.Read(tree.Combine("usr", "bin", "getapp-agent"));
        Assert.Equal(ElfFile.X86_64, elf.Machine);
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", elf.Interpreter);
        var unit = await File.ReadAllTextAsync(tree.Combine("lib", "systemd", "system", "getapp-agent.service"));
        Assert.Contains("\nExecStart=/usr/bin/getapp-agent run --data-dir /var/lib/getapp-agent\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nEnvironmentFile=-/etc/getapp/agent.env\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nWantedBy=multi-user.target\n", unit, StringComparison.Ordinal);
    }

    [NeedsPackageFact("arm64")]
    public async Task Arm64Package_HoldsAnAArch64Executable()
    {
        var deb = await DebPackages.GetAsync("arm64");

        await AssertControlAsync(deb, "arm64");
        using var tree = new TempDirectory("getapp-deb-x");
        await HostCommand.MustRunAsync("dpkg-deb", ["--extract", deb, tree.Path]);
        var elf = ElfFile.Read(tree.Combine("usr", "bin", "getapp-agent"));
        Assert.True(elf.Is64Bit && elf.IsLittleEndian, "a 64-bit little-endian ELF");
        Assert.Equal(ElfFile.AArch64, elf.Machine);
        Assert.Equal("/lib/ld-linux-aarch64.so.1", elf.Interpreter);
    }

    [NeedsLintianFact]
    public async Task Packages_AreLintianClean()
    {
        var debs = new List<string> { await DebPackages.GetAsync("amd64") };
        if (DebPackages.Unavailable("arm64") is null)
        {
            debs.Add(await DebPackages.GetAsync("arm64"));
        }

        // Errors and warnings fail; each override in packaging/deb/lintian-overrides says why it is there.
        var result = await HostCommand.RunAsync("lintian", ["--fail-on", "error,warning", .. debs], TimeSpan.FromMinutes(10));
        Assert.True(result.ExitCode == 0, result.Output);
    }

    private static async Task AssertControlAsync(string deb, string arch)
    {
        var fields = await HostCommand.MustRunAsync("dpkg-deb", ["--field", deb, "Package", "Version", "Architecture", "Depends"]);
        Assert.Contains("Package: getapp-agent\n", fields, StringComparison.Ordinal);
        Assert.Contains($"Version: {DebPackages.DebianVersion}\n", fields, StringComparison.Ordinal);
        Assert.Contains($"Architecture: {arch}\n", fields, StringComparison.Ordinal);
        var depends = fields.Split('\n').Single(l => l.StartsWith("Depends: ", StringComparison.Ordinal));
        Assert.Matches(@"libc6 \(>= 2\.[0-9]+\)", depends);
        Assert.Contains("libssl3 | libssl3t64", depends, StringComparison.Ordinal);
        Assert.Contains("adduser", depends, StringComparison.Ordinal);
        Assert.DoesNotContain("sqlite", depends, StringComparison.Ordinal);

        var conffiles = await HostCommand.MustRunAsync("dpkg-deb", ["--info", deb, "conffiles"]);
        Assert.Equal("/etc/getapp/agent.env", conffiles.Trim());
    }

    private static void AssertListed(string listing, string modeAndOwner, string path) =>
        Assert.True(
            listing.Split('\n').Any(l => l.StartsWith(modeAndOwner, StringComparison.Ordinal) && l.EndsWith(" " + path, StringComparison.Ordinal)),
            $"{path} ({modeAndOwner}) is not in the package:\n{listing}");
}
