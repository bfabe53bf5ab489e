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

    /// <summary>
    /// kill -9 at half of a 200 MB download: the restart resumes at exactly the bytes on disk, and the origin serves at most
    /// 105 % of the size. Bytes sitting in the kernel's socket queues when the agent died (sent by the origin, never read by
    /// the agent: up to ~10 MB on loopback) are counted apart, as the chaos suite counts them: the agent could not have kept
    /// what it never received. What it had received and not yet written (its own buffers) is its cost, and must stay within
    /// 5 % of what it had written. To read the socket queues at the very instant of the kill, the agent is stopped
    /// (SIGSTOP) first: the SIGKILL then destroys exactly that state (<see cref="KillAccounting"/>).
    /// </summary>
    [Fact]
    public async Task Kill9_AtHalfOf200MB_RestartResumesFromBytesOnDiskAndServesAtMost105Percent()
    {
        await using var origin = await TestOrigin.StartAsync();
        using var catalog = new TestCatalog();
        using var data = new TempDirectory("getapp-kill");
        var file = origin.AddFile("big.bin", Size, seed: 11);
        file.Faults.ThrottleBytesPerSecond = 25L * 1024 * 1024;
        catalog.AddRaw(CatalogEntries.Http(Id, file, isPush: true)).Write();
        var partial = Path.Combine(data.Path, "partial", FileSafeName.From(Id), "big.bin.part");

        long onDisk;
        long sentBeforeKill;
        long inSockets;
        await using (var first = await AgentProcess.StartAsync(data.Path, ["--catalog", catalog.Path]))
        {
            await WaitForAsync(first, s => s.Progress >= 50, TimeSpan.FromSeconds(60));
            (sentBeforeKill, inSockets) = await KillAccounting.KillAsync(first, origin.BaseAddress.Port, () => origin.BytesServed(file.Name));
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
        Assert.Equal(206, requests[1].Status);
        // Exactly the bytes on disk: none of them fetched twice, none skipped.
        Assert.Equal(onDisk, requests[1].RangeStart);
        var served = origin.BytesServed(file.Name);
        var heldByAgent = sentBeforeKill - inSockets - onDisk;
        output.WriteLine($"killed with {onDisk} bytes on disk; the origin had sent {sentBeforeKill}: {inSockets} of them in the kernel's socket queues, " +
            $"{heldByAgent} received by the agent and not yet written; resumed at {requests[1].RangeStart}; served {served} bytes in total " +
            $"({(double)served / Size:P1} of {Size}; {(double)(served - inSockets) / Size:P1} without the socket queues)");
        // What was fetched twice, apart from the socket queues, is what the agent had received and not written: at most
        // 5 % of what it had written (so the whole file is served at most 1.05 times).
        var again = served - Size - inSockets;
        Assert.True(again <= onDisk * 0.05,
            $"served {served} bytes for a {Size}-byte artifact, {inSockets} of them lost in the socket queues at the kill: {again} bytes fetched twice that the agent had received");
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
