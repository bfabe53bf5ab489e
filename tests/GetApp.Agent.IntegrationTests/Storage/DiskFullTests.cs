using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.IntegrationTests.Delivery;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.IntegrationTests.Storage;

/// <summary>
/// A full data dir on a real (small tmpfs) disk: the agent always records what happened, answers changes with 507 while
/// full, and comes back by itself once space is freed.
/// </summary>
public class DiskFullTests
{
    private const string Id = "5.app@1.0.0";
    // Small enough that what a stopped attempt gives back (the room it reserved for the rest of the file, up to 6 MB once 4 MB
    // are in) and the 8 MiB reserve together stay below the 16 MiB that count as "space is back": the disk the scenario
    // keeps full stays full until the test frees it.
    private const long Size = 10_000_000;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [SmallDiskFact]
    public async Task DiskFilledDuringADownload_FailureRecorded_ChangesAnswer507_AndDeliveryResumesByItselfWhenSpaceReturns()
    {
        using var disk = SmallDisk.Mount(48L * 1024 * 1024);
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", Size, seed: 7);
        file.Faults.ThrottleBytesPerSecond = 4_000_000;
        // After 4 MB the origin goes quiet; the agent gives up on the stall after stallTimeoutSecs and tries again.
        file.Faults.StallAfterBytes = 4_000_000;
        file.Faults.StallTimes = 1;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        var agent = await s.StartAgentAsync(new JsonObject { ["deliveryRetryDelaySecs"] = 0, ["downloadRetryCount"] = 5, ["stallTimeoutSecs"] = 10 },
            configure: o => o with { DataDir = Path.Combine(disk.Path, "data") });

        await s.ControlOkAsync("start", Id);
        // The origin has sent the 4 MB and goes quiet. Not the partial file's length: the agent may hold the last few KiB it
        // received until the stall ends the attempt, and the disk must be full well before the retry that follows.
        await DeliveryControlTests.WaitUntilAsync(() => s.Origin.RequestsFor(file.Name).Sum(r => r.BytesSent) >= 4_000_000);
        disk.Fill();

        // The agent sees it (within 2 s) and refuses changes with a 507 that says why; reads still answer.
        var refused = await UntilAsync(() => agent.Client.PutAsync("/api/v2/agent/configs", Json("""{"stallTimeoutSecs":10}""")),
            r => r.StatusCode == HttpStatusCode.InsufficientStorage, TimeSpan.FromSeconds(15));
        var error = await HttpAssert.AppErrorAsync(refused, HttpStatusCode.InsufficientStorage);
        // The agent gave its reserve back: someone else takes that room too (the disk stays full even once the stalled
        // attempt gives back the room it reserved for the rest of the file).
        disk.Fill();
        Assert.Equal("InsufficientStorage", error.GetProperty("name").GetString());
        Assert.Contains("disk is full", error.GetProperty("message").GetString());
        await HttpAssert.AppErrorAsync(await agent.Client.PostAsync("/api/v2/triggers/discover-component", null), HttpStatusCode.InsufficientStorage);
        Assert.Equal(HttpStatusCode.OK, (await agent.Client.GetAsync("/api/v2/agent/configs")).StatusCode);

        // The stalled attempt ends; the next one does not start on a full disk, and the failure is recorded.
        var failed = await s.Agent.WaitForAsync(Id, x => x.DeviceReleaseStatus != "InProgress", TimeSpan.FromSeconds(40));
        Assert.Equal("Error", failed.DeviceReleaseStatus);
        Assert.Contains("the disk is full", failed.ErrMsg);
        Assert.Contains("starts again by itself", failed.ErrMsg);
        var kept = s.PartialBytes(Id);
        Assert.InRange(kept, 4_000_000, Size - 1);

        // Space returns: changes are accepted again and the delivery goes on from the bytes it kept, by itself.
        file.Faults.ThrottleBytesPerSecond = null;
        disk.FreeFiller();
        await UntilAsync(() => agent.Client.PutAsync("/api/v2/agent/configs", Json("""{"stallTimeoutSecs":10}""")), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(20));
        var done = await s.Agent.WaitForAsync(Id, x => x.State == ReleaseState.Downloaded || x.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
        Assert.True(done.State == ReleaseState.Downloaded, $"{done.DeviceReleaseStatus}: {done.ErrMsg}");
        Assert.Equal(file.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(done.ArtsDirPath!, file.Name)));
        Assert.Equal(kept, s.Origin.RequestsFor(file.Name)[^1].RangeStart);
        await s.Agent.DisposeAsync();
    }

    /// <summary>Sends until the answer is the one awaited (or the time is up: the last answer is returned for the assertion).</summary>
    private static async Task<HttpResponseMessage> UntilAsync(Func<Task<HttpResponseMessage>> send, Func<HttpResponseMessage, bool> awaited, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var response = await send();
            if (awaited(response) || DateTime.UtcNow > deadline)
            {
                return response;
            }

            await Task.Delay(200);
        }
    }

    [SmallDiskFact]
    public async Task Start_ReserveIsMadeInTheDataDir()
    {
        using var disk = SmallDisk.Mount(32L * 1024 * 1024);
        await using (var agent = await TestAgent.StartAsync(dataDir: Path.Combine(disk.Path, "data")))
        {
            var reserve = new FileInfo(Path.Combine(disk.Path, "data", DiskSpace.ReserveFileName));
            await DeliveryControlTests.WaitUntilAsync(() => { reserve.Refresh(); return reserve.Exists && reserve.Length == DiskSpace.ReserveBytes; });
            Assert.False(agent.Get<DiskSpace>().IsFull);
        }
    }

    [SmallDiskFact]
    public async Task DiskFull_CancelStillAnswersAndGivesTheSpaceBack()
    {
        using var disk = SmallDisk.Mount(48L * 1024 * 1024);
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", Size, seed: 7);
        file.Faults.ThrottleBytesPerSecond = 2_000_000;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        var agent = await s.StartAgentAsync(configure: o => o with { DataDir = Path.Combine(disk.Path, "data") });
        await s.ControlOkAsync("start", Id);
        await DeliveryControlTests.WaitUntilAsync(() => s.PartialBytes(Id) >= 1_000_000);
        disk.Fill();
        await DeliveryControlTests.WaitUntilAsync(() => agent.Get<DiskSpace>().IsFull);

        var cancelled = await s.ControlOkAsync("cancel", Id);

        Assert.Equal("Cancel", cancelled.DeviceReleaseStatus);
        Assert.False(Directory.Exists(s.PartialDirOf(Id)));
        await s.Agent.DisposeAsync();
    }

    [SmallDiskFact]
    public async Task Store_DiskCompletelyFull_ReserveGivenBackAndTheWriteGoesThrough_ThenNoMoreRoom()
    {
        using var disk = SmallDisk.Mount(32L * 1024 * 1024);
        var database = new AgentDatabase(disk.Path);
        try
        {
            await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
            database.Space.Check();
            Assert.True(File.Exists(database.Space.ReservePath));
            disk.Fill();

            // Far more than any page the WAL already holds: it must grow, on a disk with no byte left.
            var big = new string('x', 2 * 1024 * 1024);
            await database.WriteAsync((connection, transaction, ct) => InsertAsync(connection, transaction, "probe", big, ct), CancellationToken.None);

            Assert.True(database.Space.IsFull);
            Assert.Equal(DiskSpace.ReserveBytes / 2, new FileInfo(database.Space.ReservePath).Length);
            // Someone else takes the room given back; the agent's next write still finds the other half.
            disk.Fill();
            await database.WriteAsync((connection, transaction, ct) => InsertAsync(connection, transaction, "probe1", big, ct), CancellationToken.None);
            Assert.False(File.Exists(database.Space.ReservePath));
            // The reserve is spent: a further such write has no room, and says so as a full disk.
            var e = await Assert.ThrowsAsync<SqliteException>(() =>
                database.WriteAsync((connection, transaction, ct) => InsertAsync(connection, transaction, "probe2", big + big + big + big, ct), CancellationToken.None));
            Assert.True(DiskSpace.IsDiskFull(e));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    [SmallDiskFact]
    public async Task Store_DiskFilledBySomeoneElse_ReserveKeptUntilTheAgentsOwnWriteNeedsIt_SoTheFailureIsStillRecorded()
    {
        using var disk = SmallDisk.Mount(32L * 1024 * 1024);
        var database = new AgentDatabase(disk.Path);
        try
        {
            await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
            database.Space.Check();
            disk.Fill();

            // The monitor's look finds the disk full: changes are refused from now on, but the reserve is not handed to
            // whatever filled the disk, which goes on taking every byte it can.
            database.Space.Check();
            Assert.True(database.Space.IsFull);
            Assert.True(File.Exists(database.Space.ReservePath));
            disk.Fill();

            // The agent's own write (a failure to record) still finds the room it needs.
            var big = new string('x', 2 * 1024 * 1024);
            await database.WriteAsync((connection, transaction, ct) => InsertAsync(connection, transaction, "probe", big, ct), CancellationToken.None);
            Assert.Equal(DiskSpace.ReserveBytes / 2, new FileInfo(database.Space.ReservePath).Length);

            // Space freed: the reserve is made again and the full state ends.
            disk.FreeFiller();
            database.Space.Check();
            Assert.False(database.Space.IsFull);
            Assert.True(File.Exists(database.Space.ReservePath));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    private static async Task<int> InsertAsync(SqliteConnection connection, SqliteTransaction transaction, string key, string value, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO settings (key, value) VALUES ($k, $v);";
        command.Parameters.AddWithValue("$k", key);
        command.Parameters.AddWithValue("$v", value);
        return await command.ExecuteNonQueryAsync(ct);
    }
}
