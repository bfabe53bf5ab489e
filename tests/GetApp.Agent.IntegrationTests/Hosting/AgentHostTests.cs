using System.Net;
using System.Text;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Hosting;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace GetApp.Agent.IntegrationTests.Hosting;

public class AgentHostTests
{
    [Fact]
    public async Task Start_DataDirThatCannotBeWritten_FailsWithAClearMessage()
    {
        using var temp = new TempDirectory();
        var file = temp.Combine("not-a-dir");
        await File.WriteAllTextAsync(file, "x");

        var e = await Assert.ThrowsAsync<StoreException>(() => TestAgent.StartAsync(dataDir: Path.Combine(file, "data")));

        Assert.Contains("cannot be written", e.Message);
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public async Task Start_SecondAgentOnTheSameDataDir_IsRefused()
    {
        using var temp = new TempDirectory();
        await using var first = await TestAgent.StartAsync(dataDir: temp.Path);

        var e = await Assert.ThrowsAsync<StoreException>(() => TestAgent.StartAsync(dataDir: temp.Path));

        Assert.Contains("in use by another agent", e.Message);
    }

    [Fact]
    public async Task Start_DatabaseFromANewerSchema_IsRefusedAndLeftAlone()
    {
        using var temp = new TempDirectory();
        await using (var agent = await TestAgent.StartAsync(dataDir: temp.Path))
        {
        }

        // Simulate a newer agent having written the file (the only SQL a test writes: it plays the other binary).
        await using (var connection = new SqliteConnection($"Data Source={temp.Combine(AgentDatabase.FileName)};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99;";
            await command.ExecuteNonQueryAsync();
        }

        var e = await Assert.ThrowsAsync<StoreException>(() => TestAgent.StartAsync(dataDir: temp.Path));

        Assert.Contains("schema version 99", e.Message);
        Assert.Contains($"knows schema version {SchemaMigrator.CurrentVersion}", e.Message);
    }

    [Fact]
    public void Build_NonLoopbackBindWithoutSecret_IsRefused()
    {
        var e = Assert.Throws<InvalidOperationException>(() => AgentHost.Build(new AgentOptions { Urls = ["http://0.0.0.0:0"], DataDir = "unused" }));
        Assert.Contains("without a device secret", e.Message);
    }

    [Fact]
    public async Task NonLoopbackBindWithSecret_RequiresDeviceAuthOnEveryRequest()
    {
        await using var agent = await TestAgent.StartAsync(configure: o => o with { Urls = ["http://0.0.0.0:0"], DeviceSecret = "s3cret" });
        var url = $"http://127.0.0.1:{agent.BaseAddress.Port}/api/v2/device/releases";
        using var client = new HttpClient();

        await HttpAssert.AppErrorAsync(await client.GetAsync(url), HttpStatusCode.Unauthorized);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { { "Device-Auth", "nope" } } };
        await HttpAssert.AppErrorAsync(await client.SendAsync(wrong), HttpStatusCode.Unauthorized);
        using var right = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { { "Device-Auth", "s3cret" } } };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(right)).StatusCode);
    }

    [Fact]
    public void Resolve_CommandLineBeatsEnvironmentBeatsAppSettings()
    {
        var appSettings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agent:DataDir"] = "from-appsettings",
            ["Agent:Catalog"] = "catalog-from-appsettings",
            ["Agent:Urls"] = "http://127.0.0.1:1111",
        }).Build();
        var env = new Dictionary<string, string> { ["DATA_PATH"] = "from-env", ["GATEWAY_PORT"] = "2223", ["BASE_URL"] = "http://a:3000,http://b:3000" };

        var fromEnv = AgentOptionsResolver.Resolve(new CommandLineValues(null, null, null, null, null), k => env.GetValueOrDefault(k), appSettings);
        var fromCli = AgentOptionsResolver.Resolve(new CommandLineValues("http://127.0.0.1:5000", "from-cli", null, ["http://c"], null), k => env.GetValueOrDefault(k), appSettings);
        var defaults = AgentOptionsResolver.Resolve(new CommandLineValues(null, null, null, null, null), _ => null, new ConfigurationBuilder().Build());

        Assert.Equal("from-env", fromEnv.DataDir);
        Assert.Equal(["http://127.0.0.1:2223"], fromEnv.Urls);
        Assert.Equal(["http://a:3000", "http://b:3000"], fromEnv.UpstreamUrls);
        Assert.Equal("catalog-from-appsettings", fromEnv.CatalogDir);
        Assert.Equal("from-cli", fromCli.DataDir);
        Assert.Equal(["http://127.0.0.1:5000"], fromCli.Urls);
        Assert.Equal(["http://c"], fromCli.UpstreamUrls);
        Assert.Equal("getapp-data", defaults.DataDir);
        Assert.Equal(["http://127.0.0.1:2220"], defaults.Urls);
    }

    [Fact]
    public async Task ChildProcess_StopsCleanlyOnSigterm()
    {
        using var data = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(data.Path, ["--catalog", RepoPaths.SampleCatalog]);
        Assert.Equal(HttpStatusCode.OK, (await agent.Client.GetAsync("/api/v2/device/offering")).StatusCode);

        var exitCode = await agent.TerminateAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, exitCode);
        Assert.Contains("GetApp agent listening on", agent.Output);
    }
}
