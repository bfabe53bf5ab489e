using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Tests.Contracts;

public class JsonScanTests
{
    private static readonly byte[] Release = Encoding.UTF8.GetBytes(
        """{"nested":{"id":"inner","metadata":1},"list":[{"metadata":2}],"id":"7.app@1.0.0","metadata":{"autoDeploy":true,"n":[1,2]},"tail":null}""");

    [Fact]
    public void Property_TopLevel_FoundPastNestedNamesakes()
    {
        Assert.Equal("7.app@1.0.0", JsonScan.String(Release, "id"));
        Assert.Equal("""{"autoDeploy":true,"n":[1,2]}""", JsonScan.Property(Release, "metadata")!.ToJsonString());
    }

    [Fact]
    public void Property_AbsentOrNotAnObject_Null()
    {
        Assert.Null(JsonScan.Property(Release, "missing"));
        Assert.Null(JsonScan.Property(Release, "tail"));
        Assert.Null(JsonScan.String(Release, "metadata"));
        Assert.Null(JsonScan.Property("[1]"u8, "id"));
    }

    [Fact]
    public void OfferedRelease_CatalogId_ReadWithoutChangingTheRelease()
    {
        var offer = new OfferedRelease { Release = JsonNode.Parse(Release) as JsonObject };
        Assert.Equal("7.app@1.0.0", offer.CatalogId);
        Assert.Equal("7.app@1.0.0", (offer with { IsPush = true }).CatalogId);
        Assert.Equal("other", (offer with { Release = new JsonObject { ["id"] = "other" } }).CatalogId);
        Assert.Null(new OfferedRelease { Release = new JsonObject { ["id"] = 5 } }.CatalogId);
        Assert.Null(new OfferedRelease().CatalogId);
    }
}
