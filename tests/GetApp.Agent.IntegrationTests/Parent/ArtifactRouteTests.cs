using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Parent.ParentKit;

namespace GetApp.Agent.IntegrationTests.Parent;

/// <summary>The parent's artifact route: HTTP semantics a resuming child relies on, signed URLs, and files that change while they are read.</summary>
public class ArtifactRouteTests
{
    private const string App = "5.site-tool@2.0.0";

    private static async Task<(GetAppServerDouble Server, TestAgent Parent, byte[] Content, string Url)> HoldingAsync(int size, string name = "tool.bin")
    {
        var server = await GetAppServerDouble.StartAsync();
        var content = Files(name, size, seed: 21)[name];
        server.AddRelease(App, isPush: true, files: new Dictionary<string, byte[]> { [name] = content });
        var parent = await StartParentAsync(server);
        await parent.WaitForAsync(App, s => s.State == ReleaseState.Downloaded);
        var url = (await PrepareUntilDoneAsync(parent.Client, App))["artifacts"]![0]!["url"]!.GetValue<string>();
        return (server, parent, content, url);
    }

    [Fact]
    public async Task Range_IfRange_Head_And_Unsatisfiable_AnswerAsHttpSays()
    {
        var (server, parent, content, url) = await HoldingAsync(100_000);
        await using var _ = server;
        await using var __ = parent;
        var client = parent.Client;

        using var full = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(content, await full.Content.ReadAsByteArrayAsync());
        Assert.Equal(100_000, full.Content.Headers.ContentLength);
        Assert.Equal("bytes", full.Headers.AcceptRanges.Single());
        var etag = full.Headers.ETag!;
        Assert.False(etag.IsWeak);
        Assert.NotNull(full.Content.Headers.LastModified);

        using var middle = await SendAsync(client, url, r => r.Headers.Range = new RangeHeaderValue(100, 199));
        Assert.Equal(HttpStatusCode.PartialContent, middle.StatusCode);
        Assert.Equal("bytes 100-199/100000", middle.Content.Headers.ContentRange!.ToString());
        Assert.Equal(content[100..200], await middle.Content.ReadAsByteArrayAsync());

        using var suffix = await SendAsync(client, url, r => r.Headers.Range = new RangeHeaderValue(null, 10));
        Assert.Equal(content[^10..], await suffix.Content.ReadAsByteArrayAsync());

        using var resumed = await SendAsync(client, url, r =>
        {
            r.Headers.Range = new RangeHeaderValue(60_000, null);
            r.Headers.IfRange = new RangeConditionHeaderValue(etag);
        });
        Assert.Equal(HttpStatusCode.PartialContent, resumed.StatusCode);
        Assert.Equal(content[60_000..], await resumed.Content.ReadAsByteArrayAsync());

        using var changed = await SendAsync(client, url, r =>
        {
            r.Headers.Range = new RangeHeaderValue(60_000, null);
            r.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue("\"another-version\""));
        });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(content, await changed.Content.ReadAsByteArrayAsync());

        using var byDate = await SendAsync(client, url, r =>
        {
            r.Headers.Range = new RangeHeaderValue(99_990, null);
            r.Headers.IfRange = new RangeConditionHeaderValue(full.Content.Headers.LastModified!.Value);
        });
        Assert.Equal(HttpStatusCode.PartialContent, byDate.StatusCode);

        using var several = await SendAsync(client, url, r => r.Headers.TryAddWithoutValidation("Range", "bytes=0-1,5-6"));
        Assert.Equal(HttpStatusCode.OK, several.StatusCode);

        using var beyond = await SendAsync(client, url, r => r.Headers.Range = new RangeHeaderValue(100_000, null));
        await HttpAssert.AppErrorAsync(beyond, HttpStatusCode.RequestedRangeNotSatisfiable);
        Assert.Equal("bytes */100000", beyond.Content.Headers.ContentRange!.ToString());

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(100_000, head.Content.Headers.ContentLength);
        Assert.Equal(etag, head.Headers.ETag);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task UnsignedForgedOrExpiredUrls_Are403_AndAFileTheParentDoesNotHold_Is404()
    {
        var (server, parent, _, url) = await HoldingAsync(1000);
        await using var _s = server;
        await using var _p = parent;
        var client = parent.Client;
        var path = new Uri(url).AbsolutePath;

        await HttpAssert.AppErrorAsync(await client.GetAsync(path), HttpStatusCode.Forbidden);
        await HttpAssert.AppErrorAsync(await client.GetAsync(url.Replace("signature=", "signature=x", StringComparison.Ordinal)), HttpStatusCode.Forbidden);
        await HttpAssert.AppErrorAsync(await client.GetAsync(url.Replace("expires=", "expires=1", StringComparison.Ordinal)), HttpStatusCode.Forbidden);
        await HttpAssert.AppErrorAsync(await client.GetAsync(url.Replace("tool.bin", "other.bin", StringComparison.Ordinal)), HttpStatusCode.Forbidden);

        var lastWeek = new ArtifactUrlSigner(parent.Get<DataDirectory>(), new ShiftedTime(TimeSpan.FromDays(-8)));
        var expired = await HttpAssert.AppErrorAsync(await client.GetAsync(lastWeek.PathAndQuery(App, "tool.bin")), HttpStatusCode.Forbidden);
        Assert.Contains("expired", expired.GetProperty("message").GetString());

        var signer = parent.Get<ArtifactUrlSigner>();
        await HttpAssert.AppErrorAsync(await client.GetAsync(signer.PathAndQuery(App, "install.log")), HttpStatusCode.NotFound);
        await HttpAssert.AppErrorAsync(await client.GetAsync(signer.PathAndQuery("9.unknown@1.0.0", "tool.bin")), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task FileReplacedOrDeletedWhileAChildReadsIt_TheChildGetsTheBytesItStartedWith_TheNextOneTheNewFile()
    {
        const int Size = 64 * 1024 * 1024;
        var (server, parent, content, url) = await HoldingAsync(Size);
        await using var _s = server;
        await using var _p = parent;
        var file = Path.Combine((await parent.Releases.FindAsync(App, default))!.ArtsDirPath!, "tool.bin");
        var replacement = new byte[Size];
        new Random(99).NextBytes(replacement);

        using var first = await parent.Client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        var firstETag = first.Headers.ETag;
        await using var firstBody = await first.Content.ReadAsStreamAsync();
        var head = new byte[1024 * 1024];
        await firstBody.ReadExactlyAsync(head);
        // A new version arrives as delivery writes one: a new file renamed over the old.
        await File.WriteAllBytesAsync(file + ".new", replacement);
        File.Move(file + ".new", file, overwrite: true);
        Assert.Equal(SHA256.HashData(content), await HashRestAsync(head, firstBody));

        using var second = await parent.Client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.NotEqual(firstETag, second.Headers.ETag);
        await using var secondBody = await second.Content.ReadAsStreamAsync();
        await secondBody.ReadExactlyAsync(head);
        File.Delete(file);
        Assert.Equal(SHA256.HashData(replacement), await HashRestAsync(head, secondBody));

        await HttpAssert.AppErrorAsync(await parent.Client.GetAsync(url), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ManyChildrenAtOnce_EachGetsTheWholeFile()
    {
        var (server, parent, content, url) = await HoldingAsync(4 * 1024 * 1024);
        await using var _s = server;
        await using var _p = parent;
        var expected = SHA256.HashData(content);
        using var client = new HttpClient { BaseAddress = parent.BaseAddress };
        var hashes = await Task.WhenAll(Enumerable.Range(0, 30).Select(async _ => SHA256.HashData(await client.GetByteArrayAsync(url))));
        Assert.All(hashes, h => Assert.Equal(expected, h));
    }

    [Fact]
    public async Task ETagAndUrl_SurviveARestartOfTheParent_SoAChildResumesWhereItWas()
    {
        var (server, parent, content, url) = await HoldingAsync(200_000);
        await using var _s = server;
        var etag = (await parent.Client.GetAsync(url)).Headers.ETag!;
        var restarted = await parent.RestartAsync();
        await using var _p = restarted;

        using var resumed = await SendAsync(restarted.Client, url, r =>
        {
            r.Headers.Range = new RangeHeaderValue(150_000, null);
            r.Headers.IfRange = new RangeConditionHeaderValue(etag);
        });
        Assert.Equal(HttpStatusCode.PartialContent, resumed.StatusCode);
        Assert.Equal(content[150_000..], await resumed.Content.ReadAsByteArrayAsync());
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string url, Action<HttpRequestMessage> configure)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        configure(request);
        return await client.SendAsync(request);
    }

    private static async Task<byte[]> HashRestAsync(byte[] head, Stream body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(head);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        return hash.GetHashAndReset();
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
