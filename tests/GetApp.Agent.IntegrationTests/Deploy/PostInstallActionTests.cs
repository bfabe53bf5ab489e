using System.Text.Json.Nodes;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary><c>metadata.postInstallAction</c>: EXE runs after Done under the installer's rules, WEB is recorded on the deploy record.</summary>
public class PostInstallActionTests
{
    private const string Id = "5.tool@1.0.0";

    [Fact]
    public async Task InstallDone_ExePostInstallAction_RunsAndOutcomeOnDeployRecord()
    {
        using var catalog = new TestCatalog().Add(Id, files: new Dictionary<string, byte[]>
        {
            ["install.sh"] = Script("true"),
            ["welcome.sh"] = Script("echo \"post $GETAPP_CATALOG_ID\" > post-ran.txt"),
        }, executable: "install.sh", metadata: new JsonObject { ["postInstallAction"] = new JsonObject { ["type"] = "EXE", ["exePath"] = "welcome.sh" } }).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);

        await StartAsync(agent, Id);
        await WaitInstalledAsync(agent, Id);
        await WhenIdleAsync(agent);

        Assert.Equal($"post {Id}", File.ReadAllText(Path.Combine(ArtsDir(agent, Id), "post-ran.txt")).Trim());
        var action = (await GetDeployAsync(agent, Id)).PostInstallAction!;
        Assert.Equal(("EXE", "Done", 0), (action["type"]!.GetValue<string>(), action["status"]!.GetValue<string>(), action["exitCode"]!.GetValue<int>()));
    }

    [Fact]
    public async Task InstallDone_ExePathOutsideArtsDir_NotRunAndErrorRecorded()
    {
        using var catalog = new TestCatalog().Add(Id, files: Installer("true"), executable: "install.sh",
            metadata: new JsonObject { ["postInstallAction"] = new JsonObject { ["type"] = "EXE", ["exePath"] = "../../../x.sh" } }).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);

        await StartAsync(agent, Id);
        await WaitInstalledAsync(agent, Id);
        await WhenIdleAsync(agent);

        var action = (await GetDeployAsync(agent, Id)).PostInstallAction!;
        Assert.Equal("Error", action["status"]!.GetValue<string>());
        Assert.Contains("outside", action["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task InstallDone_WebPostInstallAction_RecordedWithUrlOnDeployRecord()
    {
        using var catalog = new TestCatalog().Add(Id, files: new Dictionary<string, byte[]> { ["README.txt"] = "r"u8.ToArray() },
            metadata: new JsonObject { ["postInstallAction"] = new JsonObject { ["type"] = "WEB", ["url"] = "http://127.0.0.1:8080/welcome" } }).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);
        await StartAsync(agent, Id);

        await ReportAsync(agent, Id, """{"status":"Done"}""");
        await WhenIdleAsync(agent);

        var action = (await GetDeployAsync(agent, Id)).PostInstallAction!;
        Assert.Equal(("WEB", "http://127.0.0.1:8080/welcome", "recorded"), (action["type"]!.GetValue<string>(), action["url"]!.GetValue<string>(), action["status"]!.GetValue<string>()));
    }
}
