using System.Text.Json.Nodes;
using GetApp.Agent.Core.Upstream.GetAppServer;

namespace GetApp.Agent.Tests.Upstream;

/// <summary><c>general</c> from the metadata: what the gateway would refuse is left out, never sent.</summary>
public class GeneralDiscoveryTests
{
    [Fact]
    public void From_ValidFacts_EverySectionFilledAsTheServerNamesThem()
    {
        var general = GeneralDiscovery.From("dev-1", new JsonObject
        {
            ["name"] = "pump-7", ["os"] = "linux", ["macAddress"] = "AA-BB-CC-DD-EE-FF", ["ipAddress"] = "192.168.1.20", ["storageAvailable"] = 123456789L,
            ["battery"] = 80, ["location"] = new JsonObject { ["latitude"] = 32.5, ["longitude"] = "34.8", ["alt"] = 12 }, ["serialNumber"] = "SN-1",
        });

        Assert.Equal("pump-7", general.PersonalDevice!.Name);
        Assert.Equal(new SituationalDiscoveryDto("123456789", 80, new GeoLocationDto("32.5", "34.8", "12")), general.SituationalDevice);
        Assert.Equal(new PhysicalDiscoveryDto { Id = "dev-1", Os = "linux", Mac = "AA-BB-CC-DD-EE-FF", Ip = "192.168.1.20", SerialNumber = "SN-1" }, general.PhysicalDevice);
    }

    [Theory]
    [InlineData("macAddress", "aa:bb:cc:dd:ee")]
    [InlineData("macAddress", "aa:bb:cc:dd:ee:fg")]
    [InlineData("macAddress", "aa:bb:cc:dd:ee:ff:00")]
    [InlineData("ipAddress", "fe80:0:0:0:0:0:0:1")]
    [InlineData("ipAddress", "::1")]
    [InlineData("ipAddress", "256.1.1.1")]
    [InlineData("os", "Linux")]
    [InlineData("os", "freebsd")]
    public void From_ValueTheGatewayWouldRefuse_IsLeftOut(string key, string value)
    {
        var general = GeneralDiscovery.From("dev-1", new JsonObject { [key] = value });

        Assert.Equal(new PhysicalDiscoveryDto { Id = "dev-1" }, general.PhysicalDevice);
    }

    [Fact]
    public void From_NothingKnown_OnlyTheIdAndNoEmptySections()
    {
        var general = GeneralDiscovery.From("dev-1", new JsonObject
        {
            ["name"] = " ", ["battery"] = 140, ["storageAvailable"] = null, ["location"] = new JsonObject { ["lat"] = 32.5 },
        });

        Assert.Null(general.PersonalDevice);
        Assert.Null(general.SituationalDevice);
        Assert.Equal(new PhysicalDiscoveryDto { Id = "dev-1" }, general.PhysicalDevice);
    }
}
