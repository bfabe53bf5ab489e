using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

public class DeliveryDependencyTests
{
    private const string Leaf = "1.leaf@1.0.0";
    private const string Mid = "2.mid@1.0.0";
    private const string Root = "3.root@1.0.0";

    [Fact]
    public async Task Start_ThreeReleaseChain_DeliversLeafToRootAndNeverFetchesADeliveredDependencyAgain()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var leaf = s.Origin.AddFile("leaf.bin", 300_000, seed: 1);
        var mid = s.Origin.AddFile("mid.bin", 200_000, seed: 2);
        var root = s.Origin.AddFile("root.bin", 100_000, seed: 3);
        s.Catalog.AddRaw(CatalogEntries.Http(Leaf, leaf, dependedOnBy: [Mid]))
            .AddRaw(CatalogEntries.Http(Mid, mid, dependedOnBy: [Root]))
            .AddRaw(CatalogEntries.Http(Root, root));
        await s.StartAgentAsync();

        var started = await s.ControlOkAsync("start", Root);
        Assert.Equal(ReleaseState.Delivery, started.State);
        var done = await s.WaitDownloadedAsync(Root);

        Assert.Equal(ReleaseState.Downloaded, done.State);
        Assert.Equal(100, done.Progress);
        Assert.NotNull(done.DownloadDuration);
        var order = s.Origin.Log.Where(r => r.Status is 200 or 206).Select(r => r.Path).ToList();
        Assert.Equal(["/files/leaf.bin", "/files/mid.bin", "/files/root.bin"], order);
        foreach (var (id, file) in new[] { (Leaf, leaf), (Mid, mid), (Root, root) })
        {
            var status = await s.Agent.WaitForAsync(id, x => x.State == ReleaseState.Downloaded);
            Assert.Equal(s.ArtsDirOf(id), status.ArtsDirPath);
            Assert.Equal(file.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(status.ArtsDirPath!, file.Name)));
        }

        // Delete only the root and deliver it again: its dependencies are downloaded, so only the root's file is fetched.
        Assert.Equal(ReleaseState.Deleted, (await s.ControlOkAsync("delete", Root)).State);
        await s.ControlOkAsync("start", Root);
        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(Root)).State);
        Assert.Single(s.Origin.RequestsFor("leaf.bin"));
        Assert.Single(s.Origin.RequestsFor("mid.bin"));
        Assert.Equal(2, s.Origin.RequestsFor("root.bin").Count);
    }

    [Fact]
    public async Task Start_DependencyAlreadyDownloaded_IsNotRequestedAgain()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var leaf = s.Origin.AddFile("leaf.bin", 100_000, seed: 1);
        var mid = s.Origin.AddFile("mid.bin", 100_000, seed: 2);
        var root = s.Origin.AddFile("root.bin", 100_000, seed: 3);
        s.Catalog.AddRaw(CatalogEntries.Http(Leaf, leaf, dependedOnBy: [Mid]))
            .AddRaw(CatalogEntries.Http(Mid, mid, dependedOnBy: [Root]))
            .AddRaw(CatalogEntries.Http(Root, root));
        await s.StartAgentAsync();

        await s.ControlOkAsync("start", Leaf);
        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(Leaf)).State);
        await s.ControlOkAsync("start", Root);
        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(Root)).State);

        Assert.Single(s.Origin.RequestsFor("leaf.bin"));
        Assert.Equal(["/files/leaf.bin", "/files/mid.bin", "/files/root.bin"], s.Origin.Log.Select(r => r.Path).ToList());
    }

    [Fact]
    public async Task Start_DependencyFails_RootEndsInErrorNamingTheDependency()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var leaf = s.Origin.AddFile("leaf.bin", 100_000, seed: 1);
        var root = s.Origin.AddFile("root.bin", 100_000, seed: 3);
        s.Catalog.AddRaw(CatalogEntries.Http(Leaf, leaf, dependedOnBy: [Root], sha256Hex: new string('0', 64)))
            .AddRaw(CatalogEntries.Http(Root, root));
        await s.StartAgentAsync();

        await s.ControlOkAsync("start", Root);
        var failed = await s.WaitDownloadedAsync(Root);

        Assert.Equal("Error", failed.DeviceReleaseStatus);
        Assert.Contains($"dependency '{Leaf}' failed", failed.ErrMsg);
        Assert.Contains("mismatch", failed.ErrMsg);
        var dependency = await s.Agent.WaitForAsync(Leaf, x => x.DeviceReleaseStatus == "Error");
        Assert.Contains(leaf.Sha256Hex, dependency.ErrMsg);
        Assert.Empty(s.Origin.RequestsFor("root.bin"));
        Assert.False(Directory.Exists(s.ArtsDirOf(Leaf)));
    }

    [Fact]
    public async Task Start_ArtifactNamesThatCollideAfterRenaming_EveryFileDeliveredUnderItsOwnName()
    {
        using var catalog = new TestCatalog();
        var files = new Dictionary<string, byte[]>
        {
            ["files/a"] = [.. Enumerable.Repeat((byte)1, 1000)],
            ["files/2-a"] = [.. Enumerable.Repeat((byte)2, 2000)],
            ["files/sub/a"] = [.. Enumerable.Repeat((byte)3, 3000)],
        };
        var artifacts = new System.Text.Json.Nodes.JsonArray();
        foreach (var (url, content) in files)
        {
            var path = Path.Combine(catalog.Path, url);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, content);
            artifacts.Add(new System.Text.Json.Nodes.JsonObject
            {
                ["itemKey"] = $"{Root}@{url}",
                ["url"] = url,
                ["size"] = content.Length,
                ["hash"] = new System.Text.Json.Nodes.JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)) },
            });
        }

        catalog.AddRaw(new System.Text.Json.Nodes.JsonObject { ["release"] = TestCatalog.Release(Root), ["isPush"] = false, ["dependedOnBy"] = new System.Text.Json.Nodes.JsonArray(), ["artifacts"] = artifacts }).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);

        Assert.True((await agent.Client.PostAsync($"/api/v2/delivery/start/{Root}", null)).IsSuccessStatusCode);
        var done = await agent.WaitForAsync(Root, x => x.State == ReleaseState.Downloaded || x.DeviceReleaseStatus == "Error");

        Assert.True(done.State == ReleaseState.Downloaded, $"{done.DeviceReleaseStatus}: {done.ErrMsg}");
        var delivered = Directory.GetFiles(done.ArtsDirPath!).Select(f => new FileInfo(f).Length).Order().ToList();
        Assert.Equal([1000L, 2000L, 3000L], delivered);
    }
}
