using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

public class DeliveryQueueTests
{
    private const string First = "1.first@1.0.0";
    private const string Second = "2.second@1.0.0";

    private static async Task<DeliveryScenario> TwoThrottledReleasesAsync(int maxParallel)
    {
        var s = await DeliveryScenario.CreateAsync();
        var first = s.Origin.AddFile("first.bin", 2_000_000, seed: 1);
        var second = s.Origin.AddFile("second.bin", 2_000_000, seed: 2);
        first.Faults.ThrottleBytesPerSecond = second.Faults.ThrottleBytesPerSecond = 1_000_000;
        s.Catalog.AddRaw(CatalogEntries.Http(First, first)).AddRaw(CatalogEntries.Http(Second, second));
        await s.StartAgentAsync(new JsonObject { ["maxParallelDeliveries"] = maxParallel, ["deliveryRetryDelaySecs"] = 0 });
        await s.ControlOkAsync("start", First);
        await s.ControlOkAsync("start", Second);
        return s;
    }

    [Fact]
    public async Task Queue_OneWorker_SecondReleaseWaitsInPrepareUntilTheFirstIsDone()
    {
        await using var s = await TwoThrottledReleasesAsync(maxParallel: 1);
        await s.Agent.WaitForAsync(First, x => x.Progress > 10);

        var waiting = await s.Agent.WaitForAsync(Second, _ => true);
        Assert.Equal((DeliveryState.Prepare, "Start"), (waiting.DeliveryState!.Value, waiting.DeviceReleaseStatus));
        Assert.Empty(s.Origin.RequestsFor("second.bin"));

        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(Second)).State);
        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(First)).State);
    }

    [Fact]
    public async Task Queue_TwoWorkers_BothReleasesDownloadAtOnce()
    {
        await using var s = await TwoThrottledReleasesAsync(maxParallel: 2);

        // At some moment both are downloading (with one worker that never happens: see the test above).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var first = await s.Agent.WaitForAsync(First, _ => true);
            var second = await s.Agent.WaitForAsync(Second, _ => true);
            if (first is { DeviceReleaseStatus: "InProgress", Progress: > 0 } && second is { DeviceReleaseStatus: "InProgress", Progress: > 0 })
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the two deliveries never ran at the same time");
            await Task.Delay(50);
        }

        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(First)).State);
        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(Second)).State);
    }

    [Fact]
    public async Task AutoTrigger_Enabled_OfferedReleaseDeliveredWithoutAStart()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("first.bin", 100_000, seed: 1);
        s.Catalog.AddRaw(CatalogEntries.Http(First, file));
        await s.StartAgentAsync();
        using (var offered = await s.Agent.Client.GetAsync($"/api/v2/device/releases/{First}"))
        {
            Assert.Equal(404, (int)offered.StatusCode);
        }

        await s.ConfigureAsync(new JsonObject { ["deliveryAutoTrigger"] = true });

        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(First)).State);
    }
}
