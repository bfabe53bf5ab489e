using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

/// <summary>Pause, resume, cancel and delete through the API, while downloading and while a retry backs off.</summary>
public class DeliveryControlTests
{
    private const string Id = "5.app@1.0.0";
    private const long Size = 4_000_000;

    private static async Task<(DeliveryScenario S, OriginFile File)> StartThrottledAsync(JsonObject? settings = null)
    {
        var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", Size, seed: 7);
        file.Faults.ThrottleBytesPerSecond = 1_000_000;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync(settings);
        await s.ControlOkAsync("start", Id);
        return (s, file);
    }

    [Fact]
    public async Task Pause_WhileDownloading_KeepsPartialBytes_ResumeContinuesFromThem()
    {
        var (s, file) = await StartThrottledAsync();
        await using var _ = s;
        await s.Agent.WaitForAsync(Id, x => x.Progress > 10);

        var paused = await s.ControlOkAsync("pause", Id);

        Assert.Equal(("Pause", ReleaseState.Delivery), (paused.DeviceReleaseStatus, paused.State));
        var kept = s.PartialBytes(Id);
        Assert.InRange(kept, 1, Size - 1);
        Assert.True(paused.Progress > 0, "progress is kept while paused");
        Assert.Equal(kept, s.PartialBytes(Id));
        file.Faults.ThrottleBytesPerSecond = null;

        Assert.Equal("InProgress", (await s.ControlOkAsync("resume", Id)).DeviceReleaseStatus);
        var done = await s.WaitDownloadedAsync(Id);

        Assert.Equal(ReleaseState.Downloaded, done.State);
        Assert.Equal(file.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(done.ArtsDirPath!, file.Name)));
        var resumed = s.Origin.RequestsFor(file.Name)[^1];
        Assert.Equal(kept, resumed.RangeStart);
        Assert.Equal(206, resumed.Status);
    }

    [Fact]
    public async Task Cancel_WhileDownloading_DiscardsPartialBytes_StartAgainBeginsFromZero()
    {
        var (s, file) = await StartThrottledAsync();
        await using var _ = s;
        await s.Agent.WaitForAsync(Id, x => x.Progress > 5);

        var cancelled = await s.ControlOkAsync("cancel", Id);

        Assert.Equal(("Cancel", ReleaseState.Delivery), (cancelled.DeviceReleaseStatus, cancelled.State));
        Assert.False(Directory.Exists(s.PartialDirOf(Id)));
        file.Faults.ThrottleBytesPerSecond = null;
        await s.ControlOkAsync("start", Id);
        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(Id)).State);
        Assert.Null(s.Origin.RequestsFor(file.Name)[^1].Range);
    }

    [Fact]
    public async Task Delete_Downloaded_RemovesFilesAndAnswersDeleted()
    {
        var (s, file) = await StartThrottledAsync();
        await using var _ = s;
        file.Faults.ThrottleBytesPerSecond = null;
        var done = await s.WaitDownloadedAsync(Id);
        Assert.True(File.Exists(Path.Combine(done.ArtsDirPath!, file.Name)));

        var deleted = await s.ControlOkAsync("delete", Id);

        Assert.Equal(ReleaseState.Deleted, deleted.State);
        Assert.Null(deleted.ArtsDirPath);
        Assert.False(Directory.Exists(done.ArtsDirPath));
        await s.ControlFailsAsync("delete", Id, 409);
    }

    [Fact]
    public async Task Control_UnknownIdOrWrongState_404Or409WithAppErrorAndNothingChanges()
    {
        var (s, file) = await StartThrottledAsync();
        await using var _ = s;

        Assert.Contains("not known", (await s.ControlFailsAsync("pause", "9.none@1.0.0", 404)).Message);
        await s.ControlFailsAsync("start", "9.none@1.0.0", 404);
        await s.ControlFailsAsync("delete", "9.none@1.0.0", 404);
        await s.ControlFailsAsync("resume", Id, 409);
        await s.ControlFailsAsync("delete", Id, 409);
        Assert.Contains("delivery start is not allowed", (await s.ControlFailsAsync("start", Id, 409)).Message);

        file.Faults.ThrottleBytesPerSecond = null;
        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(Id)).State);
        await s.ControlFailsAsync("pause", Id, 409);
        await s.ControlFailsAsync("cancel", Id, 409);
        await s.ControlFailsAsync("start", Id, 409);
        Assert.Equal(ReleaseState.Downloaded, (await s.Agent.WaitForAsync(Id, _ => true)).State);
    }

    [Fact]
    public async Task PauseResumeCancel_WhileRetryBacksOff_AnswerAtOnceAndTakeEffect()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", Size, seed: 7);
        file.Faults.FailTimes = int.MaxValue;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync(new JsonObject { ["deliveryRetryDelaySecs"] = 60, ["downloadRetryCount"] = 5 });
        await s.ControlOkAsync("start", Id);
        await WaitUntilAsync(() => s.Origin.RequestsFor(file.Name).Count == 1);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("Pause", (await s.ControlOkAsync("pause", Id)).DeviceReleaseStatus);
        Assert.Equal("InProgress", (await s.ControlOkAsync("resume", Id)).DeviceReleaseStatus);
        // The resume tries at once rather than finishing the old backoff.
        await WaitUntilAsync(() => s.Origin.RequestsFor(file.Name).Count == 2);
        var cancelled = await s.ControlOkAsync("cancel", Id);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Equal("Cancel", cancelled.DeviceReleaseStatus);
        Assert.Equal(2, s.Origin.RequestsFor(file.Name).Count);
    }

    [Fact]
    public async Task Restart_PausedDelivery_StaysPausedWithItsBytes()
    {
        var (s, file) = await StartThrottledAsync();
        await using var _ = s;
        await s.Agent.WaitForAsync(Id, x => x.Progress > 5);
        await s.ControlOkAsync("pause", Id);
        var kept = s.PartialBytes(Id);

        await s.RestartAgentAsync();
        var status = await s.Agent.WaitForAsync(Id, _ => true);

        Assert.Equal("Pause", status.DeviceReleaseStatus);
        Assert.Equal(kept, s.PartialBytes(Id));
        Assert.Single(s.Origin.RequestsFor(file.Name));
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met before the deadline");
            await Task.Delay(50);
        }
    }
}
