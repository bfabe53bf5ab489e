using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Parent.ParentKit;

namespace GetApp.Agent.IntegrationTests.Parent;

/// <summary>Cache-first delivery with fetch-through: what a parent answers to its children's prepareDelivery.</summary>
public class ParentDeliveryTests
{
    private const string App = "7.site-app@1.0.0";

    [Fact]
    public async Task TwoChildren_AskAtOnceForAReleaseTheParentLacks_TheParentFetchesItOnce_AndNeverInstallsItItself()
    {
        await using var server = await GetAppServerDouble.StartAsync(secret: "fleet");
        await using var parent = await StartParentAsync(server);
        // Offered only to the children (the parent discovered before it existed), with autoDeploy: still never installed on the parent.
        var files = Files("app.bin", 3_000_000);
        server.AddRelease(App, files: files, metadata: new JsonObject { ["autoDeploy"] = true });
        await using var first = await StartChildAsync(parent, "child-1", secret: "fleet");
        await using var second = await StartChildAsync(parent, "child-2", secret: "fleet");
        await EventuallyAsync(async () => (await first.Releases.FindAsync(App, default)) is not null && (await second.Releases.FindAsync(App, default)) is not null, "both children offered the release");

        var starts = await Task.WhenAll(first.Client.PostAsync($"/api/v2/delivery/start/{App}", null), second.Client.PostAsync($"/api/v2/delivery/start/{App}", null));
        Assert.All(starts, s => Assert.Equal(HttpStatusCode.OK, s.StatusCode));
        foreach (var child in new[] { first, second })
        {
            // autoDeploy on the child: with no installer in the release, it then waits in deploy for a third-party installer.
            var done = await child.WaitForAsync(App, s => s.State is ReleaseState.Deploy || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
            Assert.True(done.State is ReleaseState.Deploy, done.ErrMsg);
            Assert.Equal(Sha256Hex(files["app.bin"]), Sha256Hex(await File.ReadAllBytesAsync(Path.Combine(done.ArtsDirPath!, "app.bin"))));
        }

        var fetched = FileRequests(server, App);
        Assert.Single(fetched);
        var onParent = await parent.Releases.FindAsync(App, default);
        Assert.Equal(ReleaseState.Downloaded, onParent!.State);
        Assert.False(onParent.Offered);
        // The children's prepare went to the parent; the origin saw only the parent's device id.
        Assert.All(server.Received.Where(r => r.Path.EndsWith("prepareDelivery", StringComparison.Ordinal)), r => Assert.Equal("parent-1", r.Body!["deviceId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ReleaseTheParentHolds_IsAnsweredDone_WithSignedUrlsToItsOwnArtifactRoute_AndASha256()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        var files = Files("tool.bin", 100_000, seed: 3);
        server.AddRelease(App, isPush: true, files: files);
        await using var parent = await StartParentAsync(server);
        await parent.WaitForAsync(App, s => s.State == ReleaseState.Downloaded);

        using var response = await PrepareAsync(parent.Client, App);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("done", answer["status"]!.GetValue<string>());
        var artifact = answer["artifacts"]!.AsArray().Single()!;
        var url = artifact["url"]!.GetValue<string>();
        Assert.StartsWith(parent.BaseAddress + "api/cdn/artifacts/", url);
        Assert.Contains("signature=", url);
        Assert.Equal($"{App}@tool.bin", artifact["itemKey"]!.GetValue<string>());
        Assert.Equal(100_000, artifact["size"]!.GetValue<double>());
        Assert.Equal(Sha256Hex(files["tool.bin"]), artifact["hash"]!["hash"]!.GetValue<string>());
        Assert.Equal(files["tool.bin"], await parent.Client.GetByteArrayAsync(url));
        Assert.Single(FileRequests(server, App));
    }

    [Fact]
    public async Task UpstreamGivesNoHash_TheParentHandsOutTheSha256OfItsFile()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        var files = Files("signed.bin", 50_000, seed: 4);
        server.SignFiles = _ => "c2lnbmF0dXJl"; // as a GetApp origin: a signature, no hash (no key configured: not checked)
        server.AddRelease(App, isPush: true, files: files);
        await using var parent = await StartParentAsync(server);
        await parent.WaitForAsync(App, s => s.State == ReleaseState.Downloaded);

        var artifact = (await PrepareUntilDoneAsync(parent.Client, App))["artifacts"]!.AsArray().Single()!;
        Assert.Equal("SHA256Hex", artifact["hash"]!["algorithm"]!.GetValue<string>());
        Assert.Equal(Sha256Hex(files["signed.bin"]), artifact["hash"]!["hash"]!.GetValue<string>());
        Assert.Equal("c2lnbmF0dXJl", artifact["signature"]!.GetValue<string>());
    }

    [Fact]
    public async Task SourceRemote_HandsOutTheUpstreamsOwnUrls()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        server.AddRelease(App, files: Files("a.bin", 1000));
        await using var parent = await StartParentAsync(server);

        using var response = await PrepareAsync(parent.Client, App, query: "?source=remote");
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("done", answer["status"]!.GetValue<string>());
        Assert.StartsWith(server.BaseUrl + "/files/", answer["artifacts"]![0]!["url"]!.GetValue<string>());
        Assert.Equal(ReleaseState.Offering, (await parent.Releases.FindAsync(App, default))!.State);
    }

    [Fact]
    public async Task FetchFails_ThePollAnswersErrorWithTheReason_AndTheNextPrepareTriesAgain()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        await using var parent = await StartParentAsync(server);
        server.AddRelease(App, files: Files("a.bin", 1000));
        server.FailPreparation(App, "DELIVERY.downloadNotAvailable", "release is archived");

        using var first = await PrepareAsync(parent.Client, App);
        Assert.Equal("start", JsonNode.Parse(await first.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        JsonNode? poll = null;
        await EventuallyAsync(async () =>
        {
            poll = JsonNode.Parse(await parent.Client.GetStringAsync($"/api/v2/delivery/preparedDelivery/{App}"));
            return poll!["status"]!.GetValue<string>() == "error";
        }, "the poll reports the parent's failure");
        Assert.Contains("release is archived", poll!["error"]!["message"]!.GetValue<string>());
        Assert.Equal("DELIVERY.downloadNotAvailable", poll["error"]!["errorCode"]!.GetValue<string>());

        server.AddRelease(App, files: Files("a.bin", 1000));
        var done = await PrepareUntilDoneAsync(parent.Client, App);
        Assert.Equal("done", done["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task PollForAReleaseNothingIsPreparedFor_Is404_SoTheChildPreparesAgain()
    {
        await using var parent = await StartDetachedParentAsync();
        await HttpAssert.AppErrorAsync(await parent.Client.GetAsync($"/api/v2/delivery/preparedDelivery/{App}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ParentWithoutUpstream_AnswersAReleaseItLacksWithAnErrorInTheServersShape()
    {
        await using var parent = await StartDetachedParentAsync();
        using var response = await PrepareAsync(parent.Client, App);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("error", answer["status"]!.GetValue<string>());
        Assert.Contains("has no upstream", answer["error"]!["message"]!.GetValue<string>());
        Assert.Null(await parent.Releases.FindAsync(App, default));
    }

    [Theory]
    [InlineData("""{"deviceId":"c","itemType":"software"}""", "", "catalogId must be a string")]
    [InlineData("""{"catalogId":"7.a@1","itemType":"software"}""", "", "deviceId must be a string")]
    [InlineData("""{"catalogId":"7.a@1","deviceId":"c","itemType":"map"}""", "", "itemType must be 'software'")]
    [InlineData("""{"catalogId":"../x","deviceId":"c","itemType":"software"}""", "", "catalogId is not valid")]
    [InlineData("""{"catalogId":"7.a@1","deviceId":"c","itemType":"software"}""", "?source=elsewhere", "source must be")]
    [InlineData("""[1]""", "", "must be a JSON object")]
    public async Task BadPrepareRequest_Is400WithTheReason_AndChangesNothing(string body, string query, string expected)
    {
        await using var parent = await StartDetachedParentAsync();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var error = await HttpAssert.AppErrorAsync(await parent.Client.PostAsync("/api/v2/delivery/prepareDelivery" + query, content), HttpStatusCode.BadRequest);
        Assert.Contains(expected, error.GetProperty("message").GetString());
        Assert.Empty(await parent.Releases.ListAsync(default));
    }

    [Fact]
    public async Task ChildOnlyReleasesOverParentCacheMaxBytes_TheLeastRecentlyUsedIsEvicted_ButNeverTheParentsOwn()
    {
        const string Own = "1.own@1.0.0";
        string[] cached = ["2.c1@1.0.0", "3.c2@1.0.0", "4.c3@1.0.0"];
        await using var server = await GetAppServerDouble.StartAsync();
        server.AddRelease(Own, isPush: true, files: Files("own.bin", 400_000, seed: 9));
        await using var parent = await StartParentAsync(server);
        await parent.WaitForAsync(Own, s => s.State == ReleaseState.Downloaded);
        (await parent.Client.PutAsJsonAsync("/api/v2/agent/configs", new JsonObject { ["parentCacheMaxBytes"] = 250_000 })).EnsureSuccessStatusCode();
        foreach (var (id, i) in cached.Select((id, i) => (id, i)))
        {
            server.AddRelease(id, files: Files($"c{i}.bin", 100_000, seed: i));
        }

        await PrepareUntilDoneAsync(parent.Client, cached[0]);
        await PrepareUntilDoneAsync(parent.Client, cached[1]);
        await Task.Delay(20);
        await PrepareUntilDoneAsync(parent.Client, cached[0]); // used again: now c2 is the least recently used
        await PrepareUntilDoneAsync(parent.Client, cached[2]);

        await EventuallyAsync(async () => (await parent.Releases.FindAsync(cached[1], default))!.State == ReleaseState.Deleted,
            "c2 evicted", describe: async () => await parent.Client.GetStringAsync("/api/cdn/status"));
        Assert.Equal(ReleaseState.Downloaded, (await parent.Releases.FindAsync(cached[0], default))!.State);
        Assert.Equal(ReleaseState.Downloaded, (await parent.Releases.FindAsync(cached[2], default))!.State);
        Assert.Equal(ReleaseState.Downloaded, (await parent.Releases.FindAsync(Own, default))!.State);
        Assert.False(Directory.Exists(Path.Combine(parent.DataDir, "comps", cached[1])));
        var status = await HttpAssert.JsonAsync(await parent.Client.GetAsync("/api/cdn/status"));
        Assert.Equal(200_000, status.GetProperty("cache").GetProperty("childOnlyBytes").GetInt64());

        // Asked for again, an evicted release is simply fetched again.
        await PrepareUntilDoneAsync(parent.Client, cached[1]);
        Assert.Equal(2, FileRequests(server, cached[1]).Count);
    }
}
