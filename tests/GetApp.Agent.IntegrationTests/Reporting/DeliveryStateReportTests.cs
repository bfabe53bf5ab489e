using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Infrastructure.ServerReports;

namespace GetApp.Agent.IntegrationTests.Reporting;

/// <summary>
/// Each delivery report names its phase in <c>state</c> (<c>DeliveryStateEnum</c>: Prepare, Download, Validation, Done),
/// which the newest server libs read: a Done marks the release downloaded only when its state is Done (or absent).
/// </summary>
public class DeliveryStateReportTests
{
    private const string App = "7.demo-app@1.0.0";
    private const string Lib = "8.demo-lib@2.1.0";

    [Fact]
    public async Task DeliveredWithADependency_EveryReportCarriesItsPhase_AndTheServerMarksBothDownloaded()
    {
        await using var server = (await GetAppServerDouble.StartAsync())
            .AddRelease(App, isPush: true, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[300_000] })
            .AddRelease(Lib, dependedOnBy: [App], files: new Dictionary<string, byte[]> { ["lib.bin"] = new byte[200_000] });
        await using var agent = await server.StartAgentAsync();

        Assert.Equal(ReleaseState.Downloaded, (await agent.WaitForAsync(App, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60))).State);
        await server.WaitForAsync(s => Statuses(s.DeliveryReports, App, "deliveryStatus").LastOrDefault() == "Done", "the Done report of the root");

        Assert.All(server.DeliveryReports, r => Assert.Equal(
            r["deliveryStatus"]!.GetValue<string>() switch { "Start" => "Prepare", var status => status },
            r["state"]?.GetValue<string>()));
        Assert.Equal("downloaded", server.Component("dev-test-1", App)!.State);
        Assert.Equal("downloaded", server.Component("dev-test-1", Lib)!.State);
    }

    [Fact]
    public async Task SignatureCheckFails_TheErrorReportSaysValidation()
    {
        using var otherKey = new CosignKey();
        await using var server = (await GetAppServerDouble.StartAsync())
            .AddRelease(App, isPush: true, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[1000] });
        server.SignFiles = otherKey.Sign; // the agent checks with the double's own key
        await using var agent = await server.StartAgentAsync();

        await agent.WaitForAsync(App, s => s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
        await server.WaitForAsync(s => Statuses(s.DeliveryReports, App, "deliveryStatus").LastOrDefault() == "Error", "the Error report");

        var error = server.DeliveryReports.Last(r => Is(r, App, "deliveryStatus", "Error"));
        Assert.Equal("Validation", error["state"]!.GetValue<string>());
        Assert.Equal(("delivery", "Error"), (server.Component("dev-test-1", App)!.State, server.Component("dev-test-1", App)!.Error));
    }
}
