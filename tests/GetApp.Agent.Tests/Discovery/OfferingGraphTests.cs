using System.Text.Json.Nodes;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Tests.Discovery;

public class OfferingGraphTests
{
    private static OfferedRelease Offer(string id, params string[] dependedOnBy) =>
        new() { Release = new JsonObject { ["id"] = id }, DependedOnBy = dependedOnBy };

    [Fact]
    public void DependenciesOf_RebuildsChildrenFromDependedOnBy()
    {
        var deps = OfferingGraph.DependenciesOf([Offer("app"), Offer("lib", "app"), Offer("base", "lib", "app")]);

        Assert.Equal(["base", "lib"], deps["app"]);
        Assert.Equal(["base"], deps["lib"]);
        Assert.Empty(deps["base"]);
    }

    [Fact]
    public void DependenciesOf_IgnoresEdgesToReleasesNotOffered() =>
        Assert.Empty(OfferingGraph.DependenciesOf([Offer("lib", "not-offered")])["lib"]);

    [Fact]
    public void FindCycle_ReportsTheLoop()
    {
        var deps = OfferingGraph.DependenciesOf([Offer("a", "c"), Offer("b", "a"), Offer("c", "b")]);
        Assert.NotNull(OfferingGraph.FindCycle(deps));
        Assert.Null(OfferingGraph.FindCycle(OfferingGraph.DependenciesOf([Offer("a"), Offer("b", "a")])));
    }
}
