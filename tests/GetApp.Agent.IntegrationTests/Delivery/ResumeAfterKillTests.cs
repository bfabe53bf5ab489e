using System.Net.Http.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace GetApp.Agent.IntegrationTests.Delivery;

public class ResumeAfterKillTests(ITestOutputHelper output)
{
    private const string Id = "8.big@1.0.0";
    private const long Size = 200L * 1024 * 1024;

    [Fact]
    public async Task Kill9_AtHalfOf200MB_RestartResumesFromBytesOnDiskAndServesAtMost105Percent()
    {
        await using var origin = await TestOrigin.StartAsync();
        using var catalog = new TestCatalog();
        using var data = new TempDirectory("getapp-kill");
        var file = origin.AddFile("big.bin", Size, seed: 11);
        // Slow enough that the agent keeps up, so little is in flight in socket buffers when it dies.
        file.Faults.ThrottleBytesPerSecond = 25L * 1024 * 1024;
        catalog.AddRaw(CatalogEntries.Http(Id, file, isPush: true)).Write();
        var partial = Path.Combine(data.Path, "partial", FileSafeName.From(Id), "big.bin.part");

        long onDisk;
        await using (var first = await AgentProcess.StartAsync(data.Path, ["--catalog", catalog.Path]))
        {
            await WaitForAsync(first, s => s.Progress >= 50, TimeSpan.FromSeconds(60));
            await first.KillAsync();
            onDisk = new FileInfo(partial).Length;
        }

        Assert.InRange(onDisk, Size / 3, Size - 1);
        file.Faults.ThrottleBytesPerSecond = null;
        await using (var second = await AgentProcess.StartAsync(data.Path, ["--catalog", catalog.Path]))
        {
            var done = await WaitForAsync(second, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(90));
            Assert.True(done.State == ReleaseState.Downloaded, done.ErrMsg);
            Assert.Equal(file.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(done.ArtsDirPath!, file.Name)));
        }

        var requests = origin.RequestsFor(file.Name);
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1].RangeStart >= onDisk, $"resumed at {requests[1].RangeStart}, {onDisk} bytes were on disk");
        Assert.Equal(206, requests[1].Status);
        var served = origin.BytesServed(file.Name);
        output.WriteLine($"killed with {onDisk} bytes on disk; resumed at {requests[1].RangeStart}; served {served} bytes in total ({(double)served / Size:P1} of {Size})");
        Assert.True(served <= Size * 1.05, $"served {served} bytes for a {Size}-byte artifact");
    }

    private static async Task<DeviceReleaseStatusDto> WaitForAsync(AgentProcess agent, Func<DeviceReleaseStatusDto, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        DeviceReleaseStatusDto? last = null;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await agent.Client.GetAsync($"/api/v2/device/releases/{Uri.EscapeDataString(Id)}");
            if (response.IsSuccessStatusCode)
            {
                last = await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.DeviceReleaseStatusDto);
                if (last is not null && until(last))
                {
                    return last;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"last seen: {last?.State}/{last?.DeviceReleaseStatus} {last?.Progress}% {last?.ErrMsg}\n{agent.Output}");
    }
}
