using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using GetApp.Agent.Dashboard;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>The dashboard's files as HTTP serves them: types, caching, the security policy, and no secret needed for them alone.</summary>
public sealed partial class DashboardAssetsTests
{
    [Fact]
    public async Task Root_ServesThePage_AsHtmlWithAnETagAndAPolicyThatAllowsOnlyTheAgent()
    {
        await using var agent = await TestAgent.StartAsync();

        using var response = await agent.Client.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.NotNull(response.Headers.ETag);
        Assert.True(response.Headers.CacheControl?.NoCache);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("connect-src 'self'", policy);
        Assert.Contains("<script type=\"module\" src=\"dashboard/app.js\">", html);
    }

    [Fact]
    public async Task EveryEmbeddedFile_IsServedUnderDashboard_WithItsContentType()
    {
        await using var agent = await TestAgent.StartAsync();
        var names = DashboardAssets.Embedded.Names.ToList();
        string[] expected = ["index.html", "app.js", "api.js", "auth.js", "events.js", "sse.js", "store.js", "lifecycle.js", "style.css", "icon.svg",
            "views/dashboard.js", "views/releases.js", "views/offering.js", "views/settings.js"];
        Assert.All(expected, name => Assert.Contains(name, names));

        foreach (var name in names.Where(n => n != DashboardAssets.IndexName))
        {
            using var response = await agent.Client.GetAsync($"/dashboard/{name}");
            var body = await response.Content.ReadAsByteArrayAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(DashboardAssets.ContentTypeOf(name), response.Content.Headers.ContentType?.ToString());
            Assert.Equal(DashboardAssets.Embedded.Find(name)!.Content, body);
            Assert.Equal(DashboardAssets.Embedded.Find(name)!.ETag, response.Headers.ETag?.ToString());
        }

        Assert.Equal("text/javascript; charset=utf-8", DashboardAssets.ContentTypeOf("views/releases.js"));
        Assert.Null(DashboardAssets.ContentTypeOf("notes.txt"));
    }

    [Fact]
    public async Task KnownETag_IsAnswered304WithoutABody_AnotherOne200()
    {
        await using var agent = await TestAgent.StartAsync();
        var etag = DashboardAssets.Embedded.Find("app.js")!.ETag;

        using var same = new HttpRequestMessage(HttpMethod.Get, "/dashboard/app.js");
        same.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse("\"other\""));
        same.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etag));
        using var notModified = await agent.Client.SendAsync(same);
        using var changed = new HttpRequestMessage(HttpMethod.Get, "/dashboard/app.js");
        changed.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse("\"an-older-build\""));
        using var full = await agent.Client.SendAsync(changed);
        using var weak = new HttpRequestMessage(HttpMethod.Get, "/");
        weak.Headers.TryAddWithoutValidation("If-None-Match", "W/" + DashboardAssets.Embedded.Find("index.html")!.ETag);
        using var weakMatch = await agent.Client.SendAsync(weak);

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, notModified.Headers.ETag?.ToString());
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.NotEmpty(await full.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotModified, weakMatch.StatusCode);
    }

    [Fact]
    public async Task Head_AnswersTheHeadersOnly()
    {
        await using var agent = await TestAgent.StartAsync();

        using var response = await agent.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/dashboard/style.css"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(DashboardAssets.Embedded.Find("style.css")!.Content.Length, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/dashboard/nope.js")]
    [InlineData("/dashboard/")]
    [InlineData("/dashboard/index.html")]
    [InlineData("/dashboard/../appsettings.json")]
    [InlineData("/dashboard/views/../../getapp-agent.dll")]
    public async Task UnknownFile_Is404AppError_NothingOutsideTheEmbeddedFiles(string path)
    {
        await using var agent = await TestAgent.StartAsync();

        using var response = await agent.Client.GetAsync(path);
        var error = await HttpAssert.JsonAsync(response, HttpStatusCode.NotFound);

        Assert.Equal("NotFound", error.GetProperty("name").GetString());
        Assert.Equal(404, error.GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task AgentBeyondLoopbackWithASecret_ServesThePageWithout_TheApiStillRequiresIt()
    {
        await using var agent = await TestAgent.StartAsync(configure: o => o with { Urls = ["http://0.0.0.0:0"], DeviceSecret = "page-secret" });
        using var anonymous = new HttpClient { BaseAddress = agent.BaseAddress };

        using var page = await anonymous.GetAsync("/");
        using var script = await anonymous.GetAsync("/dashboard/app.js");
        using var api = await anonymous.GetAsync("/api/v2/device/releases");
        using var stream = await anonymous.GetAsync("/api/v2/events?streams=agent", HttpCompletionOption.ResponseHeadersRead);
        using var unknown = await anonymous.GetAsync("/dashboard/nope.js");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, stream.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Start_LogsWhereToOpenTheDashboard()
    {
        var logs = new CapturedLogs();
        await using var agent = await TestAgent.StartAsync(configureServices: logs.AddTo);

        var line = Assert.Single(logs.WithEventId(5200));

        Assert.Equal($"Dashboard: open {agent.ListenAddress.TrimEnd('/')}/ in a browser", line.Message);
    }

    [Fact]
    public void EmbeddedFiles_ReferenceNothingOutsideTheAgent()
    {
        foreach (var name in DashboardAssets.Embedded.Names)
        {
            var text = Encoding.UTF8.GetString(DashboardAssets.Embedded.Find(name)!.Content);
            // The SVG namespace is a name, not an address anything fetches.
            var addresses = ExternalAddress().Matches(text).Select(m => m.Value).Where(a => a != "http://www.w3.org/2000/svg").ToList();

            Assert.True(addresses.Count == 0, $"{name} refers to {string.Join(", ", addresses)}");
            Assert.DoesNotContain("@import", text);
            Assert.DoesNotContain("localStorage", text); // the secret lives in sessionStorage or memory only
        }
    }

    [GeneratedRegex(@"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s'""`)]*")]
    private static partial Regex ExternalAddress();
}
