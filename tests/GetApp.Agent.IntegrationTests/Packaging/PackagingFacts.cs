using System.Runtime.InteropServices;

namespace GetApp.Agent.IntegrationTests.Packaging;

/// <summary>The packaging tests run one at a time: they share the machine's dpkg and the packages' builds.</summary>
[CollectionDefinition(Name)]
public sealed class DebPackagesCollection
{
    public const string Name = "deb-packages";
}

/// <summary>A test that needs the .deb package of one architecture (found, or built on first use).</summary>
public sealed class NeedsPackageFactAttribute : FactAttribute
{
    public NeedsPackageFactAttribute(string arch)
    {
        Skip = DebPackages.Unavailable(arch);
    }
}

/// <summary>
/// A test that installs the amd64 package on this machine: as root only, and only where that touches nothing of the
/// user's (see <see cref="InstalledPackage.WhyNotHere"/>).
/// </summary>
public sealed class InstallsPackageFactAttribute : FactAttribute
{
    public InstallsPackageFactAttribute()
    {
        Skip = RuntimeInformation.OSArchitecture != Architecture.X64
            ? "the installed-package tests install the amd64 package"
            : InstalledPackage.WhyNotHere() ?? DebPackages.Unavailable("amd64");
    }
}

/// <summary>A test that runs the arm64 executable under qemu's user-mode emulation, where qemu is installed.</summary>
public sealed class NeedsQemuArm64FactAttribute : FactAttribute
{
    public NeedsQemuArm64FactAttribute()
    {
        Skip = DebPackages.Unavailable("arm64") ?? (DebPackages.InCi ? null : QemuArm64.Unavailable());
    }
}

/// <summary>A test that runs lintian, where it is installed.</summary>
public sealed class NeedsLintianFactAttribute : FactAttribute
{
    public NeedsLintianFactAttribute()
    {
        Skip = DebPackages.Unavailable("amd64")
            ?? (DebPackages.InCi || HostCommand.IsOnPath("lintian") ? null : "lintian is not installed (apt-get install lintian)");
    }
}
