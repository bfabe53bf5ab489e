using System.Reflection;
using System.Runtime.InteropServices;
using GetApp.Agent.Hosting;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Packaging;

/// <summary>
/// The .deb packages packaging/deb/build.sh makes in artifacts/packages. CI builds them before the tests; elsewhere the
/// first test that needs one builds it (a Native AOT publish, minutes), when this machine has what the build needs,
/// and is skipped, saying what to install, when it does not.
/// </summary>
internal static class DebPackages
{
    private static readonly SemaphoreSlim BuildLock = new(1, 1);

    /// <summary>The product version these tests were built with (Directory.Build.props), e.g. 0.1.0.</summary>
    public static string ProductVersion { get; } =
        typeof(AgentHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    /// <summary>The package's version: a prerelease's dash becomes a tilde, which Debian sorts before the release.</summary>
    public static string DebianVersion { get; } = ToDebian(ProductVersion);

    /// <summary>CI must run every packaging test: there, a missing tool is a failure, never a skip.</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string PathOf(string arch) => Path.Combine(RepoPaths.Root, "artifacts", "packages", $"getapp-agent_{DebianVersion}_{arch}.deb");

    /// <summary>Why the package for <paramref name="arch"/> can be neither found nor built here; null when it can.</summary>
    public static string? Unavailable(string arch)
    {
        if (File.Exists(PathOf(arch)) || InCi)
        {
            return null;
        }

        var missing = MissingBuildTools(arch);
        return missing.Count == 0
            ? null
            : $"the {arch} package is not in artifacts/packages and this machine cannot build it (missing: {string.Join(", ", missing)}); " +
              "see packaging/deb/build.sh --help";
    }

    /// <summary>The package's path, built first if it is not there yet.</summary>
    public static async Task<string> GetAsync(string arch)
    {
        var path = PathOf(arch);
        await BuildLock.WaitAsync();
        try
        {
            if (!File.Exists(path))
            {
                // The test host's MSBuild variables would steer the nested `dotnet publish` wrongly.
                var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
                    .Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase))
                    .ToDictionary(k => k, _ => (string?)null);
                await HostCommand.MustRunAsync(
                    "bash", [Path.Combine(RepoPaths.Root, "packaging", "deb", "build.sh"), "--arch", arch], TimeSpan.FromMinutes(40), environment);
            }
        }
        finally
        {
            BuildLock.Release();
        }

        return File.Exists(path) ? path : throw new FileNotFoundException($"packaging/deb/build.sh did not make {path}");
    }

    /// <summary>
    /// A copy of <paramref name="deb"/> that says it is version <paramref name="version"/>: the next release of the same
    /// package, to upgrade to.
    /// </summary>
    public static async Task<string> WithVersionAsync(string deb, string version, string workDir)
    {
        var tree = Path.Combine(workDir, "tree");
        await HostCommand.MustRunAsync("dpkg-deb", ["--raw-extract", deb, tree]);
        var control = Path.Combine(tree, "DEBIAN", "control");
        var lines = (await File.ReadAllLinesAsync(control)).Select(l => l.StartsWith("Version: ", StringComparison.Ordinal) ? $"Version: {version}" : l);
        await File.WriteAllLinesAsync(control, lines);
        var next = Path.Combine(workDir, $"getapp-agent_{version}_{Path.GetFileNameWithoutExtension(deb).Split('_')[^1]}.deb");
        await HostCommand.MustRunAsync("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", tree, next], TimeSpan.FromMinutes(5));
        return next;
    }

    private static string ToDebian(string version)
    {
        var dash = version.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? version : $"{version[..dash]}~{version[(dash + 1)..]}";
    }

    private static List<string> MissingBuildTools(string arch)
    {
        var triplet = arch == "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
        var native = (arch == "arm64") == (RuntimeInformation.OSArchitecture == Architecture.Arm64);
        var missing = new List<string>();
        if (!HostCommand.IsOnPath("clang"))
        {
            missing.Add("clang");
        }

        if (!HostCommand.IsOnPath("dpkg-deb"))
        {
            missing.Add("dpkg-deb");
        }

        if (!File.Exists($"/usr/lib/{triplet}/libsqlite3.a"))
        {
            missing.Add(native ? "libsqlite3-dev" : $"libsqlite3-dev:{arch}");
        }

        if (!native && !HostCommand.IsOnPath($"{triplet}-ld"))
        {
            missing.Add($"binutils-{triplet.Replace('_', '-')}");
        }

        if (!native && !Directory.Exists($"/usr/lib/gcc-cross/{triplet}"))
        {
            missing.Add($"gcc-{triplet.Replace('_', '-')}");
        }

        return missing;
    }
}
