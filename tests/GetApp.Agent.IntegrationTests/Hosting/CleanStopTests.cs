using System.Diagnostics;
using System.Net;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Hosting;

/// <summary>SIGTERM is a clean stop (exit 0) however long the engines take to stop and record what they ran.</summary>
public class CleanStopTests
{
    private const string Id = "5.slow-stop@1.0.0";

    [Fact]
    public async Task Sigterm_StopTakesSeconds_ExitCodeIsStillZero()
    {
        // A grandchild in its own session, without the run's marker, keeps the installer's output open: the agent then
        // waits its drain grace (5 s) before it records the stopped install. The command line must not end the process
        // itself meanwhile (System.CommandLine's default is 2 s, then exit 143, which systemd reports as a failure).
        using var catalog = new TestCatalog()
            .Add(Id, files: Installer("""
                setsid env -i /bin/sh -c 'sleep 8' &
                sleep 1000
                """), executable: "install.sh")
            .Write();
        using var data = new TempDirectory("getapp-data");
        await using (var first = await TestAgent.StartAsync(catalog.Path, dataDir: data.Path))
        {
            await DeliveredReleases.DeliverAsync(first, catalog.Path, Id);
        }

        await using var agent = await AgentProcess.StartAsync(data.Path, ["--catalog", catalog.Path]);
        Assert.Equal(HttpStatusCode.OK, (await agent.Client.PostAsync($"/api/v2/deploy/start/{Id}", null)).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await agent.Client.GetStringAsync($"/api/v2/deploy/{Id}")).Contains("the installer is running (pid", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the installer never started");
            await Task.Delay(50);
        }

        var clock = Stopwatch.StartNew();
        var exitCode = await agent.TerminateAsync(TimeSpan.FromSeconds(90));

        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(2), $"the stop took {clock.Elapsed}: this test needs one longer than 2 s");
        Assert.Equal(0, exitCode);
        Assert.Contains("GetApp agent stopped after", agent.Output);
    }
}
