using System.Net;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>A release without an executable artifact waits in deploy/Start for its own installer to report.</summary>
public class ThirdPartyInstallerTests
{
    private const string Id = "3.docs@0.9.0";
    private const string Dependency = "4.fonts@1.0.0";

    private static TestCatalog Catalog() => new TestCatalog()
        .Add(Dependency, dependedOnBy: [Id], files: new Dictionary<string, byte[]> { ["fonts.tar"] = "fonts"u8.ToArray() })
        .Add(Id, files: new Dictionary<string, byte[]> { ["README.txt"] = "docs"u8.ToArray() })
        .Write();

    [Fact]
    public async Task DeployReport_RunningThenInstalled_WaitsInStartShowsProgressThenInstallsWithDependency()
    {
        using var catalog = Catalog();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Id);

        var started = await StartAsync(agent, Id);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        var waiting = await agent.WaitForAsync(Id, s => s.State == ReleaseState.Deploy);
        Assert.Equal("Start", waiting.DeviceReleaseStatus);
        Assert.Equal(ReleaseState.Downloaded, (await agent.Releases.FindAsync(Dependency, CancellationToken.None))!.State);

        var running = await ReportAsync(agent, Id, """{"status":"Running","progress":30,"messageLog":"unpacking","estimateTime":20,"eventTime":"2026-03-12T10:00:00Z"}""");
        Assert.Equal(HttpStatusCode.OK, running.StatusCode);
        var body = await running.Content.ReadAsStringAsync();
        foreach (var field in new[] { "catalogId", "deviceId", "status", "requestedStatus", "progress", "eta", "messageLog", "startedAt", "stoppedAt", "completedAt", "currentTime", "type" })
        {
            Assert.Contains($"\"{field}\":", body);
        }

        var installing = await agent.WaitForAsync(Id, s => s.DeviceReleaseStatus == "Installing");
        Assert.Equal(30, installing.Progress);
        var deploy = await GetDeployAsync(agent, Id);
        Assert.Equal((DeploymentStatus.Installing, 30, "unpacking", 20L), (deploy.Status!.Value, deploy.Progress!.Value, deploy.MessageLog!, deploy.Eta!.Value));

        Assert.Equal(HttpStatusCode.OK, (await ReportAsync(agent, Id, """{"status":"Installed","messageLog":"all good"}""")).StatusCode);
        await WaitInstalledAsync(agent, Id);
        await WaitInstalledAsync(agent, Dependency);
        var done = await GetDeployAsync(agent, Id);
        Assert.Equal(DeploymentStatus.Done, done.Status);
        Assert.Equal(100, done.Progress);
        Assert.Equal("all good", done.MessageLog);
        Assert.NotNull(done.CompletedAt);
    }

    [Fact]
    public async Task DeployReport_Failed_DeployErrorWithMessageLogThenRetryAllowed()
    {
        using var catalog = Catalog();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Id);
        await StartAsync(agent, Id);

        Assert.Equal(HttpStatusCode.OK, (await ReportAsync(agent, Id, """{"status":"Failed","messageLog":"license check failed"}""")).StatusCode);

        var root = await WaitDeployErrorAsync(agent, Id);
        Assert.Equal("license check failed", root.ErrMsg);
        Assert.Contains("license check failed", (await WaitDeployErrorAsync(agent, Dependency)).ErrMsg);
        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Id)).StatusCode);
        Assert.Equal("Start", (await agent.WaitForAsync(Id, s => s.State == ReleaseState.Deploy)).DeviceReleaseStatus);
    }

    [Fact]
    public async Task DeployReport_CancelledThenStartAgain_CancelledIsRetryable()
    {
        using var catalog = Catalog();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Id);
        await StartAsync(agent, Id);

        Assert.Equal(HttpStatusCode.OK, (await ReportAsync(agent, Id, """{"status":"Cancelled","messageLog":"user aborted"}""")).StatusCode);

        Assert.Equal("Cancelled", (await agent.WaitForAsync(Id, s => s.DeviceReleaseStatus == "Cancelled")).DeviceReleaseStatus);
        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Id)).StatusCode);
    }

    [Theory]
    [InlineData("""{"status":"Installing","progress":150}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"status":"Installing","progress":-1}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"status":"Bogus"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"status":"Uninstall"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"status":"Installing","progress":"lots"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"status":""", HttpStatusCode.BadRequest)]
    [InlineData("""[]""", HttpStatusCode.BadRequest)]
    [InlineData("""{}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"status":"Continue"}""", HttpStatusCode.Conflict)]
    public async Task DeployReport_InvalidBody_AppErrorAndNothingChanged(string body, HttpStatusCode expected)
    {
        using var catalog = Catalog();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Id);
        await StartAsync(agent, Id);
        await ReportAsync(agent, Id, """{"status":"Installing","progress":10,"messageLog":"before"}""");

        var response = await ReportAsync(agent, Id, body);

        Assert.Equal(expected, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal((int)expected, error.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        var deploy = await GetDeployAsync(agent, Id);
        Assert.Equal((DeploymentStatus.Installing, 10, "before"), (deploy.Status!.Value, deploy.Progress!.Value, deploy.MessageLog!));
    }

    [Fact]
    public async Task DeployReport_ReleaseNotInDeployOrUnknown_409And404()
    {
        using var catalog = Catalog();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Dependency, Id);

        var notInDeploy = await ReportAsync(agent, Id, """{"status":"Done"}""");
        var unknown = await ReportAsync(agent, "9.none@1.0.0", """{"status":"Done"}""");

        Assert.Equal(HttpStatusCode.Conflict, notInDeploy.StatusCode);
        Assert.Contains("downloaded", (await ErrorOf(notInDeploy)).Message);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(ReleaseState.Downloaded, (await agent.Releases.FindAsync(Id, CancellationToken.None))!.State);
    }
}
