using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

/// <summary>Its own class so that xUnit runs it beside the others: the smallest deliveryTimeoutMins is one minute.</summary>
public class DeliveryTimeoutTests
{
    [Fact]
    public async Task Delivery_SlowerThanDeliveryTimeoutMins_ErrorNamingTheTimeoutAndNothingInArtsDir()
    {
        const string Id = "5.app@1.0.0";
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 2_000_000, seed: 3);
        file.Faults.ThrottleBytesPerSecond = 10_000; // 200 s at this rate: never done within the minute, never stalled
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync(new JsonObject { ["deliveryTimeoutMins"] = 1, ["stallTimeoutSecs"] = 30 });
        await s.ControlOkAsync("start", Id);

        var status = await s.WaitDownloadedAsync(Id, TimeSpan.FromSeconds(100));

        Assert.Equal((ReleaseState.Delivery, "Error"), (status.State, status.DeviceReleaseStatus));
        Assert.Equal("the delivery timed out after 1 min (deliveryTimeoutMins)", status.ErrMsg);
        Assert.False(Directory.Exists(s.ArtsDirOf(Id)));
    }
}
