using System.Net.Http.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace GetApp.Agent.IntegrationTests.Delivery;

/// <summary>
/// kill -9 while the validated files are being moved into artsDirPath (found by the chaos suite: the files already
/// moved were fetched a second time after the restart, 2× the bytes of the release).
/// </summary>
public class KillDuringValidationTests(ITestOutputHelper output)
{
    private const string Id = "8.moved@1.0.0";

    [NeedsStraceFact]
    public async Task Kill9_BetweenTheMovesIntoArtsDirPath_RestartDeliversWithoutFetchingTheMovedFilesAgain()
    {
        await using var origin = await TestOrigin.StartAsync();
        using var catalog = new TestCatalog();
        using var data = new TempDirectory("getapp-kill-validation");
        var first = origin.AddFile("first.bin", 3 * 1024 * 1024, seed: 21);
        var second = origin.AddFile("second.bin", 1024 * 1024, seed: 22);
        catalog.AddRaw(CatalogEntries.Http(Id, [
            (first.Name, first.Url.ToString(), first.Size, first.Sha256Hex),
            (second.Name, second.Url.ToString(), second.Size, second.Sha256Hex),
        ], isPush: true)).Write();
        var artsDir = Path.Combine(data.Path, "comps", FileSafeName.From(Id));
        var partialDir = Path.Combine(data.Path, "partial", FileSafeName.From(Id));

        // Killed on entering the rename of the second file into artsDirPath: the first is there, the second still partial.
        await using (var killed = await AgentProcess.StartAsync(
            Strace.KillAgentOnRename(Path.Combine(partialDir, second.Name + ".part"), data.Path, ["--catalog", catalog.Path]), TimeSpan.FromSeconds(60)))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!File.Exists(Path.Combine(artsDir, first.Name)) || !killed.HasExited)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the agent was not killed between the two moves:\n{killed.Output}");
                await Task.Delay(20);
            }

            await killed.KillAsync();
        }

        Assert.True(File.Exists(Path.Combine(partialDir, second.Name + ".part")), "the second file should still be partial when the agent died");
        var servedBefore = origin.BytesServed(first.Name) + origin.BytesServed(second.Name);

        await using (var agent = await AgentProcess.StartAsync(data.Path, ["--catalog", catalog.Path]))
        {
            var done = await WaitForAsync(agent, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
            Assert.True(done.State == ReleaseState.Downloaded, done.ErrMsg);
            Assert.Equal(first.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(done.ArtsDirPath!, first.Name)));
            Assert.Equal(second.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(done.ArtsDirPath!, second.Name)));
        }

        var served = origin.BytesServed(first.Name) + origin.BytesServed(second.Name);
        output.WriteLine($"served {servedBefore} bytes before the kill, {served} in all, for {first.Size + second.Size} bytes of artifacts");
        Assert.Equal(first.Size, origin.BytesServed(first.Name));
        Assert.Equal(second.Size, origin.BytesServed(second.Name));
        Assert.False(Directory.Exists(partialDir) && Directory.EnumerateFiles(partialDir).Any(), "no partial file is left once delivered");
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
