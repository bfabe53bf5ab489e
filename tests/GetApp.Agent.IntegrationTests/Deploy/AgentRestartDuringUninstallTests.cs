using System.Diagnostics;
using System.Net;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>The agent is killed (SIGKILL) while an uninstaller runs: on restart it is found, killed, explained, and can be run again.</summary>
public class AgentRestartDuringUninstallTests
{
    private const string App = "1.app@1.0.0";

    [Fact]
    public async Task AgentKilledWhileUninstallerRuns_Restart_LeftoversKilledRecordExplainsAndUninstallAgainWorks()
    {
        using var catalog = new TestCatalog().Add(App, files: new Dictionary<string, byte[]>
        {
            ["install.sh"] = Script("true"),
            ["uninstall.sh"] = Script("""
                echo "ran" >> runs.txt
                echo "self $$" >> pids.txt
                setsid sleep 1000 &
                echo "escaped $!" >> pids.txt
                if [ -f allow ]; then exit 0; fi
                sleep 1000
                """),
        }, executable: "install.sh").Write();
        using var data = new TempDirectory("getapp-data");
        string arts;
        await using (var first = await TestAgent.StartAsync(catalog.Path, dataDir: data.Path))
        {
            await DeliveredReleases.DeliverAsync(first, catalog.Path, App);
            await StartAsync(first, App);
            await WaitInstalledAsync(first, App);
            arts = ArtsDir(first, App);
        }

        int[] pids = [];
        try
        {
            await using (var process = await AgentProcess.StartAsync(data.Path, ["--catalog", catalog.Path]))
            {
                // The request waits for the uninstaller, which never ends: it is left running.
                var uninstall = process.Client.PostAsync($"/api/v2/deploy/uninstall/{App}", null);
                pids = await ReadPidsAsync(Path.Combine(arts, "pids.txt"), 2);
                var deadline = DateTime.UtcNow.AddSeconds(20);
                while (!(await process.Client.GetStringAsync($"/api/v2/deploy/{App}")).Contains($"the uninstaller is running (pid {pids[0]})", StringComparison.Ordinal))
                {
                    Assert.True(DateTime.UtcNow < deadline, "the deploy record never showed the uninstaller's pid");
                    await Task.Delay(50);
                }

                await process.KillAsync();
                await Assert.ThrowsAnyAsync<Exception>(() => uninstall);
            }

            Assert.All(pids, pid => Assert.True(IsAlive(pid), $"uninstaller pid {pid} outlived the agent"));

            await using var restarted = await TestAgent.StartAsync(catalog.Path, dataDir: data.Path);

            // Found and killed before the API answered: a second uninstall cannot run beside it.
            await WaitUntilAsync(() => pids.All(pid => !IsAlive(pid)), "the leftover uninstaller processes to be killed");
            var deploy = await GetDeployAsync(restarted, App);
            Assert.Contains("the uninstaller was interrupted", deploy.MessageLog);
            Assert.Contains($"pid {pids[0]}", deploy.MessageLog);
            Assert.Contains("uninstall it again to retry", deploy.MessageLog);
            Assert.Equal(ReleaseState.Installed, (await restarted.WaitForAsync(App, _ => true)).State);

            await File.WriteAllTextAsync(Path.Combine(arts, "allow"), "");
            Assert.Equal(HttpStatusCode.OK, (await UninstallAsync(restarted, App)).StatusCode);
            Assert.Equal(ReleaseState.Uninstalled, (await restarted.WaitForAsync(App, s => s.State == ReleaseState.Uninstalled)).State);
            Assert.Equal(2, File.ReadAllLines(Path.Combine(arts, "runs.txt")).Length);
            Assert.DoesNotContain("interrupted", (await GetDeployAsync(restarted, App)).MessageLog);

            // Nothing is left to recover at the next start.
            await using var again = await restarted.RestartAsync();
            Assert.Contains("uninstaller exited with code 0", (await GetDeployAsync(again, App)).MessageLog);
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
}
