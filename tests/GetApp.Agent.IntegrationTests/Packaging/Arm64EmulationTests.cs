using System.Net;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Packaging;

/// <summary>The arm64 package's executable, cross-built on x64, does the whole job under qemu's user-mode emulation.</summary>
[Collection(DebPackagesCollection.Name)]
public sealed class Arm64EmulationTests
{
    [NeedsQemuArm64Fact]
    public async Task Arm64Executable_UnderQemu_AnswersTheSeedEndpoint_AndInstallsTheSample()
    {
        var deb = await DebPackages.GetAsync("arm64");
        using var tree = new TempDirectory("getapp-deb-arm64");
        await HostCommand.MustRunAsync("dpkg-deb", ["--extract", deb, tree.Path]);
        var executable = tree.Combine("usr", "bin", "getapp-agent");

        var version = QemuArm64.StartInfo(executable, "--version");
        var reported = await HostCommand.MustRunAsync(version.FileName, version.ArgumentList, TimeSpan.FromMinutes(2), Environment(version));
        Assert.StartsWith(DebPackages.ProductVersion, reported.Trim(), StringComparison.Ordinal);

        var data = tree.Combine("data");
        var run = QemuArm64.StartInfo(
            executable, "run", "--urls", "http://127.0.0.1:0", "--data-dir", data, "--catalog", RepoPaths.SampleCatalog);
        // Emulated, the agent starts in seconds rather than in a tenth of one.
        await using var agent = await AgentProcess.StartAsync(run, TimeSpan.FromMinutes(3));

        using var seed = await agent.Client.GetAsync($"/api/v2/device/releases/{Uri.EscapeDataString(SampleRelease.Id)}");
        // Right after the start the pushed release may not be known yet (a 404 AppError), or already in delivery.
        if (seed.StatusCode == HttpStatusCode.NotFound)
        {
            await HttpAssert.AppErrorAsync(seed, HttpStatusCode.NotFound);
        }
        else
        {
            ContractSchema.AssertValidStatus(await HttpAssert.JsonAsync(seed));
        }

        // Delivered (SQLite, HTTP, SHA-256 through OpenSSL) and installed (a child process) by the arm64 build.
        var installed = await SampleRelease.WaitInstalledAsync(agent, TimeSpan.FromMinutes(4));
        Assert.Equal(SampleRelease.Id, installed.Release.Id);
        Assert.Equal(0, await agent.TerminateAsync(TimeSpan.FromMinutes(1)));
    }

    private static Dictionary<string, string?> Environment(System.Diagnostics.ProcessStartInfo info) =>
        info.Environment.Where(e => e.Key == "QEMU_LD_PREFIX").ToDictionary(e => e.Key, e => e.Value);
}
