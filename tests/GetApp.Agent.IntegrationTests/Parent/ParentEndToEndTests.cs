using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using static GetApp.Agent.IntegrationTests.Infrastructure.ServerReports;
using static GetApp.Agent.IntegrationTests.Parent.ChildReportsTests;

namespace GetApp.Agent.IntegrationTests.Parent;

/// <summary>
/// A site of real agent processes on loopback: the GetApp server double, a parent, its children (and a parent of a
/// parent). Each child is an ordinary agent whose <c>--upstream</c> is the parent.
/// </summary>
[Collection(TimingSensitive.Name)]
public class ParentEndToEndTests(ITestOutputHelper output)
{
    private const string App = "7.site-app@1.0.0";
    private const string Secret = "fleet-secret";
    private static readonly JsonObject AutoDeploy = new() { ["autoDeploy"] = true };

    [Fact]
    public async Task ServerParentAndThreeChildren_APushedReleaseIsInstalledOnAll_TheOriginServesItOnce_AndEveryReportReachesTheServerInOrder()
    {
        await using var server = await GetAppServerDouble.StartAsync(secret: Secret);
        server.AddRelease(App, isPush: true, files: Installable(2_000_000), executable: "install.sh", metadata: AutoDeploy);
        using var dirs = new TempDirectory("getapp-site");
        await using var parent = await StartAsync(dirs.Combine("parent"), server.BaseUrl, "parent-1");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var children = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => StartAsync(dirs.Combine($"child-{i}"), Url(parent), $"child-{i}")));
        try
        {
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: children started");
            foreach (var child in children)
            {
                await WaitForAsync(child, App, s => s.State == ReleaseState.Installed, TimeSpan.FromSeconds(90));
            }

            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: installed on every child");

            await server.WaitForAsync(s => Enumerable.Range(1, 3).All(i => Statuses(ForDevice(s.DeployReports, $"child-{i}"), App, "deployStatus").LastOrDefault() == "Done"),
                "every child's deploy Done", TimeSpan.FromSeconds(60));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: every report on the server");
            for (var i = 1; i <= 3; i++)
            {
                AssertDeliveredInOrder(server, $"child-{i}", App);
            }

            var downloads = ParentKit.FileRequests(server, App);
            Assert.Equal(2, downloads.Count); // install.sh and payload.bin, each once: the parent's fetch
            Assert.Equal(2, downloads.Select(d => d.Path).Distinct().Count());
            Assert.Equal(3, server.Discoveries.Count(d => d["id"]!.GetValue<string>().StartsWith("child-", StringComparison.Ordinal)));
            var registry = await parent.Client.GetFromJsonAsync<JsonArray>("/api/cdn/device/releases");
            Assert.Equal(4, registry!.Count);
            Assert.All(registry.Skip(1), e => Assert.Equal("installed", e!["data"]![0]!["state"]!.GetValue<string>()));
        }
        finally
        {
            await Task.WhenAll(children.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task ParentCutFromTheServer_ANewChildStillInstallsWhatTheParentHolds_AndItsReportsReachTheServerAfterAParentRestart()
    {
        await using var server = await GetAppServerDouble.StartAsync(secret: Secret);
        server.AddRelease(App, isPush: true, files: Installable(500_000), executable: "install.sh", metadata: AutoDeploy);
        using var dirs = new TempDirectory("getapp-site");
        var parent = await StartAsync(dirs.Combine("parent"), server.BaseUrl, "parent-1");
        var parentUrl = parent.BaseAddress.ToString().TrimEnd('/');
        try
        {
            await WaitForAsync(parent, App, s => s.State == ReleaseState.Installed, TimeSpan.FromSeconds(60));
            await server.WaitForAsync(s => Statuses(ForDevice(s.DeployReports, "parent-1"), App, "deployStatus").LastOrDefault() == "Done", "the parent's own reports");
            await server.GoDownAsync();

            await using (var child = await StartAsync(dirs.Combine("child"), parentUrl, "child-late"))
            {
                await WaitForAsync(child, App, s => s.State == ReleaseState.Installed, TimeSpan.FromSeconds(90));
                await ParentKit.EventuallyAsync(async () => (await child.Client.GetFromJsonAsync<JsonObject>("/api/v2/device"))!["upstream"]!["outbox"]!["pending"]!.GetValue<int>() == 0,
                    "the child handed every report to the parent");
            }

            Assert.DoesNotContain(server.Received, r => r.Body?["deviceId"]?.GetValue<string>() == "child-late");
            await parent.KillAsync();
            await parent.DisposeAsync();
            parent = await StartAsync(dirs.Combine("parent"), server.BaseUrl, "parent-1", url: parentUrl);
            await server.ComeBackAsync();

            await server.WaitForAsync(s => Statuses(ForDevice(s.DeployReports, "child-late"), App, "deployStatus").LastOrDefault() == "Done",
                "the late child's reports, forwarded after the parent's restart", TimeSpan.FromSeconds(90));
            AssertDeliveredInOrder(server, "child-late", App);
            Assert.Single(ParentKit.FileRequests(server, App), r => r.Path.EndsWith("payload.bin", StringComparison.Ordinal));
        }
        finally
        {
            await parent.DisposeAsync();
        }
    }

    [Fact]
    public async Task ParentKilledAtHalfOfAChilds200MiBDownload_AfterItsRestartTheChildCompletes_HavingFetchedAtMost105Percent()
    {
        const string Big = "8.big@1.0.0";
        const long Size = 200L * 1024 * 1024;
        using var dirs = new TempDirectory("getapp-site");
        using var catalog = new TestCatalog();
        var sha = WriteRandomFile(Path.Combine(catalog.Path, "files", "big.bin"), Size);
        catalog.AddRaw(CatalogEntries.Http(Big, [("big.bin", "files/big.bin", Size, sha)], isPush: true)).Write();

        var parent = await AgentProcess.StartAsync(dirs.Combine("parent"), ["--catalog", catalog.Path], Env("parent-1"));
        var parentUrl = parent.BaseAddress.ToString().TrimEnd('/');
        await using var relay = new TcpRelay(parent.BaseAddress.Port) { ThrottleBytesPerSecond = 20L * 1024 * 1024 };
        try
        {
            await WaitForAsync(parent, Big, s => s.State == ReleaseState.Downloaded, TimeSpan.FromSeconds(120));
            await using var child = await StartAsync(dirs.Combine("child"), relay.BaseUrl, "child-1");
            await WaitForAsync(child, Big, s => s.Progress >= 50, TimeSpan.FromSeconds(90));
            await parent.KillAsync();
            var atKill = relay.DownstreamBytes;
            await parent.DisposeAsync();
            relay.ThrottleBytesPerSecond = null;
            parent = await AgentProcess.StartAsync(dirs.Combine("parent"), ["--catalog", catalog.Path], Env("parent-1"), url: parentUrl);

            var done = await WaitForAsync(child, Big, s => s.State == ReleaseState.Downloaded, TimeSpan.FromSeconds(120));
            Assert.Equal(sha, Sha256Of(Path.Combine(done.ArtsDirPath!, "big.bin")));
            var fetched = relay.DownstreamBytes;
            output.WriteLine($"parent killed after {atKill} bytes had gone to the child; {fetched} bytes in all ({(double)fetched / Size:P1} of {Size})");
            Assert.InRange(atKill, Size / 3, Size - 1);
            Assert.True(fetched <= Size * 1.05, $"the child fetched {fetched} bytes for a {Size}-byte artifact");
        }
        finally
        {
            await parent.DisposeAsync();
        }
    }

    [Fact]
    public async Task ChildKilledMidDownloadFromTheParent_ResumesFromItsBytesOnDisk_AfterItsRestart()
    {
        const string Big = "8.mid@1.0.0";
        const long Size = 64L * 1024 * 1024;
        using var dirs = new TempDirectory("getapp-site");
        using var catalog = new TestCatalog();
        var sha = WriteRandomFile(Path.Combine(catalog.Path, "files", "mid.bin"), Size);
        catalog.AddRaw(CatalogEntries.Http(Big, [("mid.bin", "files/mid.bin", Size, sha)], isPush: true)).Write();
        await using var parent = await AgentProcess.StartAsync(dirs.Combine("parent"), ["--catalog", catalog.Path], Env("parent-1"));
        await using var relay = new TcpRelay(parent.BaseAddress.Port) { ThrottleBytesPerSecond = 8L * 1024 * 1024 };
        await WaitForAsync(parent, Big, s => s.State == ReleaseState.Downloaded, TimeSpan.FromSeconds(60));

        long inSockets;
        await using (var first = await StartAsync(dirs.Combine("child"), relay.BaseUrl, "child-1"))
        {
            await WaitForAsync(first, Big, s => s.Progress >= 50, TimeSpan.FromSeconds(60));
            // As in ResumeAfterKillTests: the bytes in the kernel's socket queues between the relay and the child when it
            // dies were never the child's to keep; they are read at the instant of the kill (stopped first) and counted apart.
            inSockets = (await KillAccounting.KillAsync(first, new Uri(relay.BaseUrl).Port, () => relay.DownstreamBytes)).InSockets;
        }

        relay.ThrottleBytesPerSecond = null;
        await using var second = await StartAsync(dirs.Combine("child"), relay.BaseUrl, "child-1");
        var done = await WaitForAsync(second, Big, s => s.State == ReleaseState.Downloaded, TimeSpan.FromSeconds(60));
        Assert.Equal(sha, Sha256Of(Path.Combine(done.ArtsDirPath!, "mid.bin")));
        var fetched = relay.DownstreamBytes;
        output.WriteLine($"{fetched} bytes fetched from the parent for a {Size}-byte artifact ({(double)fetched / Size:P1}), {inSockets} of them lost in the socket queues at the kill ({(double)(fetched - inSockets) / Size:P1} without them)");
        Assert.True(fetched - inSockets <= Size * 1.05, $"the child fetched {fetched} bytes for a {Size}-byte artifact, {inSockets} of them lost in the socket queues at the kill");
    }

    [Fact]
    public async Task TwoHops_ServerParentParentChild_DeliverAndReport()
    {
        await using var server = await GetAppServerDouble.StartAsync(secret: Secret);
        server.AddRelease(App, isPush: true, files: Installable(300_000), executable: "install.sh", metadata: AutoDeploy);
        using var dirs = new TempDirectory("getapp-site");
        await using var headquarters = await StartAsync(dirs.Combine("hq"), server.BaseUrl, "hq-1");
        await using var ship = await StartAsync(dirs.Combine("ship"), Url(headquarters), "ship-1");
        await using var child = await StartAsync(dirs.Combine("child"), Url(ship), "deck-1");

        await WaitForAsync(child, App, s => s.State == ReleaseState.Installed, TimeSpan.FromSeconds(120));
        await server.WaitForAsync(s => Statuses(ForDevice(s.DeployReports, "deck-1"), App, "deployStatus").LastOrDefault() == "Done",
            "the grandchild's reports, two hops up", TimeSpan.FromSeconds(60));
        AssertDeliveredInOrder(server, "deck-1", App);
        Assert.Contains(server.Discoveries, d => d["id"]!.GetValue<string>() == "deck-1");
        Assert.Equal(2, ParentKit.FileRequests(server, App).Count);
        var known = await headquarters.Client.GetFromJsonAsync<JsonArray>("/api/cdn/device?filter=all");
        Assert.Equal(["hq-1", "deck-1", "ship-1"], known!.Select(d => d!["deviceId"]!.GetValue<string>()));
    }

    private static Task<AgentProcess> StartAsync(string dataDir, string upstream, string deviceId, string url = "http://127.0.0.1:0") =>
        AgentProcess.StartAsync(dataDir, ["--upstream", upstream, "--device-secret", Secret], Env(deviceId), url: url);

    private static Dictionary<string, string> Env(string deviceId) => new()
    {
        ["DEVICE_ID"] = deviceId,
        ["DEVICE_TYPE_TOKEN"] = "agent_linux",
        ["PLATFORM_TYPE_TOKEN"] = "field-unit",
    };

    private static string Url(AgentProcess agent) => agent.BaseAddress.ToString().TrimEnd('/');

    private static async Task<DeviceReleaseStatusDto> WaitForAsync(AgentProcess agent, string catalogId, Func<DeviceReleaseStatusDto, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        DeviceReleaseStatusDto? last = null;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await agent.Client.GetAsync($"/api/v2/device/releases/{Uri.EscapeDataString(catalogId)}");
            if (response.IsSuccessStatusCode)
            {
                last = await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.DeviceReleaseStatusDto);
                if (last is not null && until(last))
                {
                    return last;
                }

                Assert.False(last?.DeviceReleaseStatus == "Error", $"{catalogId} failed: {last?.ErrMsg}\n{agent.Output}");
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{catalogId}: last seen {last?.State}/{last?.DeviceReleaseStatus} {last?.Progress}% {last?.ErrMsg}\n{agent.Output}");
    }

    private static string WriteRandomFile(string path, long size)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(42);
        var buffer = new byte[4 * 1024 * 1024];
        using (var file = File.Create(path))
        {
            for (long written = 0; written < size; written += buffer.Length)
            {
                random.NextBytes(buffer);
                var count = (int)Math.Min(buffer.Length, size - written);
                file.Write(buffer, 0, count);
                hash.AppendData(buffer, 0, count);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string Sha256Of(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}
