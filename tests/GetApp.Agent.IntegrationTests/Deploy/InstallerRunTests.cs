using System.Net;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>The agent runs real installer scripts: success, failure, timeout, arguments, self-reported progress.</summary>
public class InstallerRunTests
{
    private const string Id = "5.tool@1.0.0";

    [Fact]
    public async Task DeployStart_InstallerExitsZero_ReleaseInstalledWithEnvironmentAndLog()
    {
        using var catalog = new TestCatalog().Add(Id, files: Installer("""
            echo "id=$GETAPP_CATALOG_ID" > env.txt
            echo "arts=$GETAPP_ARTS_DIR" >> env.txt
            echo "url=$GETAPP_AGENT_URL" >> env.txt
            echo "auth=${GETAPP_DEVICE_AUTH-unset}" >> env.txt
            echo "cwd=$(pwd)" >> env.txt
            echo "hello from the installer"
            echo "to stderr" >&2
            """), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);

        var response = await StartAsync(agent, Id);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var status = await WaitInstalledAsync(agent, Id);
        Assert.Equal("Done", status.DeviceReleaseStatus);
        Assert.Equal(100, status.Progress);
        Assert.Null(status.ErrMsg);
        var arts = ArtsDir(agent, Id);
        var env = File.ReadAllLines(Path.Combine(arts, "env.txt"));
        Assert.Contains($"id={Id}", env);
        Assert.Contains($"arts={arts}", env);
        Assert.Contains($"url={agent.BaseAddress.ToString().TrimEnd('/')}", env);
        Assert.Contains("auth=unset", env); // a loopback-only API asks for no secret, so none is handed out
        Assert.Contains($"cwd={arts}", env);

        // The message log is written just after the move to installed (a separate write): wait for it.
        var deploy = await GetDeployAsync(agent, Id);
        for (var i = 0; i < 100 && deploy.MessageLog?.Contains("exited with code 0", StringComparison.Ordinal) != true; i++)
        {
            await Task.Delay(50);
            deploy = await GetDeployAsync(agent, Id);
        }

        Assert.Equal(DeploymentStatus.Done, deploy.Status);
        Assert.Equal(DeploymentStatus.Start, deploy.RequestedStatus);
        Assert.Equal("software", deploy.Type);
        Assert.False(string.IsNullOrEmpty(deploy.DeviceId));
        Assert.NotNull(deploy.StartedAt);
        Assert.NotNull(deploy.CompletedAt);
        Assert.Contains("exited with code 0", deploy.MessageLog);
        var log = await File.ReadAllTextAsync(deploy.LogPath!);
        Assert.StartsWith(Path.Combine(agent.DataDir, "logs", "deployments"), deploy.LogPath);
        Assert.Contains("hello from the installer", log);
        Assert.Contains("to stderr", log);
    }

    [Fact]
    public async Task DeployStart_InstallerExitsThree_DeployErrorWithExitCodeAndOutputTail()
    {
        using var catalog = new TestCatalog().Add(Id, files: Installer("""
            echo "step 1 ok"
            echo "disk is full, giving up" >&2
            exit 3
            """), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Id)).StatusCode);

        var status = await WaitDeployErrorAsync(agent, Id);
        Assert.Contains("exited with code 3", status.ErrMsg);
        Assert.Contains("disk is full, giving up", status.ErrMsg);
        var deploy = await GetDeployAsync(agent, Id);
        Assert.Equal(DeploymentStatus.Error, deploy.Status);
        Assert.NotNull(deploy.StoppedAt);
        Assert.Contains("exited with code 3", deploy.MessageLog);
    }

    [Fact]
    public async Task DeployStart_InstallerOutlivesTimeout_WholeProcessTreeKilledEvenEscapedChildAndError()
    {
        // The script leaves a background child (re-parented to init once the script dies) and then hangs.
        using var catalog = new TestCatalog().Add(Id, files: Installer("""
            sleep 1000 &
            echo "child $!" >> pids.txt
            setsid sleep 1000 &
            echo "escaped $!" >> pids.txt
            echo "self $$" >> pids.txt
            sleep 1000
            """), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await SetConfigAsync(agent, """{"deployTimeoutSec": 3}""");
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Id)).StatusCode);
        var pids = await ReadPidsAsync(Path.Combine(ArtsDir(agent, Id), "pids.txt"), 3);
        Assert.All(pids, pid => Assert.True(IsAlive(pid), $"pid {pid} should run before the timeout"));

        var status = await WaitDeployErrorAsync(agent, Id);
        Assert.Contains("timed out after 3s", status.ErrMsg);
        await WaitUntilAsync(() => pids.All(pid => !IsAlive(pid)), "every process of the installer to be gone", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task DeployStart_ArgumentsWithSpacesQuotesAndShellSyntax_ReachInstallerExactly()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"pwned-{Guid.NewGuid():N}");
        var arguments = $"--mode \"full install\" 'it''s' back\\ slash \"say \\\"hi\\\"\" ; rm -rf / # $(touch {marker}) `touch {marker}` $HOME '' end";
        using var catalog = new TestCatalog().Add(Id, files: Installer("""printf '%s\n' "$#" > argc.txt; for a in "$@"; do printf '[%s]\n' "$a"; done > args.txt"""),
            executable: "install.sh", arguments: arguments).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Id)).StatusCode);
        await WaitInstalledAsync(agent, Id);

        string[] expected =
        [
            "--mode", "full install", "its", "back slash", "say \"hi\"", ";", "rm", "-rf", "/", "#",
            "$(touch", $"{marker})", "`touch", $"{marker}`", "$HOME", "", "end",
        ];
        var args = File.ReadAllLines(Path.Combine(ArtsDir(agent, Id), "args.txt"));
        Assert.Equal(expected.Select(a => $"[{a}]"), args);
        Assert.False(File.Exists(marker), "no shell may interpret the arguments");
    }

    [Fact]
    public async Task DeployStart_InstallerReportsProgressThroughAgentUrl_ProgressVisibleThenInstalled()
    {
        using var catalog = new TestCatalog().Add(Id, files: Installer("""
            curl -sS -f -X PUT -H 'Content-Type: application/json' \
              -d '{"status":"Running","progress":40,"messageLog":"copying files","estimateTime":12}' \
              "$GETAPP_AGENT_URL/api/v2/deploy/$GETAPP_CATALOG_ID" > put-answer.json || exit 9
            while [ ! -f go ]; do sleep 0.05; done
            """), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Id)).StatusCode);

        var installing = await agent.WaitForAsync(Id, s => s.DeviceReleaseStatus == "Installing" && s.Progress == 40);
        Assert.Equal(ReleaseState.Deploy, installing.State);
        Assert.Equal(12, installing.Eta);
        var deploy = await GetDeployAsync(agent, Id);
        Assert.Equal(40, deploy.Progress);
        Assert.Equal("copying files", deploy.MessageLog);
        Assert.Equal(DeploymentStatus.Installing, deploy.Status);

        await File.WriteAllTextAsync(Path.Combine(ArtsDir(agent, Id), "go"), "");
        await WaitInstalledAsync(agent, Id);
        Assert.Contains("\"progress\":40", await File.ReadAllTextAsync(Path.Combine(ArtsDir(agent, Id), "put-answer.json")));
    }

    [Fact]
    public async Task DeployStart_AgentBoundBeyondLoopback_InstallerReportsWithTheDeviceAuthItWasGiven()
    {
        using var catalog = new TestCatalog().Add(Id, files: Installer("""
            curl -sS -f -X PUT -H 'Content-Type: application/json' -H "Device-Auth: $GETAPP_DEVICE_AUTH" \
              -d '{"status":"Running","progress":40,"messageLog":"copying files"}' \
              "$GETAPP_AGENT_URL/api/v2/deploy/$GETAPP_CATALOG_ID" > put-answer.json || exit 9
            """), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path, configure: o => o with { Urls = ["http://0.0.0.0:0"], DeviceSecret = "s3cret" });
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Id)).StatusCode);

        await WaitInstalledAsync(agent, Id);
        Assert.Contains("\"progress\":40", await File.ReadAllTextAsync(Path.Combine(ArtsDir(agent, Id), "put-answer.json")));
    }

    [Fact]
    public async Task DeployStart_InstallerWithoutShebang_ErrorSaysWhyAndNothingRuns()
    {
        using var catalog = new TestCatalog().Add(Id, files: new Dictionary<string, byte[]> { ["install.sh"] = "touch ran.txt\n"u8.ToArray() },
            executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Id)).StatusCode);

        var status = await WaitDeployErrorAsync(agent, Id);
        Assert.Contains("neither a native executable nor a script with a #! line", status.ErrMsg);
        Assert.False(File.Exists(Path.Combine(ArtsDir(agent, Id), "ran.txt")));
    }

    [Fact]
    public async Task DeployReport_CancelledWhileAgentRunsInstaller_ProcessGroupKilledAndCancelledRetryable()
    {
        using var catalog = new TestCatalog().Add(Id, files: Installer("""
            echo "self $$" >> pids.txt
            if [ -f allow ]; then exit 0; fi
            sleep 1000
            """), executable: "install.sh").Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);
        await StartAsync(agent, Id);
        var pids = await ReadPidsAsync(Path.Combine(ArtsDir(agent, Id), "pids.txt"), 1);

        var response = await ReportAsync(agent, Id, """{"status":"Cancelled","messageLog":"operator abort"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = await agent.WaitForAsync(Id, s => s.DeviceReleaseStatus == "Cancelled");
        Assert.Equal("operator abort", status.ErrMsg);
        Assert.False(IsAlive(pids[0]));
        await File.WriteAllTextAsync(Path.Combine(ArtsDir(agent, Id), "allow"), "");
        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Id)).StatusCode);
        await WaitInstalledAsync(agent, Id);
    }
}
