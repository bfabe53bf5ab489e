using System.Diagnostics;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>
/// The installer runner with a real, very talkative child process. Alone, after the parallel tests: it measures the
/// bytes allocated in the whole test process, which every test running beside it would add to.
/// </summary>
[Collection(TimingSensitive.Name)]
public class InstallerRunnerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunAsync_Installer50MegabytesOfOutput_LogBoundedMemoryFlatTailKept()
    {
        using var dir = new TempDirectory();
        var script = Path.Combine(dir.Path, "install.sh");
        await File.WriteAllBytesAsync(script, Script("""
            head -c 52428800 /dev/zero | tr '\0' 'x'
            echo
            echo "the last line" >&2
            exit 0
            """));
        var runner = new InstallerRunner(TimeProvider.System, NullLogger<InstallerRunner>.Instance);
        var log = Path.Combine(dir.Path, "logs", "install.log");
        var launch = new InstallerLaunch("5.tool@1.0.0", script, [], dir.Path, TimeSpan.FromSeconds(60), log, new Dictionary<string, string>());

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var outcome = await runner.RunAsync(launch, null, CancellationToken.None);
        clock.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.True(outcome.Succeeded, outcome.OutputTail);
        var size = new FileInfo(log).Length;
        output.WriteLine($"50 MiB of output: {clock.Elapsed.TotalSeconds:0.00}s, log {size} bytes, {allocated / 1024} KiB allocated in this process");
        Assert.InRange(size, InstallerOutputLog.HeadBytes, InstallerOutputLog.HeadBytes + InstallerOutputLog.TailBytes + 4096);
        Assert.True(allocated < 16 * 1024 * 1024, $"{allocated} bytes allocated for 50 MiB of output");
        var text = await File.ReadAllTextAsync(log);
        Assert.Contains("bytes of output omitted", text);
        Assert.Contains("the last line", text);
        Assert.EndsWith("the last line", outcome.OutputTail);
        Assert.Contains("52428", text); // the footer counts every byte (52428801 + the last line)
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task RunAsync_ProgramOutsideWorkingDirectory_ExecuteBitNotTouched()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("arts"));
        Directory.CreateDirectory(dir.Combine("elsewhere"));
        var program = dir.Combine("elsewhere", "tool.sh");
        await File.WriteAllBytesAsync(program, Script("exit 0"));
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var runner = new InstallerRunner(TimeProvider.System, NullLogger<InstallerRunner>.Instance);
        var launch = new InstallerLaunch("5.tool@1.0.0", program, [], dir.Combine("arts"), TimeSpan.FromSeconds(30), dir.Combine("post.log"), new Dictionary<string, string>());

        var outcome = await runner.RunAsync(launch, null, CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(program));
    }
}
