using System.Net;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Events.EventStreamTestKit;

namespace GetApp.Agent.IntegrationTests.Health;

public sealed class HealthApiTests
{
    [Fact]
    public async Task Live_AndReady_WhenTheDatabaseTheDataDirAndTheSpaceAreFine()
    {
        await using var agent = await TestAgent.StartAsync();

        var live = await HttpAssert.JsonAsync(await agent.Client.GetAsync("/health/live"));
        var ready = await HttpAssert.JsonAsync(await agent.Client.GetAsync("/health/ready"));

        Assert.Equal("live", live.GetProperty("status").GetString());
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal(["database", "dataDir", "diskSpace"], ready.GetProperty("checks").EnumerateObject().Select(c => c.Name));
        Assert.All(ready.GetProperty("checks").EnumerateObject(), c => Assert.True(c.Value.GetProperty("ok").GetBoolean()));
        Assert.Equal("unknown", ready.GetProperty("upstream").GetProperty("state").GetString());
        Assert.False(ready.TryGetProperty("statusCode", out _));
        Assert.Empty(Directory.EnumerateFiles(agent.DataDir, ".ready-probe-*"));
    }

    [Fact]
    public async Task Ready_DataDirGone_503NamingIt_LiveStill200_ReadyAgainWhenBack()
    {
        await using var agent = await TestAgent.StartAsync();
        var away = agent.DataDir + ".away";
        Directory.Move(agent.DataDir, away); // as when the storage holding it is unplugged
        try
        {
            var error = await HttpAssert.AppErrorAsync(await agent.Client.GetAsync("/health/ready"), HttpStatusCode.ServiceUnavailable);
            Assert.Equal("NotReady", error.GetProperty("name").GetString());
            Assert.Contains("dataDir", error.GetProperty("message").GetString());
            Assert.False(error.GetProperty("checks").GetProperty("dataDir").GetProperty("ok").GetBoolean());
            Assert.Equal(HttpStatusCode.OK, (await agent.Client.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            Directory.Move(away, agent.DataDir);
        }

        Assert.Equal("ready", Parse(await GetTextAsync(agent, "/health/ready")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_DatabaseGone_503NamingIt()
    {
        await using var agent = await TestAgent.StartAsync();
        var database = Path.Combine(agent.DataDir, "agent.db");
        var moved = database + ".away";
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Move(database, moved);
        foreach (var sidecar in (string[])["-wal", "-shm"])
        {
            if (File.Exists(database + sidecar))
            {
                File.Move(database + sidecar, moved + sidecar);
            }
        }

        Directory.CreateDirectory(database); // a folder where the file was: SQLite cannot open it
        try
        {
            var error = await HttpAssert.AppErrorAsync(await agent.Client.GetAsync("/health/ready"), HttpStatusCode.ServiceUnavailable);
            Assert.Contains("database", error.GetProperty("message").GetString());
            Assert.False(error.GetProperty("checks").GetProperty("database").GetProperty("ok").GetBoolean());
        }
        finally
        {
            Directory.Delete(database);
            File.Move(moved, database);
        }
    }
}
