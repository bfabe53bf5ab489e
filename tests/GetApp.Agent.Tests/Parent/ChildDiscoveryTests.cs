using System.Text.Json.Nodes;
using GetApp.Agent.Core.Parent;

namespace GetApp.Agent.Tests.Parent;

public class ChildDiscoveryTests
{
    [Fact]
    public void FactsOf_TakesTheDeviceTypesFromTheTokenElseFromDeviceData_AndTheLastStateOfEachComponent()
    {
        var message = JsonNode.Parse("""
            {"id":" child-1 ","discoveryType":"get-app","deviceTypeToken":"edge, zone-a",
             "platform":{"token":"field-unit","platformId":"SN-1"},
             "deviceData":{"deviceType":["ignored"],"metadata":{"os":"linux"}},
             "softwareData":{"components":[{"catalogId":"7.a@1","state":"delivery"},{"catalogId":"7.a@1","state":"downloaded"},
                                           {"catalogId":"8.b@2","state":"deploy","error":"Error"}]}}
            """)!.AsObject();
        Assert.Empty(ChildDiscovery.Check(message));

        var facts = ChildDiscovery.FactsOf(message);
        Assert.Equal("child-1", facts.DeviceId);
        Assert.Equal(["edge", "zone-a"], facts.DeviceType);
        Assert.Equal("field-unit", facts.Platform);
        Assert.Equal("SN-1", facts.PlatformId);
        Assert.Equal([new ChildComponent("7.a@1", "downloaded", null), new ChildComponent("8.b@2", "deploy", "Error")], facts.Components);
        Assert.Equal("linux", facts.DeviceData!["metadata"]!["os"]!.GetValue<string>());

        message.Remove("deviceTypeToken");
        message.Remove("platform");
        message["deviceData"]!["platform"] = "from-data";
        var fromData = ChildDiscovery.FactsOf(message);
        Assert.Equal(["ignored"], fromData.DeviceType);
        Assert.Equal("from-data", fromData.Platform);
    }

    [Theory]
    [InlineData("""{"id":"","discoveryType":"get-app"}""")]
    [InlineData("""{"id":7,"discoveryType":"get-app"}""")]
    [InlineData("""{"id":"c","discoveryType":"get-app","deviceData":"x"}""")]
    [InlineData("""{"id":"c","discoveryType":"get-app","deviceTypeToken":["a"]}""")]
    [InlineData("""{"id":"c","discoveryType":"get-app","softwareData":{"components":[{"catalogId":"a/b","state":"installed"}]}}""")]
    public void Check_RefusesWhatTheServerWouldRefuse(string json) =>
        Assert.NotEmpty(ChildDiscovery.Check(JsonNode.Parse(json)!.AsObject()));
}
