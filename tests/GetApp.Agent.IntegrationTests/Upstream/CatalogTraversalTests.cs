using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Upstream;

/// <summary>A catalog on a stick may be hostile: nothing outside its folder is read, delivered, or described.</summary>
public class CatalogTraversalTests
{
    private const string Id = "1.trap@1.0.0";

    [Fact]
    public async Task Discover_DirectoryLinkToRootInsideTheCatalog_RefusedAndNothingOffered()
    {
        using var catalog = new TestCatalog();
        Directory.CreateDirectory(Path.Combine(catalog.Path, "files"));
        Directory.CreateSymbolicLink(Path.Combine(catalog.Path, "files", "rootlink"), "/");
        var hostname = await File.ReadAllBytesAsync("/etc/hostname");
        catalog.AddRaw(new JsonObject
        {
            ["release"] = TestCatalog.Release(Id),
            ["isPush"] = true,
            ["dependedOnBy"] = new JsonArray(),
            ["artifacts"] = new JsonArray(new JsonObject
            {
                ["itemKey"] = $"{Id}@hostname",
                ["url"] = "files/rootlink/etc/hostname",
                // Right size and hash: only the path can give it away.
                ["size"] = hostname.Length,
                ["hash"] = new JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = Convert.ToHexStringLower(SHA256.HashData(hostname)) },
            }),
        }).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);

        var response = await agent.Client.PostAsync("/api/v2/triggers/discover-component", null);

        var error = await HttpAssert.AppErrorAsync(response, HttpStatusCode.BadGateway);
        Assert.Contains("leads outside the catalog folder through a symbolic link", error.GetProperty("message").GetString());
        Assert.Equal("[]", await agent.Client.GetStringAsync("/api/v2/device/offering"));
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Client.PostAsync($"/api/v2/delivery/start/{Id}", null)).StatusCode);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(agent.DataDir, "comps")));
    }
}
