using System.Diagnostics;
using System.Net;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>The agent is killed (SIGKILL) while an installer runs; on restart the install is re-evaluated, explained, and retryable.</summary>
public class AgentRestartDuringInstallTests
{
    private const string Id = "8.service@2.0.0";
    private const string Dependency = "9.runtime@1.0.0";

    [Fact]
    public async Task AgentKilledWhileInstallerRuns_Restart_DeployErrorExplainsLeftoversKilledAndRetryInstalls()
    {
        using var catalog = new TestCatalog()
            .Add(Dependency, dependedOnBy: [Id], files: Installer("true"), executable: "install.sh")
            .Add(Id, files: Installer("""
                echo "self $$" >> pids.txt
                sleep 1000 &
                echo "child $!" >> pids.txt
                setsid sleep 1000 &
                echo "escaped $!" >> pids.txt
                if [ -f allow ]; then exit 0; fi
                sleep 1000
                """), executable: "install.sh")
            .Write();
        using var data = new TempDirectory("getapp-data");
        string arts;
        await using (var first = await TestAgent.StartAsync(catalog.Path, dataDir: data.Path))
        {
            await DeliveredReleases.DeliverAsync(first, catalog.Path, Dependency, Id);
            arts = ArtsDir(first, Id);
        }

        int[] pids = [];
        try
        {
            await using (var process = await AgentProcess.StartAsync(data.Path, ["--catalog", catalog.Path]))
            {
                var started = await process.Client.PostAsync($"/api/v2/deploy/start/{Id}", null);
                Assert.Equal(HttpStatusCode.OK, started.StatusCode);
                pids = await ReadPidsAsync(Path.Combine(arts, "pids.txt"), 3);
                var deadline = DateTime.UtcNow.AddSeconds(20);
                while (!(await process.Client.GetStringAsync($"/api/v2/deploy/{Id}")).Contains($"the installer is running (pid {pids[0]})", StringComparison.Ordinal))
                {
                    Assert.True(DateTime.UtcNow < deadline, "the deploy record never showed the installer's pid");
                    await Task.Delay(50);
                }

                await process.KillAsync();
            }

            // The installer lives in its own session, so SIGKILL of the agent leaves it running, unobserved.
            Assert.All(pids, pid => Assert.True(IsAlive(pid), $"installer pid {pid} outlived the agent"));

            await using var restarted = await TestAgent.StartAsync(catalog.Path, dataDir: data.Path);
            var status = await restarted.WaitForAsync(Id, s => s.State == ReleaseState.Deploy && s.DeviceReleaseStatus == "Error");
            Assert.Contains("interrupted: the agent stopped while it ran", status.ErrMsg);
            Assert.Contains($"pid {pids[0]}", status.ErrMsg);
            Assert.Contains("start the deploy again to retry", status.ErrMsg);
            Assert.Equal("Error", (await restarted.WaitForAsync(Dependency, s => s.State == ReleaseState.Deploy)).DeviceReleaseStatus);
            await WaitUntilAsync(() => pids.All(pid => !IsAlive(pid)), "the leftover installer processes to be killed");

            await File.WriteAllTextAsync(Path.Combine(arts, "allow"), "");
            Assert.Equal(HttpStatusCode.OK, (await StartAsync(restarted, Id)).StatusCode);
            await WaitInstalledAsync(restarted, Id);
            await WaitInstalledAsync(restarted, Dependency);
        }
        finally
        {
            foreach (var pid in pids.Where(IsAlive))
            {
                try
                {
                    Process.GetProcessById(pid).Kill();
                }
                catch (ArgumentException)
                {
                }
            }
        }
    }

    [Fact]
    public async Task AgentRestart_ThirdPartyInstallWaiting_StillWaitsInDeployStart()
    {
        const string docs = "3.docs@0.9.0";
        using var catalog = new TestCatalog().Add(docs, files: new Dictionary<string, byte[]> { ["README.txt"] = "docs"u8.ToArray() }).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, docs);
        await StartAsync(agent, docs);

        await using var restarted = await agent.RestartAsync();

        var status = await restarted.WaitForAsync(docs, s => s.State == ReleaseState.Deploy);
        Assert.Equal("Start", status.DeviceReleaseStatus);
        Assert.Equal(HttpStatusCode.OK, (await ReportAsync(restarted, docs, """{"status":"Installed"}""")).StatusCode);
        await WaitInstalledAsync(restarted, docs);
    }

    [Fact]
    public async Task AgentStopsGracefullyWhileInstallerRuns_InstallerKilledAndDeployErrorRetryable()
    {
        using var catalog = new TestCatalog().Add(Id, files: Installer("""
            echo "self $$" >> pids.txt
            if [ -f allow ]; then exit 0; fi
            sleep 1000
            """), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);
        await StartAsync(agent, Id);
        var arts = ArtsDir(agent, Id);
        var pids = await ReadPidsAsync(Path.Combine(arts, "pids.txt"), 1);

        await using var restarted = await agent.RestartAsync();

        Assert.False(IsAlive(pids[0]));
        var status = await restarted.WaitForAsync(Id, s => s.DeviceReleaseStatus == "Error");
        Assert.Contains("interrupted", status.ErrMsg);
        await File.WriteAllTextAsync(Path.Combine(arts, "allow"), "");
        Assert.Equal(HttpStatusCode.OK, (await StartAsync(restarted, Id)).StatusCode);
        await WaitInstalledAsync(restarted, Id);
    }

    [Fact]
    public async Task StoppedBetweenRootInstalledAndItsDependency_Restart_DependencyRecordedInstalledWithTheRoot()
    {
        using var catalog = new TestCatalog()
            .Add(Dependency, dependedOnBy: [Id], files: Installer("touch dependency-ran"), executable: "install.sh")
            .Add(Id, files: Installer("true"), executable: "install.sh")
            .Write();
        using var data = new TempDirectory("getapp-data");
        await using (var first = await TestAgent.StartAsync(catalog.Path, dataDir: data.Path))
        {
            await DeliveredReleases.DeliverAsync(first, catalog.Path, Dependency, Id);
            // What a kill leaves between the root's transaction and its dependency's: the root installed, the dependency not.
            foreach (var action in new[] { ReleaseAction.StartDeploy, ReleaseAction.ReportInstalling, ReleaseAction.CompleteDeploy })
            {
                Assert.True((await first.Releases.MoveAsync(Id, action, null, CancellationToken.None)).Succeeded);
            }
        }

        await using var restarted = await TestAgent.StartAsync(catalog.Path, dataDir: data.Path);

        var dependency = await restarted.Releases.FindAsync(Dependency, CancellationToken.None);
        Assert.Equal(ReleaseState.Installed, dependency!.State);
        Assert.Contains($"installed as a dependency of '{Id}'", (await GetDeployAsync(restarted, Dependency)).MessageLog);
        Assert.False(File.Exists(Path.Combine(ArtsDir(restarted, Dependency), "dependency-ran")));
        // Uninstalling the root takes it along, as for any dependency installed with its root.
        Assert.Equal(HttpStatusCode.OK, (await UninstallAsync(restarted, Id)).StatusCode);
        await restarted.WaitForAsync(Id, s => s.State == ReleaseState.Uninstalled);
        Assert.Equal(ReleaseState.Uninstalled, (await restarted.Releases.FindAsync(Dependency, CancellationToken.None))!.State);
    }
}
