using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Infrastructure.ServerReports;

namespace GetApp.Agent.IntegrationTests.Reporting;

/// <summary>
/// <c>bit_number</c>, <c>download_estimate_time</c> and <c>deploy_estimate_time</c> are 32-bit integer columns on the
/// server: a report whose value overflows one is answered 201 and then lost. No report of the agent may carry one.
/// </summary>
[Collection(LargeTransfers.Name)]
public class ReportColumnsTests
{
    private const string Big = "30.big-payload@1.0.0";
    private const string App = "7.demo-app@1.0.0";

    // `head -c 3G /dev/zero | sha256sum`: a constant, so the test does not spend seconds hashing what the agent hashes anyway.
    private const string Sha256Of3GiBOfZeros = "305b66a59d15b252092fbda9d09711230c429f351897cbd430e7b55a35fd3b97";

    [Fact]
    public async Task ThreeGiBRelease_Delivered_NoReportTheServerRejects_AndBitNumberSaturates()
    {
        const long size = 3L << 30;
        await using var origin = await TestOrigin.StartAsync();
        var url = origin.AddSparseFile("big.bin", size);
        await using var server = await GetAppServerDouble.StartAsync();
        server.AddRelease(Big, isPush: true, rawArtifacts:
        [
            new JsonObject
            {
                ["catalogId"] = Big, ["itemKey"] = $"{Big}@big.bin", ["artifactType"] = "software", ["url"] = url.ToString(), ["size"] = size,
                ["signature"] = server.SignDigest(Convert.FromHexString(Sha256Of3GiBOfZeros)), ["isExecutable"] = false, ["metaData"] = "{}",
            },
        ]);
        await using var agent = await server.StartAgentAsync();

        var big = await agent.WaitForAsync(Big, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", TimeSpan.FromMinutes(5));
        Assert.True(big.State == ReleaseState.Downloaded, big.ErrMsg);
        File.Delete(Path.Combine(big.ArtsDirPath!, "big.bin")); // 3 GiB of real disk: gone as soon as it has served its purpose
        // Answered 201 whether or not the server can store it: wait for the answer, then look at what it kept.
        await server.WaitForAsync(s => s.Received.Any(r => r.Status == 201 && r.Body?["deliveryStatus"]?.GetValue<string>() == "Done"), "the Done report");

        Assert.Empty(server.RejectedReports.Select(r => r.ToJsonString()));
        Assert.DoesNotContain(server.ServerLog, l => l.Contains("ERROR", StringComparison.Ordinal));
        var done = server.DeliveryReports.Single(r => Is(r, Big, "deliveryStatus", "Done"));
        Assert.Equal(int.MaxValue, done["bitNumber"]!.GetValue<long>());
        Assert.Equal(100, done["downloadData"]!.GetValue<double>());
        Assert.Equal("downloaded", server.Component("dev-test-1", Big)!.State);
    }

    [Fact]
    public async Task EstimatesOfWeeks_ForADownloadAndAnInstall_ReportedWithinTheColumns()
    {
        var fortyDays = (long)TimeSpan.FromDays(40).TotalSeconds;
        await using var server = (await GetAppServerDouble.StartAsync()).AddRelease(App, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[1000] });
        await using var agent = await server.StartAgentAsync();
        await ReportOutboxTests.WaitForReleaseAsync(agent, App);

        await Move(agent, App, ReleaseAction.StartDelivery);
        await Move(agent, App, ReleaseAction.BeginDownload);
        Assert.True(await agent.Releases.SaveProgressAsync(App, ReleaseState.Delivery, 1, fortyDays, CancellationToken.None));
        await Move(agent, App, ReleaseAction.BeginValidation);
        await Move(agent, App, ReleaseAction.CompleteDelivery);
        await Move(agent, App, ReleaseAction.StartDeploy);
        await Move(agent, App, ReleaseAction.ReportInstalling);
        Assert.True(await agent.Releases.SaveProgressAsync(App, ReleaseState.Deploy, 5, fortyDays, CancellationToken.None));
        await server.WaitForAsync(s => s.Received.Count(r => r.Path.EndsWith("Status", StringComparison.Ordinal) && r.Status == 201) >= 7, "every report");

        Assert.Empty(server.RejectedReports);
        Assert.Equal(int.MaxValue, server.DeliveryReports.Last(r => Is(r, App, "deliveryStatus", "Download"))["downloadEstimateTime"]!.GetValue<long>());
        Assert.Equal(int.MaxValue, server.DeployReports.Last(r => Is(r, App, "deployStatus", "Installing"))["deployEstimateTime"]!.GetValue<long>());
    }

    private static async Task Move(TestAgent agent, string catalogId, ReleaseAction action)
    {
        var result = await agent.Releases.MoveAsync(catalogId, action, null, CancellationToken.None);
        Assert.True(result.Succeeded, result.Message);
    }
}
