using System.Text.Json.Nodes;
using GetApp.Agent.Core.Fleet;

namespace GetApp.Agent.Tests.Fleet;

public class FleetPushesTests
{
    [Fact]
    public void Merge_MakesAPushedReleaseAPushOffer_AddsItsMissingDependencies_AndRepeatsNothing()
    {
        var answer = JsonNode.Parse("""
            {"offer":[],"push":[],"releases":[
              {"release":{"id":"7.app@2"},"isPush":false,"dependedOnBy":[]},
              {"release":{"id":"8.other@1"},"isPush":false,"dependedOnBy":[]}]}
            """)!.AsObject();
        var pushed = new[]
        {
            JsonNode.Parse("""{"release":{"id":"7.app@2"},"isPush":true,"dependedOnBy":[]}""")!.AsObject(),
            JsonNode.Parse("""{"release":{"id":"12.runtime@3"},"isPush":false,"dependedOnBy":["7.app@2"]}""")!.AsObject(),
            JsonNode.Parse("""{"release":{"id":"9.tool@1"},"isPush":true,"dependedOnBy":[]}""")!.AsObject(),
            JsonNode.Parse("""{"release":{"id":"12.runtime@3"},"isPush":false,"dependedOnBy":["7.app@2"]}""")!.AsObject(),
        };

        var merged = FleetPushes.Merge(answer, pushed);
        var releases = merged["releases"]!.AsArray().Select(e => (Id: e!["release"]!["id"]!.GetValue<string>(), Push: e["isPush"]!.GetValue<bool>())).ToList();
        Assert.Equal([("7.app@2", true), ("8.other@1", false), ("12.runtime@3", false), ("9.tool@1", true)], releases);
    }

    [Fact]
    public void Merge_IntoAnAnswerWithoutReleases_GivesThePushes()
    {
        var merged = FleetPushes.Merge([], [JsonNode.Parse("""{"release":{"id":"9.tool@1"},"isPush":true,"dependedOnBy":[]}""")!.AsObject()]);
        Assert.True(Assert.Single(merged["releases"]!.AsArray())!["isPush"]!.GetValue<bool>());
    }
}
