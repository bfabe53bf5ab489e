using System.Text.Json.Nodes;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Tests.Delivery;

public class DeliveryClosureTests
{
    private static ReleaseRecord Release(string id, ReleaseState state, params string[] dependencies) => new()
    {
        CatalogId = id,
        Release = new JsonObject { ["id"] = id },
        Position = new ReleasePosition(state, null, null, null),
        Dependencies = dependencies,
        DiscoveredAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
    };

    private static Dictionary<string, ReleaseRecord> Map(params ReleaseRecord[] releases) => releases.ToDictionary(r => r.CatalogId);

    [Fact]
    public void Resolve_Chain_LeafFirstRootLast()
    {
        var order = DeliveryClosure.Resolve("root", Map(
            Release("root", ReleaseState.Push, "mid"), Release("mid", ReleaseState.Offering, "leaf"), Release("leaf", ReleaseState.Offering)));
        Assert.Equal(["leaf", "mid", "root"], order.Select(r => r.CatalogId));
    }

    [Fact]
    public void Resolve_Diamond_SharedDependencyOnce()
    {
        var order = DeliveryClosure.Resolve("root", Map(
            Release("root", ReleaseState.Offering, "a", "b"), Release("a", ReleaseState.Offering, "base"),
            Release("b", ReleaseState.Offering, "base"), Release("base", ReleaseState.Offering)));
        Assert.Equal(["base", "a", "b", "root"], order.Select(r => r.CatalogId));
    }

    [Theory]
    [InlineData(ReleaseState.Downloaded)]
    [InlineData(ReleaseState.Installed)]
    [InlineData(ReleaseState.Deploy)]
    [InlineData(ReleaseState.Uninstalled)]
    public void Resolve_DeliveredDependency_SkippedWithItsOwnDependencies(ReleaseState state)
    {
        var order = DeliveryClosure.Resolve("root", Map(
            Release("root", ReleaseState.Offering, "mid"), Release("mid", state, "leaf"), Release("leaf", ReleaseState.Offering)));
        Assert.Equal(["root"], order.Select(r => r.CatalogId));
    }

    [Fact]
    public void Resolve_DeletedDependency_DeliveredAgain()
    {
        var order = DeliveryClosure.Resolve("root", Map(Release("root", ReleaseState.Offering, "dep"), Release("dep", ReleaseState.Deleted)));
        Assert.Equal(["dep", "root"], order.Select(r => r.CatalogId));
    }

    [Fact]
    public void Resolve_UnknownDependency_FailsNamingIt()
    {
        var failure = Assert.ThrowsAny<Exception>(() => DeliveryClosure.Resolve("root", Map(Release("root", ReleaseState.Offering, "ghost"))));
        Assert.Contains("'ghost'", failure.Message);
    }

    [Fact]
    public void Needs_RootsAndTheirUndeliveredDependencies_NotThroughDeliveredOnes()
    {
        var all = Map(
            Release("r1", ReleaseState.Delivery, "d"), Release("r2", ReleaseState.Delivery, "d", "lib"),
            Release("d", ReleaseState.Delivery, "base"), Release("base", ReleaseState.Offering),
            Release("lib", ReleaseState.Downloaded, "deep"), Release("deep", ReleaseState.Offering));

        Assert.Equal(["base", "d", "r1"], DeliveryClosure.Needs(["r1"], all).Order());
        Assert.Equal(["base", "d", "r2"], DeliveryClosure.Needs(["r2"], all).Order());
        Assert.Equal(["deep", "lib"], DeliveryClosure.Needs(["lib"], all).Order());
        Assert.Empty(DeliveryClosure.Needs(["unknown"], all));
    }
}
